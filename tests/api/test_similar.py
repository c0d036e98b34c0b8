"""``GET /documents/{id}/similar``, ``similar:`` over HTTP, ``voclens similar``, and vectors made at ingest.

The route tests run an in-process app over a SQLite file holding the contract
corpus with planted vectors (``tests.index.corpus.with_vectors``: zh2, then
en4, nearest zh1), so rankings are known. The ``model`` tests give real
documents the lite model's vectors, at ingest and by ``voclens reclassify``.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from index.sqlite import SQLiteBackend
from nlp.models import get_classifier
from tests.index.corpus import corpus, doc, with_vectors

DOCS = {d.source_id: d for d in with_vectors(corpus())}
BARE = doc("bare", "没有向量的评论")  # as if indexed before vectors, or by the lexicon model


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    data = tmp_path_factory.mktemp("similar")
    backend = SQLiteBackend(data / "voclens.db")
    backend.upsert([*DOCS.values(), BARE])
    with TestClient(create_app(Settings(data_dir=data), backend=backend, classifier=get_classifier("fast"))) as c:
        yield c
    backend.close()


def test_similar_ranks_by_the_stored_vectors_and_leaves_them_out_of_the_answer(client):
    r = client.get(f"/documents/{DOCS['zh1'].id}/similar", params={"limit": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [h["document"]["source_id"] for h in body["results"]][:2] == ["zh2", "en4"]
    assert body["total"] == 3 and body["next_cursor"] is None
    scores = [h["score"] for h in body["results"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0.98
    assert all("vector" not in h["document"] and h["highlights"] == {} for h in body["results"])
    assert "vector" not in client.get(f"/documents/{DOCS['zh1'].id}").json()


def test_query_and_filters_narrow_the_candidates(client):
    zh1 = DOCS["zh1"].id
    body = client.get(f"/documents/{zh1}/similar", params={"lang": "en", "limit": 2}).json()
    assert [h["document"]["source_id"] for h in body["results"]][0] == "en4"
    assert {h["document"]["lang"] for h in body["results"]} == {"en"}
    body = client.get(f"/documents/{zh1}/similar", params={"q": "物流"}).json()
    assert [h["document"]["source_id"] for h in body["results"]] == ["zh2", "zh3"]
    # the same set through the query language
    body = client.get("/search", params={"q": f"similar:{zh1}:2"}).json()
    assert [h["document"]["source_id"] for h in body["results"]] == ["zh2", "en4"]


def test_errors_say_what_is_missing(client):
    assert client.get(f"/documents/{'f' * 32}/similar").status_code == 404
    r = client.get(f"/documents/{BARE.id}/similar")
    assert r.status_code == 409 and r.json()["title"] == "Document has no vector" and "reclassify" in r.json()["detail"]
    r = client.get("/search", params={"q": f"similar:{BARE.id}"})
    assert r.status_code == 400 and r.json()["field"] == "q"
    r = client.get("/search", params={"q": f"similar:{DOCS['zh1'].id} similar:{DOCS['zh2'].id}"})
    assert r.status_code == 400 and "only one" in r.json()["detail"]
    assert client.get(f"/documents/{DOCS['zh1'].id}/similar", params={"limit": 0}).status_code == 422


def test_cli_similar_prints_the_nearest_with_their_similarity(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from api.cli import app

    with SQLiteBackend(tmp_path / "voclens.db") as backend:
        backend.upsert([*DOCS.values(), BARE])
    monkeypatch.setenv("VOCLENS_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    r = runner.invoke(app, ["similar", DOCS["zh1"].id, "--limit", "2", "--json"])
    assert r.exit_code == 0, r.output
    hits = json.loads(r.stdout)["hits"]
    assert [h["document"]["source_id"] for h in hits] == ["zh2", "en4"] and hits[0]["score"] > 0.98
    r = runner.invoke(app, ["similar", DOCS["zh1"].id, "--lang", "en", "--limit", "1"], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "similarity" in r.stdout and DOCS["en4"].id in r.stdout
    r = runner.invoke(app, ["similar", BARE.id])
    assert r.exit_code == 1 and "reclassify" in r.output


# -- real vectors (the lite model) --------------------------------------------------------
LEAKS = ["爽肤水瓶子漏液了，洒了一半，太失望", "收到就漏液，包装太差", "又是漏液！瓶盖没拧紧，全洒了"]
OTHERS = ["物流太慢了，等了一个星期才到", "客服态度很好，耐心解答", "价格便宜，性价比高", "The charger stopped working after a week",
          "尺码偏大，建议买小一号"]


@pytest.mark.model
def test_ingest_stores_the_encoders_vector_and_a_leak_finds_another_first(tmp_path):
    from crawlers.enrich import enrich
    from nlp.analyser import get_analyser

    lite = get_classifier("lite")
    docs = [doc(f"t{i}", t, sentiment=None) for i, t in enumerate(LEAKS + OTHERS)]
    with SQLiteBackend(tmp_path / "voclens.db") as backend:
        backend.upsert(enrich(docs, get_analyser(), lite))
        stored = backend.vectors([d.id for d in docs])
        assert len(stored) == len(docs) and {v.model for v in stored.values()} == {lite.vector_model}
        assert {len(v.values) for v in stored.values()} == {384}
        nearest = [h.document.text for h in backend.similar(docs[0].id, limit=3).hits]
        assert nearest[0] in LEAKS[1:], nearest


@pytest.mark.model
def test_reclassify_gives_older_documents_their_vectors(tmp_path):
    """Documents labelled by the lexicon model (no encoder) get vectors from a transformer run, once."""
    from api.reclassify import reclassify
    from crawlers.enrich import enrich
    from nlp.analyser import get_analyser

    docs = [doc(f"t{i}", t, sentiment=None) for i, t in enumerate(LEAKS + OTHERS)]
    lite = get_classifier("lite")
    with SQLiteBackend(tmp_path / "voclens.db") as backend:
        backend.upsert(enrich(docs, get_analyser(), get_classifier("fast")))
        assert backend.vectors([d.id for d in docs]) == {}
        first = reclassify(backend, lite, batch_size=4)
        assert first.updated == len(docs) and len(backend.vectors([d.id for d in docs])) == len(docs)
        # labelled by the lexicon model again, they keep the vector (same text); the next lite run has nothing to do
        reclassify(backend, get_classifier("fast"), batch_size=4)
        assert len(backend.vectors([d.id for d in docs])) == len(docs)
        again = reclassify(backend, lite, batch_size=4)
        assert again.updated == len(docs)  # the labels are the lexicon's now: relabelled, vectors unchanged
        assert reclassify(backend, lite, batch_size=4).skipped_current == len(docs)
