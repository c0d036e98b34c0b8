"""Score trends and key-driver data on SQLite (table ``doc_scores``, see ``_sqlite_schema``).

Trends count per UTC slot in SQL and fold the slots into local buckets (``_score_trends``),
as volume trends do (``_sqlite_trends``). Drivers count in SQL too (``index.drivers.DriverStats``):
one scan groups the responses by their labels (``doc_scores.labels``, written with the scores),
and the groups are summed per (topic, polarity) and per two pairs in Python.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from ._score_trends import Accumulated, accumulate
from ._sqlite_sql import Where, build_where
from ._sqlite_trends import fine_slot, slot_fits, slot_seconds
from ._trend_buckets import bucket_index, trend_bounds
from .base import Filters, Interval
from .drivers import DriverStats
from .query import ParsedQuery
from .scoring import Metric, ScoreSplit, ScoreTrendQuery

_SPLIT_COLUMNS = {ScoreSplit.brand: "d.brand", ScoreSplit.channel: "d.channel", ScoreSplit.source: "d.source"}


def _counts_sql(metric: Metric) -> str:
    top = f"total(s.value >= {float(metric.top)!r})" if metric.top is not None else "0"
    bottom = f"total(s.value <= {float(metric.bottom)!r})" if metric.bottom is not None else "0"
    return f"count(*), total(s.value), total(s.value * s.value), {top}, {bottom}"


def _from(where: Where, topic: bool = False) -> str:
    if topic:
        # doc_topics read in order, each row's score found by its primary key: about twice as fast as
        # the planner's choice (scores by name, then their topics), and no sort for GROUP BY topic
        source = "doc_topics t CROSS JOIN doc_scores s ON s.seq = t.seq AND s.name = ?"
        return source if where.dates_only else source + " JOIN documents d ON d.seq = s.seq"
    return "doc_scores s" if where.dates_only else "doc_scores s JOIN documents d ON d.seq = s.seq"


def _rows(conn: sqlite3.Connection, where: Where, metric: Metric, slot: int, split: ScoreSplit | None,
          offset: int = 0) -> list[tuple]:
    """Rows ``(slot number, key, Counts...)``; slot n covers [n * slot - offset, (n + 1) * slot - offset) seconds."""
    ms = slot * 1000
    shift = ms * (2**41 // ms + 1)  # floors correctly back to about 1900
    slot_sql = f"((s.created_at + {offset * 1000 + shift}) / {ms} - {shift // ms})"
    key, extra = "NULL", ""
    if split is ScoreSplit.topic:
        key = "t.topic"
    elif split is not None:
        key = _SPLIT_COLUMNS[split]
        if where.dates_only:
            where = Where(where.conditions, where.params, where.match, dates_only=False)
        extra = f" AND {key} IS NOT NULL"
    group = "p" if split is None else "p, k"
    sql = (f"SELECT {slot_sql} AS p, {key} AS k, {_counts_sql(metric)} FROM {_from(where, split is ScoreSplit.topic)} "
           f"WHERE s.name = ? AND {where.sql()}{extra} GROUP BY {group}")
    return conn.execute(sql, [metric.name] * (2 if split is ScoreSplit.topic else 1) + where.params).fetchall()


def local_days(conn: sqlite3.Connection, metric: Metric, tz: ZoneInfo, interval: Interval) -> int | None:
    """The zone's UTC offset (seconds) when local days can be the SQL slots, else None.

    Days, weeks and months are made of local days; where the zone keeps one offset over
    every date holding this score (Asia/Shanghai, UTC), grouping by local day in SQL gives
    24 times fewer rows than by hour. Offsets are probed weekly (no zone changes twice in a week).
    """
    if interval is Interval.hour:
        return None
    lo, hi = conn.execute("SELECT min(created_at), max(created_at) FROM doc_scores WHERE name = ?", [metric.name]).fetchone()
    if lo is None:
        return None
    probes = {int(datetime.fromtimestamp(t, tz).utcoffset().total_seconds())
              for t in [*range(lo // 1000, hi // 1000, 7 * 86400), hi // 1000]}
    return probes.pop() if len(probes) == 1 else None


def score_counts(conn: sqlite3.Connection, parsed: ParsedQuery, filters: Filters,
                 query: ScoreTrendQuery) -> tuple[Accumulated, list[int]] | None:
    """Counts per key and bucket and the bucket boundaries; None when there is nothing to chart."""
    tz, metric = ZoneInfo(query.tz), query.metric_def
    where = build_where(parsed, filters, dates="s")
    offset = local_days(conn, metric, tz, query.interval)
    if offset is not None:
        rows = _rows(conn, where, metric, 86400, query.split, offset)
        if not rows and not (filters.since and filters.until):
            return None
        starts = [r[0] * 86400 - offset for r in rows]
        bounds = trend_bounds(filters, tz, query.interval, lambda: min(starts), lambda: max(starts) + 86400)
        return accumulate(rows, bounds, lambda d: bucket_index(bounds, d * 86400 - offset)), bounds
    slot = slot_seconds(tz, *[d for d in (filters.since, filters.until) if d])
    rows = _rows(conn, where, metric, slot, query.split)
    if not rows and not (filters.since and filters.until):
        return None
    starts = [r[0] * slot for r in rows]
    bounds = trend_bounds(filters, tz, query.interval, lambda: min(starts), lambda: max(starts) + slot)
    if not slot_fits(bounds, slot):  # a zone whose offset history needs finer slots
        slot = fine_slot(bounds, slot)
        rows = _rows(conn, where, metric, slot, query.split)
    return accumulate(rows, bounds, lambda s: bucket_index(bounds, s * slot)), bounds


def driver_stats(conn: sqlite3.Connection, parsed: ParsedQuery, filters: Filters, metric: Metric) -> DriverStats:
    """Counts per combination of labels (``doc_scores.labels``) in one scan, then summed per pair and per two pairs."""
    where = build_where(parsed, filters, dates="s")
    rows = conn.execute(f"SELECT s.labels, {_counts_sql(metric)} FROM {_from(where)} "
                        f"WHERE s.name = ? AND {where.sql()} GROUP BY s.labels", [metric.name, *where.params]).fetchall()
    groups = [(labels.split(",") if labels else [], np.array(counts, dtype=float)) for labels, *counts in rows]
    names = sorted({name for labels, _ in groups for name in labels})
    if not groups:
        return DriverStats.empty()
    index = {name: j for j, name in enumerate(names)}
    pairs, together = np.zeros((len(names), 5)), np.zeros((len(names), len(names)))
    for labels, counts in groups:
        js = [index[name] for name in labels]
        pairs[js] += counts
        together[np.ix_(js, js)] += counts[0]
    overall = np.sum([counts for _, counts in groups], axis=0)
    return DriverStats(tuple(float(v) for v in overall), names, pairs, together)


__all__ = ["driver_stats", "local_days", "score_counts"]
