"""Trends, top and emerging topics and keywords as Elasticsearch aggregations.

Each function takes the backend's ``search(what, **body) -> dict`` and the
query built from the request's text and filters (``_es_query.build_query``),
asks for the aggregations it needs and reads them into the shared result
models. Trend buckets go through ``_trend_buckets`` and emerging items are
ranked by ``index.stats``, as on SQLite, so both backends answer alike.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from ._es_query import and_filters, date_range
from ._trend_buckets import accumulate, empty_trend, floor_local, next_boundary, trend_bounds, trend_result
from .base import Emerging, EmergingQuery, Filters, KeywordCount, Split, TopicCount, TopQuery, TrendQuery, TrendResult
from .stats import emerging

#: ``search(what, **body)``: the backend's search call, answering the response body.
Search = Callable[..., dict]

_CALENDAR = {"hour": "hour", "day": "day", "week": "week", "month": "month"}
_MANY = 10_000  # terms buckets asked for where every key is wanted (topics, split values)


def _terms(field: str, size: int, **extra) -> dict:
    return {"terms": {"field": field, "size": size, "shard_size": max(size * 4, 1000), **extra}}


# -- trends ------------------------------------------------------------------------
def _trend_aggs(query: TrendQuery) -> dict:
    topic = query.split is Split.topic
    prefix = "topics." if topic else ""
    histogram = {
        "date_histogram": {"field": f"{prefix}created_at", "calendar_interval": _CALENDAR[query.interval.value],
                           "time_zone": query.tz, "min_doc_count": 1},
        "aggs": {
            "neg": {"filter": {"term": {"topics.polarity" if topic else "sentiment": "negative"}}},
            "rs": {"sum": {"field": f"{prefix}rating"}},
            "rn": {"value_count": {"field": f"{prefix}rating"}},
        },
    }
    if query.split is None:
        return {"h": histogram}
    if topic:
        # the query already limits documents to since/until; topics carry their document's created_at
        return {"t": {"nested": {"path": "topics"},
                      "aggs": {"k": {"terms": {"field": "topics.topic", "size": _MANY}, "aggs": {"h": histogram}}}}}
    return {"k": {"terms": {"field": query.split.value, "size": _MANY}, "aggs": {"h": histogram}}}


def _trend_rows(raw: dict, split: Split | None) -> list[tuple]:
    """Rows ``(bucket start s, key, volume, negative, rating sum, rating count)`` of the histogram(s)."""

    def read(hist: dict, key: str | None) -> list[tuple]:
        return [(b["key"] // 1000, key, b["doc_count"], b["neg"]["doc_count"], b["rs"]["value"] or 0.0, b["rn"]["value"])
                for b in hist["buckets"]]

    if split is None:
        return read(raw.get("h", {"buckets": []}), None)
    node = (raw["t"]["k"] if split is Split.topic else raw["k"]) if raw else {"buckets": []}
    return [row for b in node["buckets"] for row in read(b["h"], str(b["key"]))]


def trends(search: Search, es_query: dict, filters: Filters, query: TrendQuery, timeout_ms: int) -> TrendResult:
    """Buckets come from ``date_histogram`` in the query's time zone, mapped onto the shared bucket list."""
    resp = search("trends", query=es_query, size=0, aggs=_trend_aggs(query), track_total_hits=False,
                  timeout=f"{timeout_ms}ms")
    rows = _trend_rows(resp.get("aggregations", {}), query.split)
    if not rows and not (filters.since and filters.until):
        return empty_trend(query)
    tz = ZoneInfo(query.tz)
    starts = [r[0] for r in rows]
    bounds = trend_bounds(filters, tz, query.interval, lambda: min(starts),
                          lambda: next_boundary(floor_local(max(starts), tz, query.interval), tz, query.interval))
    return trend_result(query, accumulate(rows, bounds), bounds, tz)


# -- top -------------------------------------------------------------------------------
def top_topics(search: Search, es_query: dict, query: TopQuery) -> list[TopicCount]:
    per_topic = {**_terms("topics.topic", _MANY), "aggs": {"neg": {"filter": {"term": {"topics.polarity": "negative"}}}}}
    if query.polarity is not None:
        per_topic = {"filter": {"term": {"topics.polarity": query.polarity.value}}, "aggs": {"k": per_topic}}
        nested = {"nested": {"path": "topics"}, "aggs": {"p": per_topic}}
    else:
        nested = {"nested": {"path": "topics"}, "aggs": {"k": per_topic}}
    resp = search("top topics", query=es_query, size=0, track_total_hits=True, aggs={"t": nested})
    total = resp["hits"]["total"]["value"]
    node = resp["aggregations"]["t"]
    node = node["p"]["k"] if "p" in node else node["k"]
    rows = sorted(((b["key"], b["doc_count"], b["neg"]["doc_count"]) for b in node["buckets"]), key=lambda r: (-r[1], r[0]))
    return [TopicCount(topic=t, count=n, negative=neg, share=n / total if total else 0.0) for t, n, neg in rows[: query.limit]]


def top_keywords(search: Search, es_query: dict, query: TopQuery) -> list[KeywordCount]:
    if query.polarity is not None:
        es_query = and_filters(es_query, {"term": {"sentiment": query.polarity.value}})
    terms = _terms("keywords", query.limit, order=[{"_count": "desc"}, {"_key": "asc"}])
    resp = search("top keywords", query=es_query, size=0, track_total_hits=False, aggs={"k": terms})
    rows = sorted(((b["key"], b["doc_count"]) for b in resp["aggregations"]["k"]["buckets"]), key=lambda r: (-r[1], r[0]))
    return [KeywordCount(keyword=k, count=n) for k, n in rows[: query.limit]]


# -- emerging ----------------------------------------------------------------------------
def _windows(query: EmergingQuery) -> tuple[dict, dict]:
    return (date_range("created_at", query.current_since, query.current_until),
            date_range("created_at", query.baseline_since, query.baseline_until))


def emerging_topics(search: Search, es_query: dict, query: EmergingQuery) -> list[Emerging]:
    cur, base = _windows(query)
    per_topic: dict = {"k": {"terms": {"field": "topics.topic", "size": _MANY}}}
    if query.polarity is not None:
        per_topic = {"p": {"filter": {"term": {"topics.polarity": query.polarity.value}}, "aggs": per_topic}}
    window = {"t": {"nested": {"path": "topics"}, "aggs": per_topic}}
    aggs = {"cur": {"filter": cur, "aggs": window}, "base": {"filter": base, "aggs": window}}
    resp = search("emerging topics", query=es_query, size=0, track_total_hits=False, aggs=aggs)
    out = resp["aggregations"]

    def counts(win: dict) -> dict[str, int]:
        node = win["t"]["p"] if "p" in win["t"] else win["t"]
        return {b["key"]: b["doc_count"] for b in node["k"]["buckets"]}

    return emerging(counts(out["cur"]), counts(out["base"]), out["cur"]["doc_count"], out["base"]["doc_count"],
                    min_count=query.min_count, limit=query.limit)


def emerging_keywords(search: Search, es_query: dict, query: EmergingQuery) -> list[Emerging]:
    """Only keywords seen ``min_count`` times in the (short) current window can
    emerge: those are found first, then counted in the (long) baseline.
    """
    cur, base = _windows(query)
    polarity = {"term": {"sentiment": query.polarity.value}} if query.polarity is not None else None
    current_terms = {"terms": {"field": "keywords", "size": 65_000 // 2, "min_doc_count": query.min_count}}
    aggs = {
        "cur": {"filter": cur, "aggs": {"k": {"filter": polarity or {"match_all": {}}, "aggs": {"k": current_terms}}}},
        "base": {"filter": base},
    }
    resp = search("emerging keywords", query=es_query, size=0, track_total_hits=False, aggs=aggs)
    out = resp["aggregations"]
    current = {b["key"]: b["doc_count"] for b in out["cur"]["k"]["k"]["buckets"]}
    baseline: dict[str, int] = {}
    keys = list(current)
    for i in range(0, len(keys), 5000):
        chunk = keys[i : i + 5000]
        resp = search("emerging keywords baseline", size=0, track_total_hits=False,
                      query=and_filters(es_query, base, polarity),
                      aggs={"k": {"terms": {"field": "keywords", "size": len(chunk), "include": chunk}}})
        baseline.update({b["key"]: b["doc_count"] for b in resp["aggregations"]["k"]["buckets"]})
    return emerging(current, baseline, out["cur"]["doc_count"], out["base"]["doc_count"],
                    min_count=query.min_count, limit=query.limit)


__all__ = ["emerging_keywords", "emerging_topics", "top_keywords", "top_topics", "trends"]
