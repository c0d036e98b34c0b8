"""Score trend buckets: backend rows of counts folded into the shared local-time buckets, then figures.

Both backends hand over rows ``(position, key, responses, sum, sum of squares, top, bottom)``
(``index.score_stats.Counts`` after the key); SQLite's position is a UTC slot number,
Elasticsearch's the start of its local bucket in seconds. The bucket list comes from
``_trend_buckets``, as for volume trends, so both answer with the same buckets and figures.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from . import score_stats
from ._trend_buckets import bucket_index
from .scoring import CONFIDENCE, ScoreBucket, ScoreSeries, ScoreSplit, ScoreTrendQuery, ScoreTrendResult

#: key -> one ``Counts`` per bucket
Accumulated = dict[str | None, list[score_stats.Counts]]


def accumulate(rows: Iterable[tuple], bounds: list[int], position: Callable[[int], int] | None = None) -> Accumulated:
    """Sum rows per key and bucket; a row's position is epoch seconds unless ``position`` maps it to a bucket."""
    n = len(bounds) - 1
    acc: Accumulated = defaultdict(lambda: [score_stats.EMPTY] * n)
    index_of: dict[int, int] = {}
    for pos, key, *counts in rows:
        i = index_of.get(pos)
        if i is None:
            i = index_of[pos] = position(pos) if position is not None else bucket_index(bounds, pos)
        if 0 <= i < n:
            series = acc[key]
            series[i] = score_stats.add(series[i], tuple(counts))
    return acc


def empty_result(query: ScoreTrendQuery) -> ScoreTrendResult:
    return _result(query, [] if query.split else [ScoreSeries(responses=0, value=None, buckets=[])])


def _result(query: ScoreTrendQuery, series: list[ScoreSeries]) -> ScoreTrendResult:
    metric = query.metric_def
    return ScoreTrendResult(metric=metric.name, unit=metric.unit, method=metric.method, confidence=CONFIDENCE,
                            interval=query.interval, tz=query.tz, series=series)


def trend_result(query: ScoreTrendQuery, acc: Accumulated, bounds: list[int], tz: ZoneInfo) -> ScoreTrendResult:
    """One series when not split, else the ``split_limit`` keys with the most responses."""
    metric = query.metric_def
    if query.split is None:
        keys: list[str | None] = [None]
    else:
        wanted = set(query.topic_keys) if query.split is ScoreSplit.topic and query.topic_keys else None
        totals = {k: sum(c[0] for c in v) for k, v in acc.items() if wanted is None or k in wanted}
        keys = sorted((k for k in totals if totals[k]), key=lambda k: (-totals[k], k))[: query.split_limit]
    series = []
    for key in keys:
        cells = acc.get(key) or [score_stats.EMPTY] * (len(bounds) - 1)
        buckets, previous = [], None
        for i, counts in enumerate(cells):
            est = score_stats.estimate(metric, counts)
            # model_construct: the values are built right here (validating thousands of buckets costs tens of ms)
            bucket = ScoreBucket.model_construct(start=datetime.fromtimestamp(bounds[i], tz), change=None, p_value=None,
                                                 significant=False, **dict(est))
            if counts[0] and previous is not None:
                before = score_stats.estimate(metric, previous)
                bucket.change = round(est.value - before.value, 6)
                p = score_stats.change_p_value(metric, previous, counts)
                bucket.p_value = None if p is None else round(p, 6)
                bucket.significant = score_stats.significant(p)
            if counts[0]:
                previous = counts
            buckets.append(bucket)
        total = score_stats.EMPTY
        for counts in cells:
            total = score_stats.add(total, counts)
        series.append(ScoreSeries(key=key, buckets=buckets, **score_stats.estimate(metric, total).model_dump()))
    return _result(query, series)


__all__ = ["Accumulated", "accumulate", "empty_result", "trend_result"]
