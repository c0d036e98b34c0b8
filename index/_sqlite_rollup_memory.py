"""The hourly rollups held in memory, so a trend chart folds arrays instead of running SQL.

Grouping ~30k hourly topic rows of 180 days in SQLite costs 25-50 ms on
100k documents, and twice that when DST makes local days uneven and the
grouping moves to Python. The same numbers held as NumPy arrays fold into
any buckets (local days, weeks, months, across DST) with one
``searchsorted`` and one cumulative sum: about a millisecond.

The copy is keyed by a generation number that every rollup write bumps
inside its own transaction (``rollup_generation``). A trend query reads the
number inside its read transaction and reloads the arrays when it changed,
so it folds exactly the rows of its own snapshot, never stale ones, also
when another process wrote to the file.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass

import numpy as np

#: Tables larger than this (hours x keys) stay in SQLite: about 64 MB of arrays.
MAX_CELLS = 2_000_000

GENERATION_MIGRATION = [
    "CREATE TABLE rollup_generation (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL)",
    "INSERT INTO rollup_generation (id, n) VALUES (1, 0)",
]
BUMP_SQL = "UPDATE rollup_generation SET n = n + 1"


@dataclass(frozen=True)
class RollupArrays:
    """One rollup table as arrays.

    Attributes:
        hours: sorted distinct hours (epoch hours) that have rows.
        keys: topics, brands, sources, or sentiments ('' = unlabelled), in column order.
        counts: int64 (hours, keys, 3): documents, negatives, rated documents.
        rating_sum: float64 (hours, keys).
    """

    generation: int
    hours: np.ndarray
    keys: tuple[str, ...]
    counts: np.ndarray
    rating_sum: np.ndarray


def generation(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT n FROM rollup_generation").fetchone()[0]


#: kind -> (table, key column, negative count expression)
_TABLES = {
    "docs": ("rollup_docs", "sentiment", "CASE WHEN sentiment = 'negative' THEN n ELSE 0 END"),
    "topics": ("rollup_topics", "topic", "negative"),
    "brands": ("rollup_brands", "brand", "negative"),
    "sources": ("rollup_sources", "source", "negative"),
}


def load(conn: sqlite3.Connection, kind: str, gen: int) -> RollupArrays | None:
    """Read one rollup table (``docs``, ``topics``, ``brands``, ``sources``); None when it is too large to hold."""
    table, column, negative = _TABLES[kind]
    sql = f"SELECT hour, {column}, n, {negative}, rating_n, rating_sum FROM {table}"
    (n_hours, n_keys), = conn.execute(f"SELECT count(DISTINCT hour), count(DISTINCT {column}) FROM {table}").fetchall()
    if n_hours * n_keys > MAX_CELLS:
        return None
    rows = conn.execute(sql).fetchall()
    keys = tuple(sorted({r[1] for r in rows}))
    key_index = {k: i for i, k in enumerate(keys)}
    if rows:
        hour_col = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        hours, row_hour = np.unique(hour_col, return_inverse=True)
        row_key = np.fromiter((key_index[r[1]] for r in rows), dtype=np.int64, count=len(rows))
        flat = np.array([r[2:5] for r in rows], dtype=np.int64)
        sums = np.fromiter((r[5] for r in rows), dtype=np.float64, count=len(rows))
    else:
        hours = np.zeros(0, dtype=np.int64)
        row_hour = row_key = np.zeros(0, dtype=np.int64)
        flat = np.zeros((0, 3), dtype=np.int64)
        sums = np.zeros(0, dtype=np.float64)
    counts = np.zeros((len(hours), len(keys), 3), dtype=np.int64)
    rating_sum = np.zeros((len(hours), len(keys)), dtype=np.float64)
    counts[row_hour, row_key] = flat  # (hour, key) is the table's primary key: no collisions
    rating_sum[row_hour, row_key] = sums
    return RollupArrays(gen, hours, keys, counts, rating_sum)


class RollupMemory:
    """Per-backend holder of the arrays; safe to share between reader threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: dict[str, RollupArrays | None] = {}
        self._generations: dict[str, int] = {}

    def arrays(self, conn: sqlite3.Connection, kind: str) -> RollupArrays | None:
        """The arrays of ``kind`` as of ``conn``'s read transaction (None: too large, use SQL)."""
        gen = generation(conn)
        if self._generations.get(kind) == gen:
            return self._tables[kind]
        with self._lock:
            if self._generations.get(kind) != gen:
                self._tables[kind] = load(conn, kind, gen)
                self._generations[kind] = gen
            return self._tables[kind]


def select(arrays: RollupArrays, keys: list[str] | None, lo_hour: int | None, hi_hour: int | None):
    """``(hours, counts, rating_sum, keys)`` restricted to ``keys`` and hours in [lo, hi), dropping empty hours."""
    cols = list(range(len(arrays.keys))) if keys is None else [arrays.keys.index(k) for k in keys if k in arrays.keys]
    hours = arrays.hours
    a = 0 if lo_hour is None else int(np.searchsorted(hours, lo_hour, "left"))
    b = len(hours) if hi_hour is None else int(np.searchsorted(hours, hi_hour, "left"))
    counts = arrays.counts[a:b][:, cols]
    rating_sum = arrays.rating_sum[a:b][:, cols]
    nonempty = counts[:, :, 0].sum(axis=1) > 0
    return hours[a:b][nonempty], counts[nonempty], rating_sum[nonempty], [arrays.keys[c] for c in cols]


def fold(hours: np.ndarray, counts: np.ndarray, rating_sum: np.ndarray, bounds: list[int]):
    """Sum hourly rows into buckets ``[bounds[i], bounds[i+1])`` (epoch seconds).

    Hours are sorted, so each bucket is a contiguous run: cumulative sums
    and the run edges give every bucket at once. Counts stay integers; the
    rating sums are added in hour order, as SQLite's ``sum`` would.
    """
    edges = np.searchsorted(hours * 3600, np.asarray(bounds, dtype=np.int64), "left")
    zero_c = np.zeros((1, *counts.shape[1:]), dtype=np.int64)
    zero_r = np.zeros((1, *rating_sum.shape[1:]), dtype=np.float64)
    csum = np.concatenate([zero_c, np.cumsum(counts, axis=0)])
    rsum = np.concatenate([zero_r, np.cumsum(rating_sum, axis=0)])
    return csum[edges[1:]] - csum[edges[:-1]], rsum[edges[1:]] - rsum[edges[:-1]]
