"""``voclens index init|migrate|copy`` against SQLite and the real Elasticsearch node."""

from __future__ import annotations

import json

import pytest

from api.cli.index import checkpoint_file, copy_documents
from index.base import ErasureKind, SearchQuery
from index.errors import BackendUnavailable, DocumentNotFound
from index.sqlite import SQLiteBackend
from tests.es_node import unique_prefix
from tests.index.corpus import corpus, doc

from .test_cli import voclens

@pytest.fixture
def es_env(es_node, monkeypatch):
    from index.elasticsearch import ElasticsearchBackend

    prefix = unique_prefix()
    monkeypatch.setenv("VOCLENS_ELASTICSEARCH_URLS", es_node.url)
    monkeypatch.setenv("VOCLENS_ELASTICSEARCH_INDEX_PREFIX", prefix)
    yield prefix
    b = ElasticsearchBackend([es_node.url], index_prefix=prefix)
    b.drop_all()
    b.close()


@pytest.mark.elasticsearch
def test_copy_sqlite_to_elasticsearch_and_back(tmp_path, es_env, es_node, monkeypatch):
    with SQLiteBackend(tmp_path / "voclens.db") as db:
        db.upsert(corpus())
    r = voclens("index", "copy", "--from", "sqlite", "--to", "elasticsearch", "--batch-size", "3", data_dir=tmp_path)
    assert "copied 10 document(s) from sqlite to elasticsearch" in r.stdout
    assert not checkpoint_file(tmp_path, "sqlite", "elasticsearch").exists()
    monkeypatch.setenv("VOCLENS_BACKEND", "elasticsearch")
    found = json.loads(voclens("search", "物流", "--json", data_dir=tmp_path).stdout)
    assert {h["document"]["source_id"] for h in found["hits"]} == {"zh1", "zh2", "zh3"}
    back = tmp_path / "back"
    r = voclens("index", "copy", "--from", "elasticsearch", "--to", "sqlite", data_dir=back)
    assert "sqlite now holds 10" in r.stdout
    with SQLiteBackend(back / "voclens.db") as db:
        assert sorted(d.id for b in db.iter_documents() for d in b) == sorted(d.id for d in corpus())
        assert db.get(corpus()[3].id).title == "Refund refused"


def test_copy_resumes_after_a_failure(tmp_path):
    with SQLiteBackend(tmp_path / "a.db") as source, SQLiteBackend(tmp_path / "b.db") as target:
        source.upsert(corpus())
        writes = []
        real = target.upsert

        def failing(batch):
            if len(writes) == 2:
                raise BackendUnavailable("node went away")
            writes.append([d.id for d in batch])
            return real(batch)

        target.upsert = failing
        ckpt = tmp_path / "copy.json"
        with pytest.raises(BackendUnavailable):
            copy_documents(source, target, batch_size=3, checkpoint=ckpt)
        assert json.loads(ckpt.read_text())["after_id"] == writes[-1][-1] and target.count() == 6
        target.upsert = real
        assert copy_documents(source, target, batch_size=3, checkpoint=ckpt) == 4  # only the rest
        assert target.count() == 10 and not ckpt.exists()


def test_copy_carries_erasures_and_the_target_refuses_re_ingest(tmp_path):
    docs = corpus()
    with SQLiteBackend(tmp_path / "a.db") as source, SQLiteBackend(tmp_path / "b.db") as target:
        source.upsert(docs)
        target.upsert(docs[:1])  # copied once before the erasure
        source.erase(ErasureKind.document, docs[0].id, actor="cli")
        source.erase(ErasureKind.author, "a_gone", actor="cli")  # a takedown before the author's reviews arrive
        assert copy_documents(source, target, batch_size=4) == 9
        assert target.count() == 9 and target.erased([docs[0].id], ["a_gone"]) == {docs[0].id, "a_gone"}
        with pytest.raises(DocumentNotFound):
            target.get(docs[0].id)
        late = doc("new", "物流太慢").model_copy(update={"author_hash": "a_gone"})
        result = target.upsert([docs[0], late])
        assert (result.created, result.updated, result.erased) == (0, 0, 2)


@pytest.mark.elasticsearch
def test_cli_copy_carries_erasures_to_elasticsearch(tmp_path, es_env, es_node):
    from index.elasticsearch import ElasticsearchBackend

    docs = corpus()
    with SQLiteBackend(tmp_path / "voclens.db") as db:
        db.upsert(docs)
        db.erase(ErasureKind.document, docs[0].id, actor="cli")
    with ElasticsearchBackend([es_node.url], index_prefix=es_env) as es:
        es.upsert(docs[:1])  # copied before the erasure
    r = voclens("index", "copy", "--from", "sqlite", "--to", "elasticsearch", data_dir=tmp_path)
    assert "copied 9 document(s) from sqlite to elasticsearch; elasticsearch now holds 9" in r.stdout
    with ElasticsearchBackend([es_node.url], index_prefix=es_env) as es:
        assert es.upsert([docs[0]]).erased == 1 and es.count() == 9


@pytest.mark.elasticsearch
def test_init_and_migrate_elasticsearch(tmp_path, es_env, es_node, monkeypatch):
    from index._es_schema import SCHEMA_VERSION, Names
    from index.elasticsearch import ElasticsearchBackend

    monkeypatch.setenv("VOCLENS_BACKEND", "elasticsearch")
    health = json.loads(voclens("index", "init", data_dir=tmp_path).stdout)
    assert health["backend"] == "elasticsearch" and health["documents"] == 0
    # documents written under an older schema version ...
    old = ElasticsearchBackend([es_node.url], index_prefix=es_env)
    old.names = Names(es_env, version=0)
    old.ensure_template()
    old.upsert(corpus())
    assert all("-v0-" in i for i in old.indices())
    old.close()
    # ... move to the current one behind the same alias
    r = voclens("index", "migrate", data_dir=tmp_path)
    assert "moved 10 document(s); dropped 2 old index(es)" in r.stdout
    with ElasticsearchBackend([es_node.url], index_prefix=es_env) as es:
        assert all(f"-v{SCHEMA_VERSION}-" in i for i in es.indices()) and es.count() == 10
        assert es.count("物流") == 3


def test_init_and_migrate_sqlite(tmp_path):
    assert json.loads(voclens("index", "init", data_dir=tmp_path).stdout)["backend"] == "sqlite"
    assert "up to date" in voclens("index", "migrate", data_dir=tmp_path).stdout


def test_unreachable_elasticsearch_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setenv("VOCLENS_BACKEND", "elasticsearch")
    monkeypatch.setenv("VOCLENS_ELASTICSEARCH_URLS", "http://127.0.0.1:9")
    r = voclens("index", "init", data_dir=tmp_path, check=False)
    assert r.returncode == 1 and "cannot open Elasticsearch at http://127.0.0.1:9" in r.stderr
    assert "Traceback" not in r.stderr


def test_copy_carries_own_topics_and_their_labels(tmp_path):
    from index.own_topics import OwnTopic

    docs = corpus()
    with SQLiteBackend(tmp_path / "a.db") as source, SQLiteBackend(tmp_path / "b.db") as target:
        source.upsert(docs)
        source.save_own_topic(OwnTopic(key="leaking", name_zh="漏液", name_en="Leaking"))
        source.relabel_topics({docs[8].id: {"leaking": 0.9}}, ["leaking"])
        assert copy_documents(source, target, batch_size=4) == 10
        assert target.own_topics() == source.own_topics()
        assert [h.document.id for h in target.search(SearchQuery(q="topic:leaking:negative")).hits] == [docs[8].id]
