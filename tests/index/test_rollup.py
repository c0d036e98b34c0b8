"""The SQLite hourly rollups answer trend queries exactly as the row scan does, after any writes."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from index.base import Filters, TrendQuery
from index import _sqlite_rollup_memory as memory
from index._sqlite_rollup import HOUR_SQL
from index._sqlite_schema import SCHEMA_VERSION
from index.sqlite import SQLiteBackend
from nlp.labels import Sentiment, TopicLabel

from .corpus import NOW, corpus, doc
from .old_files import undo_copies

QUERIES = [
    TrendQuery(interval="day"),
    TrendQuery(interval="hour", tz="Asia/Shanghai"),
    TrendQuery(interval="week", split="topic"),
    TrendQuery(interval="day", split="sentiment", tz="America/New_York"),
    TrendQuery(interval="day", filters=Filters(sentiment=["negative"])),
    TrendQuery(interval="day", filters=Filters(since=NOW - timedelta(days=2), until=NOW)),
    TrendQuery(interval="month", split="topic", filters=Filters(since=NOW - timedelta(days=30))),
    TrendQuery(interval="day", split="brand"),
    TrendQuery(interval="week", split="source", tz="Europe/Berlin"),
    TrendQuery(interval="day", split="brand", filters=Filters(since=NOW - timedelta(days=7), until=NOW)),
]


def _both(backend: SQLiteBackend, query: TrendQuery):
    backend.use_rollups = True
    fast = backend.trends(query)
    backend.use_rollups = False
    slow = backend.trends(query)
    backend.use_rollups = True
    return fast, slow


def _same(a, b) -> None:
    assert [s.key for s in a.series] == [s.key for s in b.series]
    for sa, sb in zip(a.series, b.series, strict=True):
        for x, y in zip(sa.buckets, sb.buckets, strict=True):
            assert (x.start, x.volume, x.negative) == (y.start, y.volume, y.negative)
            assert (x.avg_rating is None) == (y.avg_rating is None)
            if x.avg_rating is not None:
                assert x.avg_rating == pytest.approx(y.avg_rating)


def _random_docs(rng: random.Random, n: int, prefix: str):
    topics = ["logistics", "quality", "price", "packaging"]
    out = []
    for i in range(n):
        out.append(doc(
            f"{prefix}{rng.randint(0, n)}", f"第{i}条 物流 quality", rating=rng.choice([None, 1, 3, 5]),
            brand=rng.choice([None, "Acme", "Beta", "青禾"]), source=rng.choice(["jd", "tmall", "amazon"]),
            sentiment=rng.choice([None, "negative", "neutral", "positive"]),
            topics={t: rng.choice(["negative", "positive"]) for t in rng.sample(topics, rng.randint(0, 2))},
            created_at=NOW - timedelta(minutes=rng.randint(0, 60 * 24 * 40)),
        ))
    return out


@pytest.fixture
def sqlite_backend(tmp_path):
    with SQLiteBackend(tmp_path / "r.db") as b:
        yield b


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.interval.value}-{q.split}-{q.tz}")
def test_rollups_match_the_row_scan_after_inserts_updates_and_deletes(sqlite_backend, query):
    rng = random.Random(5)
    b = sqlite_backend
    b.upsert(corpus())
    b.upsert(_random_docs(rng, 300, "r"))
    _same(*_both(b, query))
    b.upsert(_random_docs(rng, 300, "r"))  # many of these ids exist: updates move hours, labels, ratings
    _same(*_both(b, query))
    assert b.delete_by_query("sentiment:neutral") > 0
    b.delete_by_query("", Filters(until=NOW - timedelta(days=20)))
    _same(*_both(b, query))


def test_rollup_tables_hold_no_stale_rows(sqlite_backend):
    b = sqlite_backend
    d = doc("x", "物流", sentiment="negative", topics={"logistics": "negative"}, rating=2)
    b.upsert([d])
    b.upsert([d.model_copy(update={"sentiment": Sentiment(label="positive", score=0.9),
                                   "topics": [TopicLabel(topic="price", polarity="positive", score=0.7)],
                                   "created_at": NOW - timedelta(days=3)})])
    with b._read() as conn:  # white-box: the rollups mirror exactly one document
        assert conn.execute("SELECT sentiment, n FROM rollup_docs").fetchall() == [("positive", 1)]
        assert conn.execute("SELECT topic, n, negative FROM rollup_topics").fetchall() == [("price", 1, 0)]
        assert conn.execute("SELECT brand, n, negative FROM rollup_brands").fetchall() == [("Acme", 1, 0)]
        assert conn.execute("SELECT source, n, negative FROM rollup_sources").fetchall() == [("jd", 1, 0)]
    b.delete_by_query()
    with b._read() as conn:
        for table in ("rollup_docs", "rollup_topics", "rollup_brands", "rollup_sources"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table


def test_queries_the_rollups_cannot_answer_use_the_scan(sqlite_backend):
    b = sqlite_backend
    b.upsert(corpus())
    for q in (TrendQuery(q="物流"), TrendQuery(filters=Filters(brand=["Acme"])),
              TrendQuery(split="brand", filters=Filters(sentiment=["negative"])),
              TrendQuery(q="物流", split="source"),
              TrendQuery(filters=Filters(since=NOW - timedelta(minutes=90)))):
        _same(*_both(b, q))


def test_existing_files_are_migrated_with_backfilled_rollups(tmp_path):
    path = tmp_path / "old.db"
    with SQLiteBackend(path) as b:
        b.upsert(corpus())
        with b._write() as conn:  # make it look like a schema-1 file
            undo_copies(conn)  # the newest migrations first: their triggers name the tables below
            conn.execute("DROP TABLE rollup_docs")
            conn.execute("DROP TABLE rollup_topics")
            conn.execute("DROP TABLE rollup_brands")
            conn.execute("DROP TABLE rollup_sources")
            conn.execute("DROP TABLE rollup_generation")
            conn.execute("DROP TABLE erased")
            conn.execute("DROP TABLE erasure_log")
            conn.execute("DROP TABLE doc_vectors")
            conn.execute("DROP TABLE own_topics")
            conn.execute("DROP TABLE doc_scores")
            conn.execute("DROP INDEX documents_customer")
            conn.execute("ALTER TABLE documents DROP COLUMN customer_hash")
            conn.execute("DROP INDEX documents_author")
            conn.execute("ALTER TABLE documents DROP COLUMN author_hash")
            conn.execute("DELETE FROM schema_version WHERE version > 1")
    with SQLiteBackend(path) as b:
        assert b.schema_version == SCHEMA_VERSION
        for q in QUERIES:
            _same(*_both(b, q))


@pytest.mark.parametrize("tz", ["Europe/Berlin", "America/New_York", "Asia/Shanghai", "Asia/Kolkata", "UTC"])
@pytest.mark.parametrize("interval", ["hour", "day", "week", "month"])
def test_rollups_across_daylight_saving_changes(sqlite_backend, tz, interval):
    """Buckets of any shape (DST days, months, half-hour zones) fold exactly from the in-memory rollups."""
    rng = random.Random(11)
    b = sqlite_backend
    b.upsert([d.model_copy(update={"created_at": d.created_at + timedelta(days=30)}) for d in _random_docs(rng, 400, "d")])
    for split in (None, "topic", "sentiment", "brand", "source"):
        _same(*_both(b, TrendQuery(interval=interval, tz=tz, split=split)))
    _same(*_both(b, TrendQuery(interval=interval, tz=tz, filters=Filters(since=NOW - timedelta(days=3), until=NOW + timedelta(days=40)))))


def test_sql_rollup_path_matches_when_the_arrays_are_too_large(sqlite_backend, monkeypatch):
    """Past ``MAX_CELLS`` the rollups are grouped in SQL instead of memory; the answers stay the same."""
    b = sqlite_backend
    b.upsert(_random_docs(random.Random(3), 300, "m"))
    monkeypatch.setattr(memory, "MAX_CELLS", 0)
    for q in QUERIES:
        _same(*_both(b, q))
    assert b._rollup_memory.arrays(b._writer.conn, "topics") is None


def test_in_memory_rollups_see_writes_from_another_connection(tmp_path):
    """A second process writing to the same file bumps the generation: no stale chart."""
    path = tmp_path / "shared.db"
    with SQLiteBackend(path) as reader, SQLiteBackend(path) as writer:
        writer.upsert(corpus())
        q = TrendQuery(interval="day", split="topic")
        before = {s.key: sum(x.volume for x in s.buckets) for s in reader.trends(q).series}
        extra = [doc(f"x{i}", "物流太慢", topics={"logistics": "negative"}, created_at=NOW - timedelta(hours=i))
                 for i in range(5)]
        writer.upsert(extra)
        after = {s.key: sum(x.volume for x in s.buckets) for s in reader.trends(q).series}
        assert after["logistics"] == before.get("logistics", 0) + 5
        _same(*_both(reader, q))


def test_brand_rollup_groups_spellings_as_the_scan_does(sqlite_backend):
    """Brand columns ignore case on SQLite: spellings in one hour share a rollup row, as the scan groups them."""
    b = sqlite_backend
    b.upsert([doc(f"c{i}", "物流", brand=name, sentiment="negative" if i % 2 else "positive",
                  created_at=NOW - timedelta(minutes=i if i < 6 else 60 * i))
              for i, name in enumerate(["Acme", "ACME", "acme", "Beta"] * 3)])
    query = TrendQuery(interval="hour", split="brand")
    fast, slow = _both(b, query)
    _same(fast, slow)
    assert {s.key.lower() for s in fast.series} == {"acme", "beta"}
    b.delete_by_query("", Filters(brand=["acme"]))
    _same(*_both(b, query))
    assert [s.key for s in b.trends(query).series] == ["Beta"]


def test_rollups_match_the_row_scan_after_own_topics_are_relabelled_again_and_again(sqlite_backend):
    """``relabel_topics`` counts labels out and in per (hour, topic) at once, and deletes only the rows
    it emptied (not a scan for empty rows): labels added, re-scored, flipped, moved to other
    documents and taken off keep the rollups those of the rows, with ratings that are no binary fraction."""
    rng = random.Random(7)
    b = sqlite_backend
    docs = _random_docs(rng, 200, "o")
    docs = [d.model_copy(update={"rating": rng.choice([0.1, 3.7, 4.2])}) if n % 3 == 0 else d for n, d in enumerate(docs)]
    b.upsert(docs)
    ids = [d.id for d in docs]
    keys = ["own_a", "own_b", "own_c"]
    for step in range(6):
        labelled = 0.0 if step == 4 else 0.5  # step 4 takes every label off: emptied rows must go
        scores = {i: {k: TopicLabel(topic=k, polarity=rng.choice(["negative", "positive"]), score=rng.random())
                      if rng.random() < 0.5 else rng.random() for k in keys if rng.random() < labelled}
                  for i in (ids if step == 4 else rng.sample(ids, 150))}
        b.relabel_topics(scores, keys)
        for query in (TrendQuery(interval="week", split="topic"), TrendQuery(interval="hour", split="topic")):
            _same(*_both(b, query))
        with b._read() as conn:  # white-box: every row is the recount of the labels, none left at zero
            stored = conn.execute("SELECT hour, topic, n, negative, rating_n, rating_sum FROM rollup_topics "
                                  "ORDER BY 1, 2").fetchall()
            recount = conn.execute(f"SELECT {HOUR_SQL}, topic, count(*), total(polarity = 'negative'), count(rating), "
                                   "total(rating) FROM doc_topics GROUP BY 1, 2 ORDER BY 1, 2").fetchall()
        assert [r[:5] for r in stored] == [r[:5] for r in recount]
        assert [r[5] for r in stored] == pytest.approx([r[5] for r in recount])
        assert all(r[2] > 0 for r in stored)
        if step == 4:
            assert not {r[1] for r in stored} & set(keys)
