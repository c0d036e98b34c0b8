"""Score trends and key-driver data on Elasticsearch (``scores.<name>`` doubles, see ``_es_schema``).

Trends ask one aggregation: a ``date_histogram`` in the query's time zone (per split value, or
per topic inside ``topics`` and back out with ``reverse_nested``) with each bucket's
``extended_stats`` of the score and two range filters (promoters / top boxes, detractors).
Drivers ask one aggregation too: the score's stats overall and per (topic, polarity) (back out of
``topics`` with ``reverse_nested``), and inside each pair the pairs its responses also hold. Both
end in the same pure code as SQLite's (``_score_trends``, ``index.drivers``).
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

import numpy as np

from ._es_analytics import _CALENDAR, _MANY
from ._es_query import and_filters
from ._score_trends import accumulate, empty_result, trend_result
from ._trend_buckets import floor_local, next_boundary, trend_bounds
from .base import Filters
from .drivers import DriverStats
from .scoring import Metric, ScoreSplit, ScoreTrendQuery, ScoreTrendResult

Search = Callable[..., dict]
_SPLIT_FIELDS = {ScoreSplit.brand: "brand", ScoreSplit.channel: "channel", ScoreSplit.source: "source"}


def _field(metric: Metric) -> str:
    return f"scores.{metric.name}"


def _histogram(query: ScoreTrendQuery, metric: Metric) -> dict:
    field = _field(metric)
    aggs: dict = {"st": {"extended_stats": {"field": field}}}
    if metric.top is not None:
        aggs["top"] = {"filter": {"range": {field: {"gte": metric.top}}}}
    if metric.bottom is not None:
        aggs["bottom"] = {"filter": {"range": {field: {"lte": metric.bottom}}}}
    return {"date_histogram": {"field": "created_at", "calendar_interval": _CALENDAR[query.interval.value],
                               "time_zone": query.tz, "min_doc_count": 1}, "aggs": aggs}


def _aggs(query: ScoreTrendQuery, metric: Metric) -> dict:
    hist = _histogram(query, metric)
    if query.split is None:
        return {"h": hist}
    if query.split is ScoreSplit.topic:
        return {"t": {"nested": {"path": "topics"}, "aggs": {"k": {"terms": {"field": "topics.topic", "size": _MANY},
                                                                   "aggs": {"r": {"reverse_nested": {}, "aggs": {"h": hist}}}}}}}
    return {"k": {"terms": {"field": _SPLIT_FIELDS[query.split], "size": _MANY}, "aggs": {"h": hist}}}


def _rows(raw: dict, split: ScoreSplit | None) -> list[tuple]:
    """Rows ``(bucket start s, key, responses, sum, sum of squares, top, bottom)``."""

    def read(hist: dict, key: str | None) -> list[tuple]:
        return [(b["key"] // 1000, key, b["st"]["count"], b["st"]["sum"] or 0.0, b["st"]["sum_of_squares"] or 0.0,
                 b.get("top", {}).get("doc_count", 0), b.get("bottom", {}).get("doc_count", 0))
                for b in hist["buckets"]]

    if not raw:
        return []
    if split is None:
        return read(raw["h"], None)
    if split is ScoreSplit.topic:
        return [row for b in raw["t"]["k"]["buckets"] for row in read(b["r"]["h"], str(b["key"]))]
    return [row for b in raw["k"]["buckets"] for row in read(b["h"], str(b["key"]))]


def score_trends(search: Search, es_query: dict, filters: Filters, query: ScoreTrendQuery,
                 timeout_ms: int) -> ScoreTrendResult:
    metric = query.metric_def
    es_query = and_filters(es_query, {"exists": {"field": _field(metric)}})
    resp = search("score trends", query=es_query, size=0, aggs=_aggs(query, metric), track_total_hits=False,
                  timeout=f"{timeout_ms}ms")
    rows = _rows(resp.get("aggregations", {}), query.split)
    if not rows and not (filters.since and filters.until):
        return empty_result(query)
    tz = ZoneInfo(query.tz)
    starts = [r[0] for r in rows]
    bounds = trend_bounds(filters, tz, query.interval, lambda: min(starts),
                          lambda: next_boundary(floor_local(max(starts), tz, query.interval), tz, query.interval))
    return trend_result(query, accumulate(rows, bounds), bounds, tz)


def _pair_terms(inner: dict | None = None) -> dict:
    """Buckets per topic, then per polarity, inside ``topics`` (a response holds each topic once)."""
    polarity: dict = {"terms": {"field": "topics.polarity", "size": 10}}
    if inner:
        polarity["aggs"] = inner
    return {"terms": {"field": "topics.topic", "size": _MANY}, "aggs": {"p": polarity}}


def _counts(node: dict) -> tuple[float, ...]:
    st = node["st"]
    return (st["count"], st["sum"] or 0.0, st["sum_of_squares"] or 0.0,
            node.get("top", {}).get("doc_count", 0), node.get("bottom", {}).get("doc_count", 0))


def driver_stats(search: Search, es_query: dict, metric: Metric) -> DriverStats:
    """One aggregation: the score's stats overall and per (topic, polarity), and each two pairs' shared responses."""
    field = _field(metric)
    stats = _histogram(ScoreTrendQuery(metric=metric.name), metric)["aggs"]
    together = {"n": {"nested": {"path": "topics"}, "aggs": {"k": _pair_terms()}}}
    per_pair = {"r": {"reverse_nested": {}, "aggs": {**stats, **together}}}
    aggs = {**stats, "t": {"nested": {"path": "topics"}, "aggs": {"k": _pair_terms(per_pair)}}}
    resp = search("driver stats", query=and_filters(es_query, {"exists": {"field": field}}), size=0,
                  track_total_hits=False, aggs=aggs)
    raw = resp.get("aggregations") or {}
    if not raw or not raw["st"]["count"]:
        return DriverStats.empty()
    rows: dict[str, tuple] = {}
    shared: dict[tuple[str, str], int] = {}
    for tb in raw["t"]["k"]["buckets"]:
        for pb in tb["p"]["buckets"]:
            name = f"{tb['key']}:{pb['key']}"
            rows[name] = _counts(pb["r"])
            for tb2 in pb["r"]["n"]["k"]["buckets"]:
                for pb2 in tb2["p"]["buckets"]:
                    shared[(name, f"{tb2['key']}:{pb2['key']}")] = pb2["doc_count"]
    names = sorted(rows)
    index = {name: j for j, name in enumerate(names)}
    together_counts = np.zeros((len(names), len(names)))
    for (a, b), n in shared.items():
        together_counts[index[a], index[b]] = n
    pairs = np.array([rows[name] for name in names], dtype=float).reshape(len(names), 5)
    return DriverStats(tuple(float(v) for v in _counts(raw)), names, pairs, together_counts)


__all__ = ["driver_stats", "score_trends"]
