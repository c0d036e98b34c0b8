"""Score trends and key-driver data on Elasticsearch (``scores.<name>`` doubles, see ``_es_schema``).

Trends ask one aggregation: a ``date_histogram`` in the query's time zone (per split value, or
per topic inside ``topics`` and back out with ``reverse_nested``) with each bucket's
``extended_stats`` of the score and two range filters (promoters / top boxes, detractors).
Drivers read every matching response's score and topics with ``search_after``. Both end in
the same pure code as SQLite's (``_score_trends``, ``index.drivers``).
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
from .drivers import Responses
from .scoring import Metric, ScoreSplit, ScoreTrendQuery, ScoreTrendResult

Search = Callable[..., dict]
_SPLIT_FIELDS = {ScoreSplit.brand: "brand", ScoreSplit.channel: "channel", ScoreSplit.source: "source"}
_SCAN_PAGE = 5000


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


def responses(search: Search, es_query: dict, metric: Metric) -> Responses:
    """Every matching response's score and its ``topic:polarity`` labels, read in id order."""
    field = _field(metric)
    es_query = and_filters(es_query, {"exists": {"field": field}})
    scores: list[float] = []
    rows: list[int] = []
    labels: list[str] = []
    after = None
    while True:
        extra = {"search_after": after} if after else {}
        resp = search("score responses", query=es_query, size=_SCAN_PAGE, sort=[{"id": "asc"}], track_total_hits=False,
                      source=[field, "topics.topic", "topics.polarity"], **extra)
        hits = resp["hits"]["hits"]
        for hit in hits:
            source = hit["_source"]
            for t in source.get("topics") or ():
                rows.append(len(scores))
                labels.append(f"{t['topic']}:{t['polarity']}")
            scores.append(float(source["scores"][metric.name]))
        if len(hits) < _SCAN_PAGE:
            break
        after = hits[-1]["sort"]
    if not scores:
        return Responses.empty()
    if not labels:
        none = np.zeros(0, dtype=np.int64)
        return Responses(np.array(scores), none, none, [])
    names, codes = np.unique(np.array(labels, dtype=object), return_inverse=True)
    return Responses(np.array(scores), np.array(rows, dtype=np.int64), codes.astype(np.int64), [str(n) for n in names])


__all__ = ["responses", "score_trends"]
