"""Elasticsearch-only behaviour (the shared behaviour is in ``test_contract.py``)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from index.base import SearchQuery
from index.errors import BackendUnavailable, BulkWriteError
from tests.es_node import unique_prefix

from .corpus import NOW, corpus, doc, with_vectors

pytestmark = pytest.mark.elasticsearch


@pytest.fixture
def es(es_node):
    from index.elasticsearch import ElasticsearchBackend

    b = ElasticsearchBackend([es_node.url], index_prefix=unique_prefix())
    yield b
    b.drop_all()
    b.close()


def test_monthly_indices_behind_one_alias(es):
    es.upsert(corpus())
    from index._es_schema import SCHEMA_VERSION

    prefix, v = es.names.prefix, SCHEMA_VERSION
    assert es.indices() == [f"{prefix}-documents-v{v}-2026.02", f"{prefix}-documents-v{v}-2026.03"]
    assert es.health()["indices"] == es.indices() and es.count() == 10


def test_a_document_moving_month_is_stored_once(es):
    d = doc("m", "物流太慢", created_at=NOW)
    es.upsert([d])
    moved = doc("m", "物流太慢", created_at=NOW - timedelta(days=40))
    result = es.upsert([moved])
    assert (result.created, result.updated) == (0, 1)
    assert es.count() == 1 and es.get(d.id).created_at == moved.created_at
    assert len(es.search(SearchQuery(q="物流")).hits) == 1


def test_rejected_documents_are_reported_per_id(es):
    good = doc("ok", "物流")
    es.upsert([good])
    # a mapping conflict: an index of this prefix where created_at is a boolean
    bad_index = es.names.index_for(NOW - timedelta(days=400))
    es.es.indices.create(index=bad_index, mappings={"properties": {"created_at": {"type": "boolean"}}})
    bad = doc("bad", "物流", created_at=NOW - timedelta(days=400))
    with pytest.raises(BulkWriteError) as exc:
        es.upsert([bad, doc("ok2", "物流")])
    assert list(exc.value.errors) == [bad.id] and "parsing" in exc.value.errors[bad.id]
    assert es.count() == 2  # the good one of the failed batch was written


def _flaky_bulk(monkeypatch, reject):
    """Make the client's bulk call answer ``reject(call number, body)`` on top of the real answer."""
    from elastic_transport import ObjectApiResponse
    from elasticsearch import Elasticsearch

    calls = []
    real = Elasticsearch.bulk

    def flaky(self, **kw):
        calls.append(len(kw["operations"]))
        resp = real(self, **kw)
        body = dict(resp.body)
        if reject(len(calls), body):
            body["errors"] = True
        return ObjectApiResponse(body=body, meta=resp.meta)

    monkeypatch.setattr(Elasticsearch, "bulk", flaky)
    monkeypatch.setattr("elasticsearch.helpers.actions.time.sleep", lambda s: None)
    return calls


def _refuse_first(status):
    def reject(call, body):
        if call == 1:  # pretend the first item was refused by a full write queue (429) or a lost shard (503)
            item = body["items"][0]["index"]
            body["items"][0] = {"index": {**item, "status": status, "error": {"type": "rejected", "reason": "busy"}}}
            return True
        return False
    return reject


@pytest.mark.parametrize("status", [429, 503])
def test_bulk_items_rejected_with_429_or_5xx_are_retried(es, monkeypatch, status):
    calls = _flaky_bulk(monkeypatch, _refuse_first(status))
    es.upsert(corpus()[:3])
    assert calls == [6, 2] and es.count() == 3


def test_items_still_refused_after_the_retries_are_reported_by_id(es, monkeypatch):
    def reject(call, body):
        item = body["items"][0]["index"]
        body["items"][0] = {"index": {**item, "status": 429, "error": {"type": "es_rejected_execution_exception",
                                                                       "reason": "queue full"}}}
        return True

    es.bulk_retries = 2
    calls = _flaky_bulk(monkeypatch, reject)
    docs = corpus()[:3]
    with pytest.raises(BulkWriteError) as exc:
        es.upsert(docs)
    assert calls == [6, 2, 2] and list(exc.value.errors) == [docs[0].id]
    assert "429 after the retries" in exc.value.errors[docs[0].id]


def test_many_requests_in_parallel_write_every_document_once(es):
    es.bulk_threads, es.bulk_chunk_docs = 4, 7
    docs = [doc(f"p{i}", f"物流 第{i}条", created_at=NOW - timedelta(days=i % 90)) for i in range(300)]
    result = es.upsert(docs)
    assert (result.created, result.updated) == (300, 0) and es.count() == 300
    assert es.upsert(docs).updated == 300 and es.count() == 300


def test_bulk_import_pauses_refresh_and_restores_it(es):
    es.upsert([doc("before", "物流", created_at=NOW)])
    with es.bulk_import():
        es.upsert([doc("during", "物流", created_at=NOW - timedelta(days=60))])
        intervals = es.es.indices.get_settings(index=es.names.pattern, name="index.refresh_interval")
        assert {v["settings"]["index"]["refresh_interval"] for v in intervals.body.values()} == {"-1"}
        assert len(intervals.body) == 2  # the month created inside is paused too
        # moved to another month inside the import, before any refresh: still stored once
        es.upsert([doc("during", "物流", created_at=NOW)])
    after = es.es.indices.get_settings(index=es.names.pattern, name="index.refresh_interval")
    assert all("refresh_interval" not in v["settings"].get("index", {}) for v in after.body.values())
    assert es.count() == 2 and es.count("物流") == 2


def test_refresh_left_off_by_a_dead_import_is_restored_on_the_next_open(es, es_node):
    from index.elasticsearch import ElasticsearchBackend

    es.upsert([doc("x", "物流")])
    es.es.indices.put_settings(index=es.names.pattern, settings={"index": {"refresh_interval": "-1"}})
    again = ElasticsearchBackend([es_node.url], index_prefix=es.names.prefix)
    again.close()
    after = es.es.indices.get_settings(index=es.names.pattern, name="index.refresh_interval")
    assert all("refresh_interval" not in v["settings"].get("index", {}) for v in after.body.values())


def _import_settings(es) -> dict[str, tuple]:
    body = es.es.indices.get_settings(index=es.names.pattern, flat_settings=True).body
    return {i: tuple(v["settings"].get(f"index.{k}") for k in ("refresh_interval", "translog.durability",
                                                                 "number_of_replicas")) for i, v in body.items()}


def test_fast_import_skips_fsync_and_replicas_while_it_writes_and_restores_them(es_node):
    from index.elasticsearch import ElasticsearchBackend

    es = ElasticsearchBackend([es_node.url], index_prefix=unique_prefix(), fast_import=True)
    try:
        es.upsert([doc("before", "物流", created_at=NOW)])
        es.es.indices.put_settings(index=es.names.pattern, settings={"index": {"refresh_interval": "2s"}})
        with es.bulk_import():
            es.upsert([doc("during", "物流", created_at=NOW - timedelta(days=60))])
            during = _import_settings(es)
            assert len(during) == 2 and set(during.values()) == {("-1", "async", "0")}  # the new month too
        after = _import_settings(es)
        # the value set by hand comes back; the rest return to the defaults
        assert sorted(after.values(), key=str) == [("2s", None, "0"), (None, None, "0")]
        assert es.count("物流") == 2
    finally:
        es.drop_all()
        es.close()


def test_a_fast_import_that_died_is_undone_on_the_next_open(es, es_node):
    from index._es_bulk import restore_refresh_left_off
    from index.elasticsearch import ElasticsearchBackend

    es.upsert([doc("x", "物流")])
    es.es.indices.put_settings(index=es.names.pattern, settings={"index": {
        "refresh_interval": "-1", "translog.durability": "async", "number_of_replicas": 0}})
    ElasticsearchBackend([es_node.url], index_prefix=es.names.prefix).close()
    assert set(_import_settings(es).values()) == {(None, None, "0")}
    # on a cluster the replicas come back to the template's number
    es.es.indices.put_settings(index=es.names.pattern, settings={"index": {"refresh_interval": "-1", "number_of_replicas": 0}})
    assert restore_refresh_left_off(es.es, es.names.pattern, replicas=1) == es.indices()
    assert set(_import_settings(es).values()) == {(None, None, "1")}
    es.es.indices.put_settings(index=es.names.pattern, settings={"index": {"number_of_replicas": 0}})
    assert es.count("物流") == 1


def test_template_takes_shards_and_replicas_from_the_backend(es, es_node):
    from index.elasticsearch import ElasticsearchBackend

    again = ElasticsearchBackend([es_node.url], index_prefix=es.names.prefix, shards=2, replicas=0)
    try:
        again.upsert([doc("s", "物流")])
        settings = again.es.indices.get_settings(index=again.names.pattern)
        assert {v["settings"]["index"]["number_of_shards"] for v in settings.body.values()} == {"2"}
    finally:
        again.close()


def test_unreachable_cluster_is_a_clear_error():
    from index.elasticsearch import ElasticsearchBackend

    with pytest.raises(BackendUnavailable, match="cannot open Elasticsearch at http://127.0.0.1:9"):
        ElasticsearchBackend(["http://127.0.0.1:9"], timeout_ms=500)


def test_closed_backend_refuses_work(es_node):
    from index.elasticsearch import ElasticsearchBackend

    b = ElasticsearchBackend([es_node.url], index_prefix=unique_prefix())
    b.close()
    with pytest.raises(BackendUnavailable):
        b.count()


def test_erasing_an_author_reaches_indices_of_an_older_schema(es, monkeypatch):
    """Before ``voclens index migrate``, documents in v1 indices have no author_hash field to query."""
    from index import _es_bulk, _es_schema
    from index._es_schema import Names
    from index.base import ErasureKind

    mine = [d.model_copy(update={"author_hash": "a_old"}) for d in corpus()[:3]]
    old_mappings = _es_schema.mappings()
    del old_mappings["properties"]["author_hash"]
    real_to_source = _es_schema.to_source
    monkeypatch.setattr(_es_schema, "mappings", lambda: old_mappings)
    monkeypatch.setattr(_es_bulk, "to_source", lambda d, a: {k: v for k, v in real_to_source(d, a).items() if k != "author_hash"})
    current = es.names
    es.names = Names(current.prefix, version=1)
    es.ensure_template()
    es.upsert(mine + corpus()[3:])
    monkeypatch.undo()
    es.names = current
    es._known_indices.clear()
    assert all("-v1-" in i for i in es.indices()) and es.count() == 10
    assert es.erase(ErasureKind.author, "a_old", actor="cli").documents == 3
    assert es.count() == 7 and es.erased([d.id for d in mine]) == {d.id for d in mine}


def test_a_write_racing_an_erasure_removes_what_it_wrote(es):
    """The write checked the tombstones before the erasure wrote them and lands after its delete."""
    from index.base import ErasureKind

    d = doc("race", "物流太慢")
    real_bulk = es._bulk
    state = {"erased": False}

    def bulk(actions, **kw):
        if not state["erased"]:  # the erasure runs between the write's check and its bulk request
            state["erased"] = True
            es.erase(ErasureKind.document, d.id, actor="cli", must_exist=False)
        real_bulk(actions, **kw)

    es._bulk = bulk
    result = es.upsert([d])
    es._bulk = real_bulk
    assert (result.created, result.erased, result.erased_ids) == (0, 1, [d.id])
    assert es.count() == 0


def test_migrate_carries_vectors_and_old_documents_into_the_current_schema(es):
    """Documents of an older schema's indices move with their vectors; ones without keep having none."""
    from index._es_schema import SCHEMA_VERSION, Names

    docs = with_vectors(corpus())
    docs[1] = docs[1].model_copy(update={"vector": None})
    current = es.names
    es.names = Names(current.prefix, version=SCHEMA_VERSION - 1)  # same mapping, older name: a migration's input
    es.ensure_template()
    es.upsert(docs)
    es.names = current
    es._known_indices.clear()
    assert all(f"-v{SCHEMA_VERSION - 1}-" in i for i in es.indices())
    report = es.migrate()
    assert report.moved == 10 and all(f"-v{SCHEMA_VERSION}-" in i for i in report.indices)
    assert es.vectors([d.id for d in docs]) == {d.id: d.vector for d in docs if d.vector}
    assert es.search(SearchQuery(q=f"similar:{docs[0].id}:1")).hits[0].document.source_id == "en4"  # zh2 lost its


def test_migrate_carries_scores_and_maps_them_as_doubles(es):
    """Star ratings of older-schema documents become the score ``rating``; survey scores move with them."""
    from index._es_schema import SCHEMA_VERSION, Names
    from index.scoring import ScoreTrendQuery

    docs = [d.model_copy(update={"rating": float(1 + i % 5), "scores": {"nps": i, "effort": 2.5}})
            for i, d in enumerate(corpus())]
    current = es.names
    es.names = Names(current.prefix, version=SCHEMA_VERSION - 1)
    es.ensure_template()
    es.upsert(docs)
    es.names = current
    es._known_indices.clear()
    assert es.migrate().moved == 10
    rating = es.score_trends(ScoreTrendQuery(metric="rating")).series[0]
    assert (rating.responses, rating.value) == (10, sum(d.rating for d in docs) / 10)
    assert es.score_trends(ScoreTrendQuery(metric="nps")).series[0].value == 100 * (1 - 7) / 10  # 9 promoter, 0-6 detractors
    props = next(iter(es.es.indices.get_mapping(index=es.names.alias).body.values()))["mappings"]["properties"]
    assert {k: v["type"] for k, v in props["scores"]["properties"].items()} == {"effort": "double", "nps": "double", "rating": "double"}


def test_a_vector_is_a_byte_dense_vector_kept_out_of_the_source(es):
    """384 bytes in the vector store, read back from there: a copy in _source would more than double its cost."""
    d = with_vectors(corpus()[:1])[0]
    es.upsert([d])
    mapping = es.es.indices.get_mapping(index=es.names.alias)
    props = next(iter(mapping.body.values()))["mappings"]["properties"]
    assert {k: props["vector"][k] for k in ("type", "element_type", "dims", "index", "similarity")} == {
        "type": "dense_vector", "element_type": "byte", "dims": 384, "index": True, "similarity": "cosine"}
    source = es.es.get(index=es.names.index_for(d.created_at), id=d.id)["_source"]
    assert "vector" not in source and "vector" not in source["doc"] and source["vector_model"] == d.vector.model
    assert es.get(d.id).vector == d.vector


def test_an_import_that_fails_restores_refresh_and_reports_its_own_error(es):
    es.upsert([doc("a", "物流")])
    with pytest.raises(RuntimeError, match="the import broke"):
        with es.bulk_import():
            es.upsert([doc("b", "物流")])
            raise RuntimeError("the import broke")
    after = es.es.indices.get_settings(index=es.names.pattern, name="index.refresh_interval")
    assert all("refresh_interval" not in v["settings"].get("index", {}) for v in after.body.values())
    assert es.count() == 2  # what was acknowledged before the failure is there and searchable
