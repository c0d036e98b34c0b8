"""Score trends and key-driver data on SQLite (table ``doc_scores``, see ``_sqlite_schema``).

Trends count per UTC slot in SQL and fold the slots into local buckets (``_score_trends``),
as volume trends do (``_sqlite_trends``). Drivers count in SQL too (``index.drivers.DriverStats``):
one scan groups the responses by their labels (``doc_scores.labels``, written with the scores),
and the groups are summed per (topic, polarity) and per two pairs in Python.

A trend split by topic reads ``score_topics`` (``SCORE_TOPICS_MIGRATION``): one row per score
and topic of a document, the score's date and value copied, in an index ordered by score name
and topic. Joining 60,000 scores to their 90,000 topic rows for every chart cost about 200 ms
on the bench's 100k documents; reading the copies from one index costs a fraction of that.
Triggers on ``doc_topics`` and ``doc_scores`` keep the copies exact: every write path (upsert,
delete, erasure by cascade, own-topic relabelling) changes those two tables, and each change
of a row there changes its pairs here in the same statement.
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

_PAIRS_OF_TOPIC = "SELECT s.seq, s.name, NEW.topic, s.created_at, s.value FROM doc_scores s WHERE s.seq = NEW.seq"
_PAIRS_OF_SCORE = "SELECT NEW.seq, NEW.name, t.topic, NEW.created_at, NEW.value FROM doc_topics t WHERE t.seq = NEW.seq"
_INSERT_PAIRS = "INSERT INTO score_topics (seq, name, topic, created_at, value) "

SCORE_TOPICS_MIGRATION = [
    """CREATE TABLE score_topics (
        seq INTEGER NOT NULL,
        name TEXT NOT NULL,
        topic TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        value REAL NOT NULL,
        PRIMARY KEY (seq, name, topic)
    ) WITHOUT ROWID""",
    "INSERT INTO score_topics SELECT s.seq, s.name, t.topic, s.created_at, s.value "
    "FROM doc_scores s JOIN doc_topics t ON t.seq = s.seq",
    # covers a split by topic with no filter but dates
    "CREATE INDEX score_topics_trend ON score_topics(name, topic, created_at, value)",
    # Whichever of a document's topic and score rows is written second makes their pair.
    f"CREATE TRIGGER score_topics_topic_in AFTER INSERT ON doc_topics BEGIN {_INSERT_PAIRS}{_PAIRS_OF_TOPIC}; END",
    f"CREATE TRIGGER score_topics_score_in AFTER INSERT ON doc_scores BEGIN {_INSERT_PAIRS}{_PAIRS_OF_SCORE}; END",
    # Deletes, also those cascading from a deleted document, take their pairs along.
    """CREATE TRIGGER score_topics_topic_out AFTER DELETE ON doc_topics
       BEGIN DELETE FROM score_topics WHERE seq = OLD.seq AND topic = OLD.topic; END""",
    """CREATE TRIGGER score_topics_score_out AFTER DELETE ON doc_scores
       BEGIN DELETE FROM score_topics WHERE seq = OLD.seq AND name = OLD.name; END""",
    # No write updates these columns today; a future one stays exact.
    f"""CREATE TRIGGER score_topics_topic_changed AFTER UPDATE OF seq, topic ON doc_topics BEGIN
        DELETE FROM score_topics WHERE seq = OLD.seq AND topic = OLD.topic; {_INSERT_PAIRS}{_PAIRS_OF_TOPIC}; END""",
    f"""CREATE TRIGGER score_topics_score_changed AFTER UPDATE OF seq, name, value, created_at ON doc_scores BEGIN
        DELETE FROM score_topics WHERE seq = OLD.seq AND name = OLD.name; {_INSERT_PAIRS}{_PAIRS_OF_SCORE}; END""",
]


def _counts_sql(metric: Metric) -> str:
    top = f"total(s.value >= {float(metric.top)!r})" if metric.top is not None else "0"
    bottom = f"total(s.value <= {float(metric.bottom)!r})" if metric.bottom is not None else "0"
    return f"count(*), total(s.value), total(s.value * s.value), {top}, {bottom}"


def _from(where: Where, topic: bool = False) -> str:
    table = "score_topics s" if topic else "doc_scores s"  # score_topics: a score's row per topic, see above
    return table if where.dates_only else f"{table} JOIN documents d ON d.seq = s.seq"


def _rows(conn: sqlite3.Connection, where: Where, metric: Metric, slot: int, split: ScoreSplit | None,
          offset: int = 0) -> list[tuple]:
    """Rows ``(slot number, key, Counts...)``; slot n covers [n * slot - offset, (n + 1) * slot - offset) seconds."""
    ms = slot * 1000
    shift = ms * (2**41 // ms + 1)  # floors correctly back to about 1900
    slot_sql = f"((s.created_at + {offset * 1000 + shift}) / {ms} - {shift // ms})"
    key, extra, params = "NULL", "", [metric.name, *where.params]
    if split is ScoreSplit.topic:
        key = "s.topic"
    elif split is not None:
        key = _SPLIT_COLUMNS[split]
        if where.dates_only:
            where = Where(where.conditions, where.params, where.match, dates_only=False)
        extra = f" AND {key} IS NOT NULL"
    group = "p" if split is None else "p, k"
    sql = (f"SELECT {slot_sql} AS p, {key} AS k, {_counts_sql(metric)} FROM {_from(where, split is ScoreSplit.topic)} "
           f"WHERE s.name = ? AND {where.sql()}{extra} GROUP BY {group}")
    return conn.execute(sql, params).fetchall()


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
