"""Trend buckets in local time, computed in Python so both backends answer with the same buckets.

Buckets are aligned to local midnight / local hours / Monday / the 1st, with
``zoneinfo`` handling DST: a local day can be 23 or 25 hours long, and the
repeated hour of an autumn night is two buckets with different offsets.
SQLite, which knows no time zones, counts per UTC slot and folds the slots
into these buckets (``_sqlite_trends``); Elasticsearch counts per local
bucket with ``date_histogram`` and maps its keys onto them. Either way the
bucket list (gaps filled, the date range, the bucket limit) and the series
built from the counts come from here.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from .base import Filters, Interval, Split, TrendBucket, TrendQuery, TrendResult, TrendSeries
from .errors import InvalidQuery

#: Most buckets one trend query may produce (a year of hours is 8,760).
MAX_BUCKETS = 20_000


def floor_local(ts: int, tz: ZoneInfo, interval: Interval) -> int:
    """Start (epoch seconds) of the local bucket holding ``ts``."""
    dt = datetime.fromtimestamp(ts, tz)
    if interval is Interval.hour:
        start = dt.replace(minute=0, second=0, microsecond=0)
        return int(start.timestamp())
    day = dt.date()
    if interval is Interval.week:
        day -= timedelta(days=day.weekday())
    elif interval is Interval.month:
        day = day.replace(day=1)
    return int(datetime.combine(day, time(), tzinfo=tz).timestamp())


def next_boundary(start: int, tz: ZoneInfo, interval: Interval) -> int:
    """Start of the bucket after the one starting at ``start``."""
    if interval is Interval.hour:
        return floor_local(start + 3600, tz, interval)
    day = datetime.fromtimestamp(start, tz).date()
    if interval is Interval.day:
        day += timedelta(days=1)
    elif interval is Interval.week:
        day += timedelta(days=7)
    else:
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    nxt = int(datetime.combine(day, time(), tzinfo=tz).timestamp())
    return nxt if nxt > start else floor_local(start + 1, tz, interval)  # defensive: always advance


def boundaries(lo: int, hi: int, tz: ZoneInfo, interval: Interval) -> list[int]:
    """Bucket starts covering [lo, hi) (epoch seconds), plus the end of the last bucket.

    Raises:
        ValueError: more than ``MAX_BUCKETS`` buckets.
    """
    out = [floor_local(lo, tz, interval)]
    if interval is Interval.hour and _whole_hour_offsets(tz, lo, hi):
        # local hours are UTC hours: plain arithmetic, DST included
        count = -(-(hi - out[0]) // 3600)
        if count > MAX_BUCKETS:
            raise ValueError(f"more than {MAX_BUCKETS} buckets; use a larger interval or a shorter date range")
        return list(range(out[0], out[0] + 3600 * max(count, 1) + 1, 3600))
    while out[-1] < hi:
        out.append(next_boundary(out[-1], tz, interval))
        if len(out) > MAX_BUCKETS + 1:
            raise ValueError(f"more than {MAX_BUCKETS} buckets; use a larger interval or a shorter date range")
    if len(out) == 1:
        out.append(next_boundary(out[0], tz, interval))
    return out


def _whole_hour_offsets(tz: ZoneInfo, lo: int, hi: int) -> bool:
    # Offsets checked daily across the range (and at its ends): cheap, and
    # every real zone keeps an offset for at least a day.
    step = 86400
    return all(
        int(datetime.fromtimestamp(t, tz).utcoffset().total_seconds()) % 3600 == 0
        for t in [*range(lo, hi, step), hi]
    )


def bucket_index(bounds: list[int], ts: int) -> int:
    """Index of the bucket holding ``ts`` (seconds), or -1 / len-1 when outside."""
    return bisect_right(bounds, ts) - 1


# -- from counts to a result ---------------------------------------------------------
def trend_bounds(filters: Filters, tz: ZoneInfo, interval: Interval, first: Callable[[], int],
                 end: Callable[[], int]) -> list[int]:
    """Bucket boundaries from ``since`` (else ``first()``, the earliest data) to ``until`` (else ``end()``).

    ``first`` and ``end`` are only called when the filter leaves that side open,
    so a backend computes them from its data only then.

    Raises:
        InvalidQuery: (``field="interval"``) more than ``MAX_BUCKETS`` buckets.
    """
    lo = int(filters.since.timestamp()) if filters.since else first()
    hi = math.ceil(filters.until.timestamp()) if filters.until else end()
    try:
        return boundaries(lo, hi, tz, interval)
    except ValueError as exc:
        raise InvalidQuery(str(exc), field="interval") from None


def empty_trend(query: TrendQuery) -> TrendResult:
    """The answer when nothing matches and the filters give no date range to chart."""
    return TrendResult(interval=query.interval, tz=query.tz, series=[] if query.split else [TrendSeries(buckets=[])])


#: key -> one ``[volume, negative, rating sum, rating count]`` per bucket
Accumulated = dict[str | None, list[list]]


def accumulate(rows: Iterable[tuple], bounds: list[int], position: Callable[[int], int] | None = None) -> Accumulated:
    """Sum rows ``(position, key, volume, negative, rating_sum, rating_n)`` per key and bucket.

    A row's position is epoch seconds unless ``position`` maps it to a bucket
    index (SQLite groups by UTC slot numbers, or by bucket when folded).
    Rows outside the buckets are left out.
    """
    n = len(bounds) - 1
    acc: Accumulated = defaultdict(lambda: [[0, 0, 0.0, 0] for _ in range(n)])
    index_of: dict[int, int] = {}  # a split returns many rows per position: look each one up once
    for pos, key, volume, negative, rating_sum, rating_n in rows:
        i = index_of.get(pos)
        if i is None:
            i = index_of[pos] = position(pos) if position is not None else bucket_index(bounds, pos)
        if 0 <= i < n:
            b = acc[key][i]
            b[0] += volume
            b[1] += negative
            b[2] += rating_sum or 0.0
            b[3] += rating_n
    return acc


def trend_result(query: TrendQuery, acc: Accumulated, bounds: list[int], tz: ZoneInfo) -> TrendResult:
    """The series of ``acc``: one when not split, else the ``split_limit`` largest keys with any volume."""
    n = len(bounds) - 1
    if query.split is None:
        keys: list[str | None] = [None]
    else:
        wanted = set(query.topic_keys) if query.split is Split.topic and query.topic_keys else None
        totals = {k: sum(b[0] for b in v) for k, v in acc.items() if wanted is None or k in wanted}
        keys = sorted((k for k in totals if totals[k]), key=lambda k: (-totals[k], k))[: query.split_limit]
    series = []
    for key in keys:
        # model_construct: values are built right here; validating 10k buckets costs ~10 ms
        buckets = [
            TrendBucket.model_construct(
                start=datetime.fromtimestamp(bounds[i], tz),
                volume=int(v),  # counts; a rollup path may carry them as floats
                negative=int(neg),
                negative_share=neg / v if v else None,
                avg_rating=rs / rn if rn else None,
            )
            for i, (v, neg, rs, rn) in enumerate(acc.get(key) or [[0, 0, 0.0, 0]] * n)
        ]
        series.append(TrendSeries(key=key, buckets=buckets))
    return TrendResult(interval=query.interval, tz=query.tz, series=series)
