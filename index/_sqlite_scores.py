"""Score trends and key-driver data on SQLite (table ``doc_scores``, see ``_sqlite_schema``).

Trends count per UTC slot in SQL and fold the slots into local buckets (``_score_trends``),
as volume trends do (``_sqlite_trends``). Drivers read each response's score and its
(topic, polarity) pairs as arrays (``index.drivers``): two scans of narrow tables.
"""

from __future__ import annotations

import sqlite3
from zoneinfo import ZoneInfo

import numpy as np

from ._score_trends import Accumulated, accumulate
from ._sqlite_sql import Where, build_where
from ._sqlite_trends import fine_slot, slot_fits, slot_seconds
from ._trend_buckets import bucket_index, trend_bounds
from .base import Filters
from .drivers import Responses
from .query import ParsedQuery
from .scoring import Metric, ScoreSplit, ScoreTrendQuery

_SPLIT_COLUMNS = {ScoreSplit.brand: "d.brand", ScoreSplit.channel: "d.channel", ScoreSplit.source: "d.source"}


def _counts_sql(metric: Metric) -> str:
    top = f"total(s.value >= {float(metric.top)!r})" if metric.top is not None else "0"
    bottom = f"total(s.value <= {float(metric.bottom)!r})" if metric.bottom is not None else "0"
    return f"count(*), total(s.value), total(s.value * s.value), {top}, {bottom}"


def _from(where: Where, topic: bool = False) -> str:
    source = "doc_scores s" if where.dates_only else "doc_scores s JOIN documents d ON d.seq = s.seq"
    return source + (" JOIN doc_topics t ON t.seq = s.seq" if topic else "")


def _rows(conn: sqlite3.Connection, where: Where, metric: Metric, slot: int, split: ScoreSplit | None) -> list[tuple]:
    ms = slot * 1000
    shift = ms * (2**41 // ms + 1)  # floors correctly back to about 1900
    slot_sql = f"((s.created_at + {shift}) / {ms} - {shift // ms})"
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
    return conn.execute(sql, [metric.name, *where.params]).fetchall()


def score_counts(conn: sqlite3.Connection, parsed: ParsedQuery, filters: Filters,
                 query: ScoreTrendQuery) -> tuple[Accumulated, list[int]] | None:
    """Counts per key and bucket and the bucket boundaries; None when there is nothing to chart."""
    tz, metric = ZoneInfo(query.tz), query.metric_def
    slot = slot_seconds(tz, *[d for d in (filters.since, filters.until) if d])
    where = build_where(parsed, filters, dates="s")
    rows = _rows(conn, where, metric, slot, query.split)
    if not rows and not (filters.since and filters.until):
        return None
    starts = [r[0] * slot for r in rows]
    bounds = trend_bounds(filters, tz, query.interval, lambda: min(starts), lambda: max(starts) + slot)
    if not slot_fits(bounds, slot):  # a zone whose offset history needs finer slots
        slot = fine_slot(bounds, slot)
        rows = _rows(conn, where, metric, slot, query.split)
    return accumulate(rows, bounds, lambda s: bucket_index(bounds, s * slot)), bounds


def responses(conn: sqlite3.Connection, parsed: ParsedQuery, filters: Filters, metric: Metric) -> Responses:
    """Every matching response's score, and its (topic, polarity) pairs as (response index, pair) arrays."""
    where = build_where(parsed, filters, dates="s")
    params = [metric.name, *where.params]
    scored = conn.execute(f"SELECT s.seq, s.value FROM {_from(where)} WHERE s.name = ? AND {where.sql()} ORDER BY s.seq",
                          params).fetchall()
    if not scored:
        return Responses.empty()
    seqs, values = (np.array(c) for c in zip(*scored, strict=True))
    labels = conn.execute(
        f"SELECT t.seq, t.topic || ':' || t.polarity FROM {_from(where, topic=True)} "
        f"WHERE s.name = ? AND {where.sql()}", params).fetchall()
    if not labels:
        return Responses(values.astype(float), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), [])
    label_seqs, names = zip(*labels, strict=True)
    pairs, codes = np.unique(np.array(names, dtype=object), return_inverse=True)
    rows = np.searchsorted(seqs, np.array(label_seqs))
    return Responses(values.astype(float), rows, codes.astype(np.int64), [str(p) for p in pairs])


__all__ = ["responses", "score_counts"]
