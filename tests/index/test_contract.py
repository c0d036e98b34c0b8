"""The contract every backend honours, run against each kind in ``conftest.FACTORIES``.

Backend-agnostic on purpose: same corpus, same queries, same result sets;
ranking is compared only where it is unambiguous.
"""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from index.base import (
    EmergingQuery,
    ErasureKind,
    Filters,
    SearchQuery,
    Tombstone,
    TopicFilter,
    TopQuery,
    TrendQuery,
)
from index.errors import CursorExpired, DocumentNotFound, InvalidQuery, NoVector

from .corpus import NOW, VECTOR_MODEL, corpus, doc, with_vectors

ALL = {d.source_id for d in corpus()}


def sids(result) -> set[str]:
    return {h.document.source_id for h in result.hits}


def search(backend, q="", **kw):
    return backend.search(SearchQuery(q=q, limit=200, **kw))


# -- writes and reads --------------------------------------------------------------
def test_upsert_is_idempotent(backend):
    docs = corpus()
    first = backend.upsert(docs)
    assert (first.created, first.updated) == (10, 0) and first.ids == [d.id for d in docs]
    second = backend.upsert(docs)
    assert (second.created, second.updated) == (0, 10)
    assert backend.count() == 10


def test_upsert_replaces_content_and_labels(loaded):
    changed = doc("zh1", "包装很好", rating=5, sentiment="positive", topics={"packaging": "positive"},
                  created_at=NOW - timedelta(days=1))
    result = loaded.upsert([changed])
    assert (result.created, result.updated) == (0, 1)
    assert loaded.get(changed.id).text == "包装很好"
    assert "zh1" not in sids(search(loaded, "太慢"))
    assert "zh1" in sids(search(loaded, "topic:packaging:positive"))
    assert "zh1" not in sids(search(loaded, "topic:logistics"))


def test_duplicate_ids_in_one_batch_write_once(backend):
    a, b = doc("x", "第一版"), doc("x", "第二版")
    result = backend.upsert([a, b])
    assert (result.created, result.updated) == (1, 0) and backend.count() == 1
    assert backend.get(a.id).text == "第二版"


def test_empty_upsert(backend):
    assert backend.upsert([]).created == 0


def test_get_and_not_found(loaded):
    d = corpus()[3]
    got = loaded.get(d.id)
    assert got.model_dump(exclude={"fetched_at"}) == d.model_dump(exclude={"fetched_at"})
    with pytest.raises(DocumentNotFound):
        loaded.get("0" * 32)


def test_count_with_query_and_filters(loaded):
    assert loaded.count() == 10
    assert loaded.count("物流") == 3  # not en4: "delivery" is another word
    assert loaded.count("", Filters(brand=["Beta"])) == 3


def test_delete_by_query(loaded):
    assert loaded.delete_by_query("brand:Beta") == 3
    assert loaded.count() == 7
    assert loaded.delete_by_query("refund") == 1
    assert loaded.count("refund") == 0 and loaded.count() == 6
    assert loaded.delete_by_query("", Filters(lang=["zh"])) == 4
    assert loaded.delete_by_query("nothingmatchesthis") == 0
    assert loaded.delete_by_query() == 2 and loaded.count() == 0
    assert loaded.top_topics(TopQuery()) == []


def test_iter_documents_in_id_order_and_resumable(loaded):
    batches = list(loaded.iter_documents(batch_size=3))
    ids = [d.id for b in batches for d in b]
    assert [len(b) for b in batches] == [3, 3, 3, 1] and ids == sorted(d.id for d in corpus())
    rest = [d.id for b in loaded.iter_documents(batch_size=50, after_id=ids[4]) for d in b]
    assert rest == ids[5:]


# -- text matching -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("物流", {"zh1", "zh2", "zh3"}),
        ("物流太慢了", {"zh1", "zh2"}),  # terms are ANDed, order free
        ('"物流太慢"', {"zh1"}),  # a phrase keeps order
        ('"太慢的物流"', {"zh2"}),
        ("refund", {"en1", "en2"}),  # stemming: refund / refunded
        ("refunds", {"en1", "en2"}),
        ("手机", {"zh5"}),  # a sub-word of 手机壳
        ('"的手机壳"', {"zh5"}),  # phrase across a long word
        ("Customer Service", {"en1", "en2"}),
        ('"service customer"', set()),
        ("物流 -包装", {"zh1", "zh3"}),
        ('物流 -"太慢的物流"', {"zh1", "zh3"}),
        ("-物流", ALL - {"zh1", "zh2", "zh3"}),
        ("漏液 OR refund", {"zh6", "en1", "en2"}),
        ("物流 OR refund 太慢", {"zh1", "zh2"}),  # OR binds tighter: (物流 OR refund) AND 太慢
        ('"phone case" OR 客服', {"en3", "zh4"}),
        ("REFUSED", {"en1"}),
        ("refused", {"en1"}),  # title or text
        ("", ALL),
    ],
)
def test_query_syntax(loaded, q, expected):
    result = search(loaded, q)
    assert sids(result) == expected
    assert result.total == len(expected)


@pytest.mark.parametrize(
    ("q", "filters", "expected"),
    [
        ("brand:acme", None, {"zh1", "zh2", "en1", "zh4", "zh6", "en4"}),  # brand ignores case
        ('brand:"Acme Inc"', None, {"en3"}),
        ("brand:Beta brand:\"Acme Inc\"", None, {"zh3", "en2", "zh5", "en3"}),
        ("product:P1", None, {"zh1", "zh2"}),
        ("source:amazon", None, {"en1", "en2", "en3", "en4"}),
        ("channel:social", None, {"en3", "zh4"}),
        ("channel:ticket", None, {"zh5"}),
        ("lang:en", None, {"en1", "en2", "en3", "en4"}),
        ("sentiment:neutral", None, {"en4"}),
        ("topic:logistics", None, {"zh1", "zh2", "zh3", "en4"}),
        ("topic:logistics:negative", None, {"zh1", "zh2", "en4"}),
        ("topic:logistics:positive topic:price", None, {"zh3", "zh5"}),
        ("rating:>=4", None, {"zh3", "en2", "en3", "zh5"}),
        ("rating:<=2", None, {"zh1", "zh2", "en1", "zh6"}),
        ("rating:3", None, {"en4"}),
        ("since:2026-03-01", None, {"zh1", "en1", "zh6"}),
        ("until:2026-02-25", None, {"zh5"}),
        ("物流 sentiment:negative", None, {"zh1", "zh2"}),
        ("", Filters(sentiment=["negative"], lang=["zh"]), {"zh1", "zh2", "zh4", "zh6"}),
        ("", Filters(topics=[TopicFilter(topic="quality", polarity="negative")]), {"zh6"}),
        ("", Filters(rating_min=2, rating_max=4), {"zh1", "en3", "zh5", "en4"}),
        ("", Filters(since=NOW - timedelta(days=2), until=NOW - timedelta(days=1)), {"zh2", "zh4"}),
        ("brand:Beta", Filters(source=["TMALL"]), {"zh3"}),  # query filters AND request filters
        ("", Filters(channel=["review"], product_id=["p3"]), {"zh6"}),
    ],
)
def test_filters(loaded, q, filters, expected):
    assert sids(loaded.search(SearchQuery(q=q, filters=filters or Filters(), limit=50))) == expected


def test_conflicting_filters_are_invalid(loaded):
    with pytest.raises(InvalidQuery):
        loaded.search(SearchQuery(q="since:2026-03-01", filters=Filters(until=NOW - timedelta(days=5))))


@pytest.mark.parametrize(
    "q",
    [
        "'; DROP TABLE documents; --",
        "NEAR(物流 太慢, 2)",
        "物流*",
        "^物流",
        "(物流 OR",
        '"',
        '物流 "',
        "{title body}: 物流",
        "title:物流",
        "a AND OR NOT b",
        "\\x00 \x00 \u200b",
        "物流 " * 300,
        "x" * 1000,
        "OR -",
        "🙂👍",
    ],
)
def test_hostile_queries_are_safe(loaded, q):
    q = q[:1000]
    try:
        result = search(loaded, q)
    except InvalidQuery as exc:  # "title:物流" names a field the language does not have
        assert exc.field == "q" and "unknown field" in str(exc)
    else:
        assert result.total == len(result.hits)
    assert loaded.count() == 10


def test_oversized_query_is_rejected(loaded):
    with pytest.raises(InvalidQuery):
        loaded.count("x" * 5000)


def test_sort_orders(loaded):
    newest = [h.document.source_id for h in search(loaded, sort="newest").hits]
    oldest = [h.document.source_id for h in search(loaded, sort="oldest").hits]
    assert newest == oldest[::-1]
    assert newest[:3] == ["zh6", "en1", "zh1"] and newest[-1] == "zh5"
    assert all(h.score is None for h in search(loaded, "物流", sort="newest").hits)


def test_relevance_ranking(loaded):
    result = search(loaded, "refund")
    assert [h.document.source_id for h in result.hits][0] == "en1"  # in title and text
    scores = [h.score for h in result.hits]
    assert all(s is not None for s in scores) and scores == sorted(scores, reverse=True)
    # no text: newest first
    assert [h.document.source_id for h in search(loaded).hits][0] == "zh6"


def test_highlights(loaded):
    hit = next(h for h in search(loaded, "refund").hits if h.document.source_id == "en1")
    assert hit.highlights["title"] == "<mark>Refund</mark> refused"
    assert "<mark>refund</mark>" in hit.highlights["text"]
    zh = next(h for h in search(loaded, '"物流太慢"').hits)
    assert zh.highlights["text"].startswith("<mark>物流太慢</mark>了")
    assert search(loaded, "refund", highlight=False).hits[0].highlights == {}
    assert all(h.highlights == {} for h in search(loaded, "brand:Beta").hits)


def test_highlights_escape_html(backend):
    backend.upsert([doc("h", "<script>alert(1)</script> 物流太慢")])
    (hit,) = search(backend, "物流").hits
    assert hit.highlights["text"] == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>物流</mark>太慢"



# -- traditional and simplified Chinese (issue 23) ----------------------------------
SCRIPTS = [  # (Hong Kong / Taiwan wording, the simplified query that must find it, and back)
    ("tw1", "質量很差，用了兩天就壞了", "质量很差", "質量"),
    ("hk1", "物流太慢，等咗一個星期", "物流太慢", "物流"),
    ("tw2", "客服態度很好，退貨也很快", "客服态度", "退貨"),
    ("tw3", "這個軟體的網路功能常常斷線", "软体", "網路"),
]


def test_traditional_and_simplified_find_each_other(backend):
    backend.upsert([doc(sid, text) for sid, text, _, _ in SCRIPTS]
                   + [doc("s1", "质量很差，退货很麻烦"), doc("s2", "软体更新后网路断线")])
    for sid, text, simplified_q, traditional_q in SCRIPTS:
        assert sid in sids(search(backend, simplified_q)), simplified_q
        assert sid in sids(search(backend, traditional_q)), traditional_q
    assert {"tw1", "s1"} <= sids(search(backend, '"質量很差"'))
    assert sids(search(backend, "退货")) == sids(search(backend, "退貨")) == {"tw2", "s1"}
    assert sids(search(backend, "网路 软体")) == sids(search(backend, "網路 軟體")) == {"tw3", "s2"}
    # the stored and shown text is the original; highlights mark it in place
    (hit,) = search(backend, "质量很差 -退货").hits
    assert hit.document.text == "質量很差，用了兩天就壞了"
    assert hit.highlights["text"].startswith("<mark>質量很差</mark>")


# -- pagination ------------------------------------------------------------------
@pytest.mark.parametrize(("q", "sort"), [("", "newest"), ("", "oldest"), ("-漏液", "relevance"), ("物流 OR refund OR 客服 OR quality", "relevance")])
def test_cursor_pages_are_stable_while_documents_arrive(loaded, q, sort):
    snapshot = sids(search(loaded, q, sort=sort))
    seen: list[str] = []
    result = loaded.search(SearchQuery(q=q, sort=sort, limit=3))
    total = result.total
    page = 0
    while True:
        seen += [h.document.source_id for h in result.hits]
        assert result.total == total
        if result.next_cursor is None:
            break
        page += 1
        # new matching documents, newer and older than everything, between pages
        loaded.upsert([
            doc(f"new{page}a", "物流 refund 客服 quality 新到", created_at=NOW + timedelta(days=page)),
            doc(f"new{page}b", "物流 refund 客服 quality 旧", created_at=NOW - timedelta(days=30 + page)),
        ])
        result = loaded.search(SearchQuery(q=q, sort=sort, limit=3, cursor=result.next_cursor))
    assert len(seen) == len(set(seen)), "duplicates across pages"
    assert set(seen) == snapshot
    if sort == "newest":
        assert seen == [h.document.source_id for h in search(loaded, q, sort=sort).hits if not h.document.source_id.startswith("new")]


def _b64(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode()


@pytest.mark.parametrize("cursor", ["garbage!!", "", "e30", _b64([1, 2]), _b64({"v": 1}), "A" * 2000, _b64({"v": 1, "S": "x"})])
def test_bad_cursors(loaded, cursor):
    with pytest.raises(InvalidQuery) as exc:
        loaded.search(SearchQuery(limit=2, cursor=cursor or "=="))
    assert exc.value.field == "cursor"


def test_cursor_from_another_query_is_rejected(loaded):
    first = loaded.search(SearchQuery(q="物流", limit=1))
    assert first.next_cursor
    with pytest.raises(InvalidQuery) as exc:
        loaded.search(SearchQuery(q="refund", limit=1, cursor=first.next_cursor))
    assert exc.value.field == "cursor"


def test_tampered_cursor_is_rejected(loaded):
    cursor = loaded.search(SearchQuery(limit=2)).next_cursor
    data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    data["S"] = "not a number"
    with pytest.raises(InvalidQuery):
        loaded.search(SearchQuery(limit=2, cursor=_b64(data)))


# -- paging with no cap (issue 23 §6) ----------------------------------------------
#: Ranked documents: same length, ``refund`` said k times, so BM25 orders them by k on
#: both backends; created_at also distinct, so every sort has one right order.
RANKED = 13


def _ranked_corpus():
    return [doc(f"r{k:02d}", " ".join(["refund"] * k + ["fine"] * (RANKED + 1 - k)), lang="en",
                created_at=NOW - timedelta(hours=(k * 7) % RANKED)) for k in range(1, RANKED + 1)]


def _shrink_result_window(backend, window: int) -> None:
    """Where the backend has a result window (Elasticsearch), make it smaller than the results."""
    es = getattr(backend, "es", None)
    if es is not None:
        es.indices.put_settings(index=backend.names.alias, settings={"index": {"max_result_window": window}})


def _page_through(backend, q: str, sort: str, limit: int) -> list[str]:
    seen: list[str] = []
    result = backend.search(SearchQuery(q=q, sort=sort, limit=limit))
    while True:
        seen += [h.document.source_id for h in result.hits]
        if result.next_cursor is None:
            return seen
        result = backend.search(SearchQuery(q=q, sort=sort, limit=limit, cursor=result.next_cursor))


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_paging_runs_past_the_result_window_in_the_same_order_on_every_backend(backend, sort):
    docs = _ranked_corpus()
    backend.upsert(docs)
    _shrink_result_window(backend, 4)  # offset paging would stop at the third page
    by_hours = sorted(docs, key=lambda d: d.created_at)
    expected = {
        "relevance": [f"r{k:02d}" for k in range(RANKED, 0, -1)],
        "newest": [d.source_id for d in reversed(by_hours)],
        "oldest": [d.source_id for d in by_hours],
    }[sort]
    assert _page_through(backend, "refund", sort, limit=2) == expected
    assert _page_through(backend, "refund", sort, limit=3) == expected


def test_relevance_ties_page_without_gaps_or_repeats(backend):
    backend.upsert([doc(f"t{i:02d}", "refund refused", lang="en") for i in range(9)])
    one_page = [h.document.source_id for h in search(backend, "refund").hits]
    _shrink_result_window(backend, 4)
    seen = _page_through(backend, "refund", "relevance", limit=2)
    assert sorted(seen) == [f"t{i:02d}" for i in range(9)]
    assert seen == one_page


@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_a_cursor_whose_snapshot_is_gone_fails_clearly_never_a_wrong_page(loaded, sort):
    first = loaded.search(SearchQuery(q="物流 OR refund OR 客服 OR quality", sort=sort, limit=2))
    assert first.next_cursor
    es = getattr(loaded, "es", None)
    if es is None:
        # SQLite's snapshot is a sequence number: its cursors never expire
        nxt = loaded.search(SearchQuery(q="物流 OR refund OR 客服 OR quality", sort=sort, limit=2, cursor=first.next_cursor))
        assert not sids(nxt) & sids(first)
        return
    from index._es_query import decode_cursor

    data = json.loads(base64.urlsafe_b64decode(first.next_cursor + "=" * (-len(first.next_cursor) % 4)))
    pit = decode_cursor(first.next_cursor, data["f"], sort == "relevance")["pit"]
    es.close_point_in_time(id=pit)  # what its keep-alive running out does
    with pytest.raises(CursorExpired) as exc:
        loaded.search(SearchQuery(q="物流 OR refund OR 客服 OR quality", sort=sort, limit=2, cursor=first.next_cursor))
    assert exc.value.field == "cursor"
    assert "expired" in str(exc.value) and "start again" in str(exc.value)
    assert isinstance(exc.value, InvalidQuery)


# -- trends ---------------------------------------------------------------------
def _series(result, key=None):
    return next(s for s in result.series if s.key == key)


def test_trend_days_with_empty_buckets(loaded):
    result = loaded.trends(TrendQuery(interval="day", tz="UTC"))
    buckets = _series(result).buckets
    assert [b.start.date().isoformat() for b in buckets] == [f"2026-02-{d}" for d in (24, 25, 26, 27, 28)] + ["2026-03-01"]
    assert [b.volume for b in buckets] == [1, 1, 1, 2, 2, 3]
    assert sum(b.volume for b in buckets) == 10
    feb27 = buckets[3]
    assert (feb27.negative, feb27.negative_share, feb27.avg_rating) == (0, 0.0, 4.0)
    mar1 = buckets[5]
    assert mar1.negative == 3 and mar1.negative_share == 1.0 and mar1.avg_rating == pytest.approx(4 / 3)


def test_trend_gap_filled_and_since_until_range(backend):
    backend.upsert([doc("a", "物流", created_at=datetime(2026, 1, 1, 12, tzinfo=UTC)),
                    doc("b", "物流", created_at=datetime(2026, 1, 4, 12, tzinfo=UTC))])
    buckets = _series(backend.trends(TrendQuery(tz="UTC"))).buckets
    assert [b.volume for b in buckets] == [1, 0, 0, 1]
    assert buckets[1].negative_share is None and buckets[1].avg_rating is None
    ranged = backend.trends(TrendQuery(tz="UTC", filters=Filters(since=datetime(2025, 12, 30, tzinfo=UTC), until=datetime(2026, 1, 7, tzinfo=UTC))))
    assert [b.volume for b in _series(ranged).buckets] == [0, 0, 1, 0, 0, 1, 0, 0]


def test_trend_of_nothing(backend):
    assert backend.trends(TrendQuery()).series[0].buckets == []
    assert backend.trends(TrendQuery(split="topic")).series == []


def test_trend_day_across_dst_start(backend):
    ny = ZoneInfo("America/New_York")  # DST starts 2026-03-08 02:00 local
    times = [datetime(2026, 3, 7, 12, tzinfo=ny), datetime(2026, 3, 7, 23, 30, tzinfo=ny),
             datetime(2026, 3, 8, 12, tzinfo=ny), datetime(2026, 3, 9, 0, 30, tzinfo=ny)]
    backend.upsert([doc(f"d{i}", "物流", created_at=t) for i, t in enumerate(times)])
    buckets = _series(backend.trends(TrendQuery(tz="America/New_York"))).buckets
    assert [(b.start.isoformat(), b.volume) for b in buckets] == [
        ("2026-03-07T00:00:00-05:00", 2), ("2026-03-08T00:00:00-05:00", 1), ("2026-03-09T00:00:00-04:00", 1)]
    utc = _series(backend.trends(TrendQuery(tz="UTC"))).buckets
    assert [b.volume for b in utc] == [1, 2, 1]  # 23:30 EST is already the 8th in UTC


def test_trend_hours_across_dst_end(backend):
    # 2026-11-01: 01:00-02:00 happens twice in New York
    backend.upsert([doc("first", "x", created_at=datetime(2026, 11, 1, 5, 10, tzinfo=UTC)),
                    doc("second", "x", created_at=datetime(2026, 11, 1, 6, 10, tzinfo=UTC))])
    buckets = _series(backend.trends(TrendQuery(interval="hour", tz="America/New_York"))).buckets
    assert [(b.start.isoformat(), b.volume) for b in buckets] == [("2026-11-01T01:00:00-04:00", 1), ("2026-11-01T01:00:00-05:00", 1)]


def test_trend_half_hour_zone(backend):
    # 23:30 and 00:15 in India are different days, though 45 minutes apart
    backend.upsert([doc("a", "x", created_at=datetime(2026, 1, 1, 18, 0, tzinfo=UTC)),
                    doc("b", "x", created_at=datetime(2026, 1, 1, 18, 45, tzinfo=UTC))])
    buckets = _series(backend.trends(TrendQuery(tz="Asia/Kolkata"))).buckets
    assert [(b.start.isoformat(), b.volume) for b in buckets] == [("2026-01-01T00:00:00+05:30", 1), ("2026-01-02T00:00:00+05:30", 1)]


def test_trend_week_and_month(loaded):
    weeks = _series(loaded.trends(TrendQuery(interval="week", tz="Asia/Shanghai"))).buckets
    assert [(b.start.isoformat(), b.volume) for b in weeks] == [("2026-02-23T00:00:00+08:00", 10)]
    months = _series(loaded.trends(TrendQuery(interval="month", tz="UTC"))).buckets
    assert [(b.start.isoformat(), b.volume) for b in months] == [("2026-02-01T00:00:00+00:00", 7), ("2026-03-01T00:00:00+00:00", 3)]


def test_trend_query_and_split(loaded):
    by_sentiment = loaded.trends(TrendQuery(interval="month", tz="UTC", split="sentiment"))
    assert [s.key for s in by_sentiment.series] == ["negative", "positive", "neutral"]
    assert [sum(b.volume for b in s.buckets) for s in by_sentiment.series] == [5, 4, 1]
    assert all(len(s.buckets) == 2 for s in by_sentiment.series)
    top1 = loaded.trends(TrendQuery(interval="month", tz="UTC", split="source", split_limit=1))
    assert [s.key for s in top1.series] == ["amazon"]
    by_topic = loaded.trends(TrendQuery(q="lang:zh", interval="month", tz="UTC", split="topic"))
    logistics = _series(by_topic, "logistics")
    assert sum(b.volume for b in logistics.buckets) == 3 and sum(b.negative for b in logistics.buckets) == 2
    brands = loaded.trends(TrendQuery(q="物流", interval="month", tz="UTC", split="brand"))
    assert {s.key: sum(b.volume for b in s.buckets) for s in brands.series} == {"Acme": 2, "Beta": 1}


def test_trend_too_many_buckets(loaded):
    with pytest.raises(InvalidQuery):
        loaded.trends(TrendQuery(interval="hour", filters=Filters(since=datetime(2000, 1, 1, tzinfo=UTC), until=datetime(2026, 1, 1, tzinfo=UTC))))


# -- top and emerging --------------------------------------------------------------
def test_top_topics(loaded):
    top = loaded.top_topics(TopQuery())
    assert [(t.topic, t.count, t.negative) for t in top[:3]] == [("logistics", 4, 3), ("quality", 4, 1), ("customer_service", 3, 2)]
    assert top[0].share == pytest.approx(0.4)
    negative = loaded.top_topics(TopQuery(polarity="negative", limit=2))
    assert [(t.topic, t.count) for t in negative] == [("logistics", 3), ("customer_service", 2)]
    zh = loaded.top_topics(TopQuery(q="lang:zh 物流"))
    assert {t.topic: t.count for t in zh} == {"logistics": 3, "packaging": 1, "quality": 1}
    assert zh[0].share == pytest.approx(1.0)


def test_top_keywords(loaded):
    top = loaded.top_keywords(TopQuery(limit=3))
    assert [(k.keyword, k.count) for k in top] == [("物流", 3), ("refund", 2), ("case", 1)]  # ties by key
    negative = loaded.top_keywords(TopQuery(polarity="negative", q="brand:Acme"))
    assert {k.keyword for k in negative} >= {"物流", "漏液", "refund"} and "质量" not in {k.keyword for k in negative}


def _spike_corpus():
    docs = []
    day = timedelta(days=1)
    for d in range(1, 29):  # 28-day baseline, 20 documents a day
        for i in range(20):
            topics = {"logistics": "negative"} if i < 4 else ({"quality": "positive"} if i < 6 else {"price": "positive"})
            kw = ["物流"] if i < 4 else ["质量"]
            docs.append(doc(f"b{d}-{i}", "物流慢" if i < 4 else "不错", topics=topics, keywords=kw, sentiment="negative" if i < 4 else "positive",
                            created_at=NOW - d * day + timedelta(hours=i % 12)))
    for i in range(100):  # today: 100 documents, 8 about leaking
        if i < 8:
            docs.append(doc(f"c{i}", "电池漏液了 leaking", topics={"leaking": "negative"}, keywords=["漏液"], sentiment="negative",
                            created_at=NOW + timedelta(minutes=i)))
        else:
            topics = {"logistics": "negative"} if i < 30 else {"price": "positive"}
            docs.append(doc(f"c{i}", "物流慢" if i < 30 else "不错", topics=topics, keywords=["物流"] if i < 30 else ["质量"],
                            sentiment="negative" if i < 30 else "positive", created_at=NOW + timedelta(minutes=i)))
    return docs


def _windows(**kw):
    return EmergingQuery(current_since=NOW, current_until=NOW + timedelta(days=1),
                         baseline_since=NOW - timedelta(days=28), baseline_until=NOW, **kw)


def _leaking_topic():
    """"leaking" as a stored own topic: a write keeps only labels of default topics and stored own ones."""
    from index.own_topics import OwnTopic
    from nlp.own_topics import TopicHead

    head = TopicHead(model=VECTOR_MODEL, weights=[0.0] * 384, bias=0.0, threshold=0.5, positives=8, negatives=0,
                     background=0, precision=1.0, recall=1.0, f1=1.0, seconds=0.0)
    return OwnTopic(key="leaking", name_zh="漏液", name_en="Leaking", head=head)


def test_emerging_surfaces_a_new_complaint_first(backend):
    backend.save_own_topic(_leaking_topic())
    backend.upsert(_spike_corpus())
    topics = backend.emerging_topics(_windows())
    assert topics[0].key == "leaking"
    assert (topics[0].current, topics[0].baseline) == (8, 0) and topics[0].score > 0
    assert topics[0].expected == pytest.approx(0.5 * 100 / 561)
    assert all(t.key != "quality" for t in topics)  # fell to zero
    keywords = backend.emerging_keywords(_windows())
    assert keywords[0].key == "漏液" and keywords[0].current == 8
    negative = backend.emerging_topics(_windows(polarity="negative"))
    assert [t.key for t in negative][0] == "leaking"
    assert "leaking" not in {t.key for t in backend.emerging_topics(_windows(polarity="positive"))}
    assert "leaking" not in {t.key for t in backend.emerging_topics(_windows(min_count=9))}
    scoped = backend.emerging_topics(_windows(q="漏液"))
    assert scoped == []  # documents about 漏液 have no baseline to compare with


def test_emerging_validates_windows():
    with pytest.raises(ValueError):
        EmergingQuery(current_since=NOW, current_until=NOW, baseline_since=NOW - timedelta(days=1), baseline_until=NOW)


# -- operations ------------------------------------------------------------------
# -- erasure (takedown requests) ----------------------------------------------------------
def _by(author: str, *docs):
    return [d.model_copy(update={"author_hash": author}) for d in docs]


def test_erase_one_document_removes_it_everywhere(loaded):
    gone = next(d for d in corpus() if d.source_id == "zh6")
    record = loaded.erase(ErasureKind.document, gone.id, actor="key-ops")
    assert (record.kind, record.key, record.actor, record.documents) == (ErasureKind.document, gone.id, "key-ops", 1)
    with pytest.raises(DocumentNotFound):
        loaded.get(gone.id)
    assert loaded.count() == 9 and "zh6" not in sids(search(loaded, "漏液"))
    # analytics forget it too: topics, keywords, trends (SQLite answers plain trends from rollups)
    assert not any(k.keyword == "漏液" for k in loaded.top_keywords(TopQuery(limit=100)))
    quality = {t.topic: t for t in loaded.top_topics(TopQuery())}["quality"]
    assert (quality.count, quality.negative) == (3, 0)
    trend = loaded.trends(TrendQuery(interval="day", filters=Filters(since=NOW - timedelta(days=7), until=NOW)))
    assert sum(b.volume for b in trend.series[0].buckets) == 9


def test_erase_by_author_removes_every_document_of_that_author(backend):
    mine = _by("a_alice", doc("a1", "物流太慢"), doc("a2", "客服很差", source="weibo"))
    backend.upsert(mine + _by("a_bob", doc("b1", "物流太慢了")) + [doc("n1", "物流一般")])
    record = backend.erase(ErasureKind.author, "a_alice", actor="cli")
    assert (record.kind, record.key, record.documents) == (ErasureKind.author, "a_alice", 2)
    assert {h.document.source_id for h in search(backend).hits} == {"b1", "n1"}
    # an author with nothing stored is still remembered (a takedown before the crawl)
    assert backend.erase(ErasureKind.author, "a_nobody", actor="cli").documents == 0
    assert backend.erased(author_hashes=["a_alice", "a_nobody", "a_bob"]) == {"a_alice", "a_nobody"}


def test_erased_documents_and_authors_are_refused_on_re_ingest(backend):
    one, two = doc("r1", "物流太慢"), doc("r2", "包装破了")
    backend.upsert([one, two] + _by("a_carol", doc("c1", "客服很差")))
    backend.erase(ErasureKind.document, one.id, actor="cli")
    backend.erase(ErasureKind.author, "a_carol", actor="cli")
    again = [one, two] + _by("a_carol", doc("c1", "客服很差"), doc("c2", "新的评论"))
    result = backend.upsert(again)
    assert (result.created, result.updated, result.erased) == (0, 1, 3)
    assert result.ids == [two.id] and set(result.erased_ids) == {one.id, again[2].id, again[3].id}
    assert {h.document.source_id for h in search(backend).hits} == {"r2"}
    # a document of an erased author is refused by its id too, even if it comes back without the author
    assert backend.upsert([doc("c1", "客服很差")]).erased == 1
    assert backend.erased([one.id, two.id]) == {one.id}


def test_erasing_an_unknown_document_is_not_found_and_erasing_twice_is_logged(backend):
    with pytest.raises(DocumentNotFound):
        backend.erase(ErasureKind.document, "0" * 32, actor="cli")
    d = doc("t1", "物流太慢")
    backend.upsert([d])
    backend.erase(ErasureKind.document, d.id, actor="key-a")
    again = backend.erase(ErasureKind.document, d.id, actor="key-b")
    assert again.documents == 0
    assert [(r.kind, r.key, r.actor, r.documents) for r in backend.erasures()] == [
        (ErasureKind.document, d.id, "key-b", 0), (ErasureKind.document, d.id, "key-a", 1)]
    # a takedown before the document arrives (or re-applied after restoring a backup)
    early = doc("t2", "还没爬到")
    assert backend.erase(ErasureKind.document, early.id, actor="cli", must_exist=False).documents == 0
    assert backend.upsert([early]).erased == 1
    log = json.dumps([r.model_dump(mode="json") for r in backend.erasures()], ensure_ascii=False)
    # the log holds ids, hashes, times, actors and counts: never the text
    assert log.count('"kind"') == 3 and "物流" not in log and "还没" not in log


def _tombstones(backend, batch_size=1000) -> list[tuple[ErasureKind, str]]:
    return [(t.kind, t.key) for batch in backend.iter_tombstones(batch_size) for t in batch]


def test_iter_tombstones_lists_every_erased_id_and_author_in_order(backend):
    assert _tombstones(backend) == []
    mine = _by("a_alice", doc("a1", "物流太慢"), doc("a2", "客服很差"))
    one = doc("o1", "包装破了")
    backend.upsert([*mine, one, doc("k1", "还行")])
    before = datetime.now(UTC) - timedelta(seconds=1)
    backend.erase(ErasureKind.author, "a_alice", actor="cli")
    backend.erase(ErasureKind.document, one.id, actor="cli")
    expected = sorted([(ErasureKind.author, "a_alice"), *((ErasureKind.document, d.id) for d in [*mine, one])],
                      key=lambda t: (t[0].value, t[1]))
    assert _tombstones(backend, batch_size=2) == expected  # batches of 2, 2 and 0: paging is exact
    assert all(before <= t.at <= datetime.now(UTC) for batch in backend.iter_tombstones() for t in batch)


def test_add_tombstones_refuses_and_removes_what_another_backend_erased(backend):
    mine = _by("a_alice", doc("a1", "物流太慢"), doc("a2", "客服很差"))
    gone, kept = doc("g1", "电池漏液"), doc("k1", "还行")
    backend.upsert([*mine, gone, kept])
    then = datetime(2026, 1, 5, 8, 30, 0, 123000, tzinfo=UTC)
    added = [Tombstone(kind=ErasureKind.document, key=gone.id, at=then),
             Tombstone(kind=ErasureKind.author, key="a_alice", at=then + timedelta(days=1)),
             Tombstone(kind=ErasureKind.document, key="f" * 32, at=then)]  # erased before it was ever stored here
    assert backend.add_tombstones(added) == 3
    assert {h.document.source_id for h in search(backend).hits} == {"k1"}
    assert backend.erased([gone.id, "f" * 32, mine[0].id, kept.id], ["a_alice"]) == {gone.id, "f" * 32, mine[0].id, "a_alice"}
    # every later write refuses them, and nothing was logged: the erasures were made elsewhere
    again = backend.upsert([*mine, gone, *_by("a_alice", doc("a3", "新的评论"))])
    assert (again.created, again.updated, again.erased) == (0, 0, 4)
    assert backend.erasures() == []
    # the times come across exactly; adding again changes nothing (a tombstone keeps its first time)
    assert backend.add_tombstones([Tombstone(kind=ErasureKind.document, key=gone.id, at=NOW)]) == 0
    at = {(t.kind, t.key): t.at for batch in backend.iter_tombstones() for t in batch}
    assert at == {(ErasureKind.document, gone.id): then, (ErasureKind.document, "f" * 32): then,
                  (ErasureKind.author, "a_alice"): then + timedelta(days=1),
                  **{(ErasureKind.document, d.id): then + timedelta(days=1) for d in mine}}
    assert backend.add_tombstones([]) == 0


def test_tombstones_round_trip_between_backends(backend, tmp_path):
    from index.sqlite import SQLiteBackend

    with SQLiteBackend(tmp_path / "other.db") as other:
        erased = doc("x1", "物流太慢")
        other.upsert([erased])
        other.erase(ErasureKind.document, erased.id, actor="cli")
        other.erase(ErasureKind.author, "a_zoe", actor="cli")
        backend.upsert([erased, doc("x2", "还行")])
        assert other.copy_tombstones_to(backend, batch_size=1) == 1
        assert _tombstones(backend) == _tombstones(other)
        assert backend.upsert([erased]).erased == 1 and backend.count() == 1
        # and back: what the backend holds, a fresh file refuses too
        with SQLiteBackend(tmp_path / "third.db") as third:
            backend.copy_tombstones_to(third)
            assert third.upsert([erased, *_by("a_zoe", doc("z1", "新的"))]).erased == 2


def test_migrate_reports_the_current_schema(backend):
    report = backend.migrate()
    assert report.schema_version >= 1 and report.moved == 0 and report.summary
    assert report.model_dump() == backend.migrate().model_dump()  # nothing left to do the second time


def test_health(loaded):
    h = loaded.health()
    assert h["backend"] == loaded.name and h["documents"] == 10 and h["status"] == "ok"


def test_concurrent_searches_while_writing(backend):
    backend.upsert(corpus())
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader():
        try:
            while not stop.is_set():
                result = backend.search(SearchQuery(q="物流", limit=5))
                assert result.total >= 3
                backend.trends(TrendQuery(tz="Asia/Shanghai"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for batch in range(5):
            backend.upsert([doc(f"w{batch}-{i}", f"物流 第{i}条", created_at=NOW - timedelta(hours=i)) for i in range(20)])
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors
    assert backend.count("物流") == 103


# -- document vectors and similar: (issue 19) ----------------------------------------------
def _vectored() -> dict[str, object]:
    return {d.source_id: d for d in with_vectors(corpus())}


@pytest.fixture
def vectored(backend):
    """The backend holding the shared corpus, every document with a vector (zh2, then en4, planted near zh1)."""
    backend.upsert(list(_vectored().values()))
    return backend


def _cosine(a, b) -> float:
    import numpy as np

    x, y = a.array(), b.array()
    return float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))


def test_vectors_round_trip_but_never_in_search_hits_or_json(backend):
    docs = with_vectors(corpus())
    docs[5] = docs[5].model_copy(update={"vector": None})  # en3: indexed before vectors, or by the lexicon model
    backend.upsert(docs)
    for d in docs:
        assert backend.get(d.id).vector == d.vector
    assert backend.vectors([d.id for d in docs] + ["f" * 32]) == {d.id: d.vector for d in docs if d.vector}
    # whole scans carry them: index copy, reclassify and migrations read documents this way
    assert {d.id: d.vector for b in backend.iter_documents(batch_size=3) for d in b} == {d.id: d.vector for d in docs}
    hits = search(backend).hits
    assert len(hits) == 10 and all(h.document.vector is None for h in hits)
    assert '"vector"' not in json.dumps([h.model_dump(mode="json") for h in hits])
    assert '"vector"' not in backend.get(docs[0].id).model_dump_json()
    assert backend.health()["vectors"] == 9
    # a document written again without one loses it: the vector belongs to what was written
    backend.upsert([docs[0].model_copy(update={"vector": None})])
    assert backend.get(docs[0].id).vector is None and backend.vectors([docs[0].id]) == {}


def test_texts_give_title_and_text_of_the_ids_asked_for(loaded):
    docs = {d.source_id: d for d in corpus()}
    titled = next(d for d in docs.values() if d.title)
    plain = next(d for d in docs.values() if not d.title)
    asked = [titled.id, plain.id, "f" * 32, plain.id]
    assert loaded.texts(asked) == {titled.id: f"{titled.title}\n{titled.text}", plain.id: plain.text}
    assert loaded.texts([]) == {}
    assert len(loaded.texts([d.id for d in docs.values()])) == len(docs)


def test_iter_vectors_in_id_order_with_query_model_and_resume(backend):
    import numpy as np

    docs = with_vectors(corpus())
    other = with_vectors([doc("o1", "另一个模型的向量")], model="enc-other")
    backend.upsert(docs + other + [doc("n1", "没有向量")])
    want = {d.id: d.vector for d in docs + other}
    batches = list(backend.iter_vectors(batch_size=4))
    ids = [i for b in batches for i in b.ids]
    assert [len(b) for b in batches] == [4, 4, 3] and ids == sorted(want)
    for b in batches:
        floats, unit = b.floats(), b.unit()
        for row, doc_id in enumerate(b.ids):
            v = want[doc_id]
            assert (b.models[row], b.values[row].tobytes(), float(b.scales[row])) == (v.model, v.values, v.scale)
            assert np.allclose(floats[row], v.array()) and abs(float(np.linalg.norm(unit[row])) - 1) < 1e-5
    assert [i for b in backend.iter_vectors(model=VECTOR_MODEL) for i in b.ids] == sorted(d.id for d in docs)
    assert [i for b in backend.iter_vectors(model="enc-other") for i in b.ids] == [other[0].id]
    negative_zh = sorted(d.id for d in docs if d.lang == "zh" and d.sentiment.label.value == "negative")
    assert [i for b in backend.iter_vectors("sentiment:negative", Filters(lang=["zh"])) for i in b.ids] == negative_zh
    assert [i for b in backend.iter_vectors(batch_size=100, after_id=ids[4]) for i in b.ids] == ids[5:]


def test_similar_finds_the_planted_near_duplicate_first(vectored):
    d = _vectored()
    zh1 = d["zh1"].id
    result = vectored.search(SearchQuery(q=f"similar:{zh1}", limit=3))
    assert [h.document.source_id for h in result.hits][:2] == ["zh2", "en4"]
    assert result.total == 9  # every other document with a vector; never zh1 itself
    assert result.hits[0].score == pytest.approx(_cosine(d["zh1"].vector, d["zh2"].vector), abs=1e-3)
    assert result.hits[0].score > 0.98 and 0.5 < result.hits[1].score < 0.85 and result.hits[2].score < 0.35
    assert vectored.similar(zh1, limit=1).hits[0].document.source_id == "zh2"
    # a set like a filter: it narrows, and text and filters narrow the candidates
    assert sids(search(vectored, f"similar:{zh1}:2")) == {"zh2", "en4"} and vectored.count(f"similar:{zh1}:2") == 2
    assert [h.document.source_id for h in search(vectored, f"similar:{zh1} 物流").hits] == ["zh2", "zh3"]
    narrowed = vectored.similar(zh1, limit=3, filters=Filters(lang=["en"]))
    assert [h.document.source_id for h in narrowed.hits][0] == "en4" and {h.document.lang for h in narrowed.hits} == {"en"}
    trend = vectored.trends(TrendQuery(q=f"similar:{zh1}:2"))
    assert sum(b.volume for b in trend.series[0].buckets) == 2
    assert {t.topic: t.count for t in vectored.top_topics(TopQuery(q=f"similar:{zh1}:2"))} == {
        "logistics": 2, "packaging": 1, "quality": 1}
    by_date = search(vectored, f"similar:{zh1}:2", sort="newest")
    assert [h.document.source_id for h in by_date.hits] == ["zh2", "en4"] and by_date.hits[0].score is None


def test_similar_pages_with_cursors_through_the_same_ranking(vectored):
    zh1 = _vectored()["zh1"].id
    whole = [h.document.id for h in search(vectored, f"similar:{zh1}").hits]
    pages, cursor = [], None
    while True:
        result = vectored.search(SearchQuery(q=f"similar:{zh1}", limit=4, cursor=cursor))
        pages += [h.document.id for h in result.hits]
        cursor = result.next_cursor
        if cursor is None:
            break
    assert pages == whole and len(whole) == 9


def test_similar_compares_only_vectors_of_one_encoder_and_needs_one(vectored):
    d = _vectored()
    twin = doc("twin", "另一个模型", lang="zh").model_copy(
        update={"vector": d["zh1"].vector.model_copy(update={"model": "enc-other"})})
    bare = doc("bare", "没有向量")
    vectored.upsert([twin, bare])
    assert "twin" not in sids(search(vectored, f"similar:{d['zh1'].id}"))
    assert search(vectored, f"similar:{twin.id}").total == 0
    with pytest.raises(NoVector, match="reclassify"):
        vectored.search(SearchQuery(q=f"similar:{bare.id}"))
    with pytest.raises(NoVector):
        vectored.similar(bare.id)
    with pytest.raises(InvalidQuery, match="no document"):
        vectored.count(f"similar:{'f' * 32}")
    with pytest.raises(DocumentNotFound):
        vectored.similar("f" * 32)


def test_index_copy_carries_vectors_both_ways(backend, tmp_path):
    from api.cli.index import copy_documents
    from index.sqlite import SQLiteBackend

    docs = with_vectors(corpus())
    ids = [d.id for d in docs]
    with SQLiteBackend(tmp_path / "src.db") as src, SQLiteBackend(tmp_path / "back.db") as back:
        src.upsert(docs)
        assert copy_documents(src, backend, batch_size=4) == 10
        assert backend.vectors(ids) == {d.id: d.vector for d in docs}
        assert copy_documents(backend, back, batch_size=3) == 10
        assert back.vectors(ids) == {d.id: d.vector for d in docs}
        zh1 = docs[0].id
        assert [h.document.id for h in back.search(SearchQuery(q=f"similar:{zh1}:3")).hits] == [
            h.document.id for h in backend.search(SearchQuery(q=f"similar:{zh1}:3")).hits]


def test_erasure_removes_the_vector(vectored):
    d = _vectored()
    zh2 = d["zh2"]
    vectored.erase(ErasureKind.document, zh2.id, actor="cli")
    assert vectored.vectors([zh2.id]) == {}
    assert zh2.id not in [i for b in vectored.iter_vectors() for i in b.ids]
    assert [h.document.source_id for h in search(vectored, f"similar:{d['zh1'].id}").hits][0] == "en4"
    assert vectored.health()["vectors"] == 9


# -- hostile queries (issue 23) ------------------------------------------------------------
#: Query strings no caller should send; each is answered with results or ``InvalidQuery``, nothing else.
HOSTILE_QUERIES = {
    "10000-chars": "物流" * 2500 + "x" * 5000,
    "10000-chars-of-terms": " ".join(["quality"] * 1250)[:10000],
    "10000-chars-of-quotes": '"' * 10000,
    "nested-quotes": '"a "b "c" d" e"',
    "nested-quotes-unbalanced": '""物流"" "\'"\'"slow',
    "quote-in-field": 'brand:"Vol"tra" topic:"logistics',
    "control-chars": "物流\x00\x01\x07\x08\x1b[31m\x7f\u2028\u202e",
    "nul-only": "\x00",
    "nul-in-field": "brand:\x00 topic:\x00:negative",
    "unknown-field": "nosuchfield:物流",
    "calendar-edge-dates": "since:0001-01-01T00:00:00+14:00 until:9999-12-31T23:59:59-14:00",
    "huge-integer": "rating:" + "1" + "0" * 30,
    "operators-only": "OR AND NOT - -- ( ) * ? ~ ^ : \\",
}


def _hostile(cls, q):
    """The query object as if its length were not checked first, so the backend itself meets ``q``."""
    return cls().model_copy(update={"q": q})


def test_hostile_query_lengths_are_refused_before_the_backend():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        SearchQuery(q=HOSTILE_QUERIES["10000-chars"])
    with pytest.raises(ValidationError):
        TrendQuery(q=HOSTILE_QUERIES["10000-chars"])


@pytest.mark.parametrize("name", list(HOSTILE_QUERIES))
def test_hostile_queries_answer_results_or_invalid_query(loaded, name):
    q = HOSTILE_QUERIES[name]
    for call, cls in ((loaded.search, SearchQuery), (loaded.trends, TrendQuery)):
        try:
            result = call(_hostile(cls, q))
        except InvalidQuery:
            continue
        assert result is not None
    try:
        assert loaded.count(q) >= 0
    except InvalidQuery:
        pass
