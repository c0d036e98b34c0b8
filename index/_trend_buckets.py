"""Local-time bucketing for trends, done in Python because SQLite knows no time zones.

The query groups documents by a UTC *slot* (an hour, or 30/15 minutes for
zones with such offsets) — cheap in SQL — and these functions fold the slots
into buckets aligned to local midnight / local hours / Monday / the 1st, with
``zoneinfo`` handling DST: a local day can be 23 or 25 hours long, and the
repeated hour of an autumn night is two buckets with different offsets.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .base import Interval

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


def slot_seconds(tz: ZoneInfo, *instants: datetime) -> int:
    """SQL grouping granularity: an hour unless the zone's offsets need finer slots."""
    probes = list(instants) or [datetime.now(UTC)]
    probes += [p.replace(month=1, day=1) for p in list(probes)] + [p.replace(month=7, day=1) for p in list(probes)]
    g = 3600
    for p in probes:
        offset = p.astimezone(tz).utcoffset()
        g = math.gcd(g, int(offset.total_seconds()) % 3600 or 3600)
    return max(g, 60)


def slot_fits(bounds: list[int], slot: int) -> bool:
    """True when every boundary falls on a slot edge (so no slot straddles two buckets)."""
    return all(b % slot == 0 for b in bounds)


def fine_slot(bounds: list[int], slot: int) -> int:
    g = slot
    for b in bounds:
        g = math.gcd(g, b % slot or slot)
    return max(g, 1)


def bucket_index(bounds: list[int], ts: int) -> int:
    """Index of the bucket holding ``ts`` (seconds), or -1 / len-1 when outside."""
    return bisect_right(bounds, ts) - 1
