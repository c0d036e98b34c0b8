"""Trend counts on SQLite: per UTC slot in SQL (or from the hourly rollups), folded into local buckets.

SQLite knows no time zones, so the query groups documents by a UTC *slot*
(an hour, or 30/15 minutes for zones with such offsets), which is cheap in
SQL, and ``_trend_buckets`` folds the slots into buckets of local time. A
query with no search text and no filter the rollups cannot answer reads
the hourly rollups instead of the documents (``_sqlite_rollup``), from
memory when they are loaded there (``_sqlite_rollup_memory``).
"""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from . import _sqlite_rollup as rollup
from . import _sqlite_rollup_memory as memory
from ._sqlite_sql import Where, build_where
from ._trend_buckets import Accumulated, accumulate, bucket_index, trend_bounds
from .base import Filters, Interval, Split, TrendQuery
from .query import ParsedQuery


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


def trend_rows(conn: sqlite3.Connection, where: Where, slot: int, split: Split | None) -> list[tuple]:
    """Rows ``(slot number, key, volume, negative, rating sum, rating count)`` of the matching documents."""
    ms = slot * 1000
    # Shift so integer division floors correctly back to about 1900.
    shift = ms * (2**41 // ms + 1)
    dates = "t" if split is Split.topic else "d"
    slot_sql = f"(({dates}.created_at + {shift}) / {ms} - {shift // ms})"
    source, key, negative, extra = "documents d", "NULL", "d.sentiment = 'negative'", ""
    if split is Split.topic:
        source = "doc_topics t" if where.dates_only else "doc_topics t JOIN documents d ON d.seq = t.seq"
        key, negative = "t.topic", "t.polarity = 'negative'"
    elif split is not None:
        key = {Split.sentiment: "d.sentiment", Split.source: "d.source", Split.brand: "d.brand"}[split]
        extra = f" AND {key} IS NOT NULL"
    rating = f"sum({dates}.rating), count({dates}.rating)"
    group = "s" if split is None else "s, k"
    return conn.execute(
        f"SELECT {slot_sql} AS s, {key} AS k, count(*), total({negative}), {rating} "
        f"FROM {source} WHERE {where.sql()}{extra} GROUP BY {group}",
        where.params,
    ).fetchall()


def trend_counts(conn: sqlite3.Connection, parsed: ParsedQuery, filters: Filters, query: TrendQuery,
                 rollups: memory.RollupMemory | None) -> tuple[Accumulated, list[int]] | None:
    """Counts per key and bucket, and the bucket boundaries; None when there is nothing to chart.

    Args:
        rollups: the in-memory rollups, or None to count from the documents only (tests compare both).
    """
    tz, interval, split = ZoneInfo(query.tz), query.interval, query.split
    slot = slot_seconds(tz, *[d for d in (filters.since, filters.until) if d])
    if rollups is not None and rollup.usable(parsed.has_text or parsed.similar is not None, filters, slot, split):
        arrays = rollups.arrays(conn, _KINDS.get(split, "docs"))
        if arrays is not None:
            return _from_memory(arrays, filters, split, tz, interval)
        span = rollup.hour_span(conn, filters, split)
        if span is None and not (filters.since and filters.until):
            return None
        bounds = trend_bounds(filters, tz, interval, lambda: span[0] * 3600, lambda: (span[1] + 1) * 3600)
        fold = rollup.even_fold(bounds)
        rows = rollup.rows(conn, filters, split, fold)
        if fold is not None:  # the rows are already per bucket
            return accumulate(rows, bounds, lambda i: i), bounds
        return accumulate(rows, bounds, lambda s: bucket_index(bounds, s * slot)), bounds
    where = build_where(parsed, filters, dates="t" if split is Split.topic else "d")
    rows = trend_rows(conn, where, slot, split)
    if not rows and not (filters.since and filters.until):
        return None
    starts = [r[0] * slot for r in rows]
    bounds = trend_bounds(filters, tz, interval, lambda: min(starts), lambda: max(starts) + slot)
    if not slot_fits(bounds, slot):  # a zone whose offset history needs finer slots
        slot = fine_slot(bounds, slot)
        rows = trend_rows(conn, where, slot, split)
    return accumulate(rows, bounds, lambda s: bucket_index(bounds, s * slot)), bounds


_KINDS = {Split.topic: "topics", Split.brand: "brands", Split.source: "sources"}


def _from_memory(arrays, filters: Filters, split: Split | None, tz: ZoneInfo,
                 interval: Interval) -> tuple[Accumulated, list[int]] | None:
    """Counts and boundaries from the in-memory rollups; None when there is nothing to chart."""
    keys = None
    if split not in rollup.KEYED:
        if filters.sentiment:
            keys = [s.value for s in filters.sentiment]
        if split is Split.sentiment:
            keys = [k for k in (keys or arrays.keys) if k]
    lo_h = int(filters.since.timestamp() * 1000) // rollup.HOUR_MS if filters.since else None
    hi_h = int(filters.until.timestamp() * 1000) // rollup.HOUR_MS if filters.until else None
    hours, counts, rating_sum, keys = memory.select(arrays, keys, lo_h, hi_h)
    if not len(hours) and not (filters.since and filters.until):
        return None
    bounds = trend_bounds(filters, tz, interval, lambda: int(hours[0]) * 3600, lambda: (int(hours[-1]) + 1) * 3600)
    c, r = memory.fold(hours, counts, rating_sum, bounds)
    if split is None:
        c, r, keys = c.sum(axis=1, keepdims=True), r.sum(axis=1, keepdims=True), [None]
    acc: Accumulated = {}
    for j, key in enumerate(keys):
        volume = c[:, j, 0].tolist()
        if split is not None and not any(volume):
            continue  # a split lists only keys present in the range, as the row scan does
        acc[key] = [list(t) for t in zip(volume, c[:, j, 1].tolist(), r[:, j].tolist(), c[:, j, 2].tolist())]
    return acc, bounds


__all__ = ["fine_slot", "slot_fits", "slot_seconds", "trend_counts", "trend_rows"]
