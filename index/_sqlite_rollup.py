"""Hourly rollups that answer the commonest trend queries without scanning documents.

A dashboard's first chart is volume and negative share over months, for
everything or split by topic. Scanning 100k documents for it costs 50-150 ms
in SQLite; reading the hourly sums costs a few. The rollups are kept exact
inside the same write transactions as the documents (added on insert,
subtracted before an update or delete), and used only when a query needs
nothing they do not hold: no search text, no filter other than an
hour-aligned date range (and, for the document rollup, sentiment), and hour
slots. Everything else takes the row scan, which the contract tests compare
against.

Splits by brand and by source have rollups of their own (``rollup_brands``,
``rollup_sources``, migration ``KEYED_MIGRATION``): without them the web
app's "volume per day by brand" scanned every document (about 200 ms on
100k). Their key columns are ``COLLATE NOCASE`` like the document columns,
so "Acme" and "acme" written in one hour share a row, as the row scan
groups them per slot; the row keeps the spelling written first. Documents
without a brand have no brand row, as the scan leaves them out of a split.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable

from ._sqlite_rollup_memory import BUMP_SQL
from .base import Filters, Split

HOUR_MS = 3_600_000
_SHIFT = HOUR_MS * (2**41 // HOUR_MS + 1)
#: floor(created_at / 1 h) in SQL, right also before 1970.
HOUR_SQL = f"((created_at + {_SHIFT}) / {HOUR_MS} - {_SHIFT // HOUR_MS})"

MIGRATION = [
    """CREATE TABLE rollup_docs (
        hour INTEGER NOT NULL,
        sentiment TEXT NOT NULL,  -- '' when unlabelled
        n INTEGER NOT NULL,
        rating_sum REAL NOT NULL,
        rating_n INTEGER NOT NULL,
        PRIMARY KEY (hour, sentiment)
    ) WITHOUT ROWID""",
    # One row per (hour, topic) with its negative count, so a topic split reads rows as stored.
    """CREATE TABLE rollup_topics (
        hour INTEGER NOT NULL,
        topic TEXT NOT NULL,
        n INTEGER NOT NULL,
        negative INTEGER NOT NULL,
        rating_sum REAL NOT NULL,
        rating_n INTEGER NOT NULL,
        PRIMARY KEY (hour, topic)
    ) WITHOUT ROWID""",
    f"""INSERT INTO rollup_docs SELECT {HOUR_SQL}, coalesce(sentiment, ''), count(*), total(rating), count(rating)
        FROM documents WHERE true GROUP BY 1, 2""",
    f"""INSERT INTO rollup_topics SELECT {HOUR_SQL}, topic, count(*), total(polarity = 'negative'), total(rating),
        count(rating) FROM doc_topics WHERE true GROUP BY 1, 2""",
]

#: Rollups keyed by one document column: split -> (table, column).
KEYED: dict[Split, tuple[str, str]] = {
    Split.topic: ("rollup_topics", "topic"),
    Split.brand: ("rollup_brands", "brand"),
    Split.source: ("rollup_sources", "source"),
}


def _keyed_table(table: str, column: str) -> list[str]:
    """A brand or source rollup, shaped like ``rollup_topics``, and its back-fill from the documents."""
    return [
        f"""CREATE TABLE {table} (
            hour INTEGER NOT NULL,
            {column} TEXT NOT NULL COLLATE NOCASE,
            n INTEGER NOT NULL,
            negative INTEGER NOT NULL,
            rating_sum REAL NOT NULL,
            rating_n INTEGER NOT NULL,
            PRIMARY KEY (hour, {column})
        ) WITHOUT ROWID""",
        f"""INSERT INTO {table} SELECT {HOUR_SQL}, {column}, count(*), total(sentiment = 'negative'), total(rating),
            count(rating) FROM documents WHERE {column} IS NOT NULL GROUP BY 1, 2""",
    ]


KEYED_MIGRATION = [
    *_keyed_table("rollup_brands", "brand"),
    *_keyed_table("rollup_sources", "source"),
    BUMP_SQL,  # readers holding the arrays of an older generation reload
]

_ADD_DOCS = (
    "INSERT INTO rollup_docs (hour, sentiment, n, rating_sum, rating_n) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (hour, sentiment) DO UPDATE SET n = n + excluded.n, "
    "rating_sum = rating_sum + excluded.rating_sum, rating_n = rating_n + excluded.rating_n"
)
_ADD_TOPICS = (
    "INSERT INTO rollup_topics (hour, topic, n, negative, rating_sum, rating_n) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (hour, topic) DO UPDATE SET n = n + excluded.n, negative = negative + excluded.negative, "
    "rating_sum = rating_sum + excluded.rating_sum, rating_n = rating_n + excluded.rating_n"
)


def _add_keyed(table: str, column: str) -> str:
    return (
        f"INSERT INTO {table} (hour, {column}, n, negative, rating_sum, rating_n) VALUES (?, ?, ?, ?, ?, ?) "
        f"ON CONFLICT (hour, {column}) DO UPDATE SET n = n + excluded.n, negative = negative + excluded.negative, "
        "rating_sum = rating_sum + excluded.rating_sum, rating_n = rating_n + excluded.rating_n"
    )


def add(conn: sqlite3.Connection, docs: Iterable[tuple], topics: Iterable[tuple]) -> None:
    """Count new rows in.

    Args:
        docs: (sentiment, rating, created_ms, brand, source) per document.
        topics: (topic, polarity, created_ms, rating) per document topic.
    """
    d: dict[tuple, list] = defaultdict(lambda: [0, 0.0, 0])
    keyed: dict[str, dict[tuple, list]] = {"brand": defaultdict(lambda: [0, 0, 0.0, 0]),
                                           "source": defaultdict(lambda: [0, 0, 0.0, 0])}
    for sentiment, rating, created, brand, source in docs:
        hour = created // HOUR_MS
        acc = d[(hour, sentiment or "")]
        acc[0] += 1
        if rating is not None:
            acc[1] += rating
            acc[2] += 1
        for column, value in (("brand", brand), ("source", source)):
            if value is None:
                continue
            k = keyed[column][(hour, value)]
            k[0] += 1
            k[1] += sentiment == "negative"
            if rating is not None:
                k[2] += rating
                k[3] += 1
    t: dict[tuple, list] = defaultdict(lambda: [0, 0, 0.0, 0])
    for topic, polarity, created, rating in topics:
        acc = t[(created // HOUR_MS, topic)]
        acc[0] += 1
        acc[1] += polarity == "negative"
        if rating is not None:
            acc[2] += rating
            acc[3] += 1
    conn.executemany(_ADD_DOCS, [(*k, *v) for k, v in d.items()])
    conn.executemany(_ADD_TOPICS, [(*k, *v) for k, v in t.items()])
    for table, column in (KEYED[Split.brand], KEYED[Split.source]):
        conn.executemany(_add_keyed(table, column), [(*k, *v) for k, v in keyed[column].items()])
    conn.execute(BUMP_SQL)


def remove(conn: sqlite3.Connection, seq_condition: str, params: list) -> None:
    """Count out the current rows of the documents selected by ``seq_condition`` (on ``seq``)."""
    docs = conn.execute(
        f"SELECT {HOUR_SQL}, coalesce(sentiment, ''), -count(*), -total(rating), -count(rating) "
        f"FROM documents WHERE {seq_condition} GROUP BY 1, 2", params).fetchall()
    topics = conn.execute(
        f"SELECT {HOUR_SQL}, topic, -count(*), -total(polarity = 'negative'), -total(rating), -count(rating) "
        f"FROM doc_topics WHERE {seq_condition} GROUP BY 1, 2", params).fetchall()
    conn.executemany(_ADD_DOCS, docs)
    conn.executemany(_ADD_TOPICS, topics)
    conn.execute("DELETE FROM rollup_docs WHERE n = 0")
    conn.execute("DELETE FROM rollup_topics WHERE n = 0")
    for table, column in (KEYED[Split.brand], KEYED[Split.source]):
        conn.executemany(_add_keyed(table, column), conn.execute(
            f"SELECT {HOUR_SQL}, {column}, -count(*), -total(sentiment = 'negative'), -total(rating), -count(rating) "
            f"FROM documents WHERE ({seq_condition}) AND {column} IS NOT NULL GROUP BY 1, 2", params).fetchall())
        conn.execute(f"DELETE FROM {table} WHERE n = 0")
    conn.execute(BUMP_SQL)


#: One (hour, topic) row counted out and in at once. The rating sum is ``(sum + out) + in``, or ``in`` where
#: counting out emptied the row: the arithmetic of subtracting all, deleting empty rows, then adding.
_SHIFT_TOPICS = (
    "INSERT INTO rollup_topics (hour, topic, n, negative, rating_sum, rating_n) VALUES (?1, ?2, ?3 + ?4, ?5, ?7, ?8) "
    "ON CONFLICT (hour, topic) DO UPDATE SET n = n + excluded.n, negative = negative + excluded.negative, "
    "rating_sum = CASE WHEN n + ?3 = 0 THEN ?7 ELSE rating_sum + ?6 + ?7 END, rating_n = rating_n + excluded.rating_n"
)


def shift_topics(conn: sqlite3.Connection, removed: Iterable[tuple], added: Iterable[tuple]) -> None:
    """Count topic labels out and in (own topics relabelled in place): ``(topic, polarity, created_ms, rating)``.

    One statement per (hour, topic) touched, and only the rows whose count fell are looked at for
    deletion, by key: the whole table is not scanned for empty rows at every write.
    """
    t: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0.0, 0.0, 0])  # n out, n in, negative, rating out, in, rating n
    for sign, rows in ((-1, removed), (1, added)):
        for topic, polarity, created, rating in rows:
            acc = t[(created // HOUR_MS, topic)]
            acc[0 if sign < 0 else 1] += sign
            acc[2] += sign * (polarity == "negative")
            if rating is not None:
                acc[3 if sign < 0 else 4] += sign * rating
                acc[5] += sign
    if not t:
        return
    conn.executemany(_SHIFT_TOPICS, [(*k, *v) for k, v in t.items()])
    conn.executemany("DELETE FROM rollup_topics WHERE hour = ? AND topic = ? AND n = 0",
                     [k for k, v in t.items() if v[0]])
    conn.execute(BUMP_SQL)


def usable(has_text: bool, filters: Filters, slot: int, split: Split | None) -> bool:
    """True when the rollups answer this trend query exactly."""
    if has_text or slot != 3600 or not (split is None or split is Split.sentiment or split in KEYED):
        return False
    others = filters.model_dump(exclude={"since", "until", "sentiment"})
    if any(v for v in others.values()):
        return False
    if filters.sentiment and split in KEYED:  # keyed rollups count negatives, not each sentiment
        return False
    return all(d is None or int(d.timestamp() * 1000) % HOUR_MS == 0 for d in (filters.since, filters.until))


def _conditions(filters: Filters, split: Split | None) -> tuple[list[str], list]:
    cond, params = ["1"], []
    if filters.since:
        cond.append("hour >= ?")
        params.append(int(filters.since.timestamp() * 1000) // HOUR_MS)
    if filters.until:
        cond.append("hour < ?")
        params.append(int(filters.until.timestamp() * 1000) // HOUR_MS)
    if split in KEYED:
        return cond, params
    if filters.sentiment:
        cond.append(f"sentiment IN ({', '.join('?' * len(filters.sentiment))})")
        params.extend(s.value for s in filters.sentiment)
    if split is Split.sentiment:
        cond.append("sentiment != ''")
    return cond, params


def hour_span(conn: sqlite3.Connection, filters: Filters, split: Split | None) -> tuple[int, int] | None:
    """First and last hour with data, or None."""
    cond, params = _conditions(filters, split)
    table = KEYED[split][0] if split in KEYED else "rollup_docs"
    lo, hi = conn.execute(f"SELECT min(hour), max(hour) FROM {table} WHERE {' AND '.join(cond)}", params).fetchone()
    return None if lo is None else (lo, hi)


def rows(conn: sqlite3.Connection, filters: Filters, split: Split | None,
         fold: tuple[int, int, int] | None = None) -> list[tuple]:
    """Rows shaped like the row scan's: (slot, key, volume, negative, rating_sum, rating_n).

    The slot is the hour; with ``fold = (first_hour, hours_per_bucket, buckets)`` it is the
    bucket number instead, summed in SQL, which is exact when buckets are evenly spaced
    (hours, and days or weeks in a zone whose offset does not change in the range).
    """
    cond, params = _conditions(filters, split)
    slot = "hour"
    if fold:
        first, length, count = fold
        slot = f"(hour - {int(first)}) / {int(length)}"
        cond += ["hour >= ?", "hour < ?"]
        params += [first, first + length * count]
    if split in KEYED:
        table, column = KEYED[split]
        sql = (f"SELECT {slot} AS s, {column}, sum(n), sum(negative), sum(rating_sum), sum(rating_n) "
               f"FROM {table} WHERE {{}} GROUP BY s, {column}")
    else:
        key = "sentiment" if split is Split.sentiment else "NULL"
        group = "s, sentiment" if split is Split.sentiment else "s"
        sql = (f"SELECT {slot} AS s, {key}, sum(n), sum(CASE WHEN sentiment = 'negative' THEN n ELSE 0 END), "
               f"sum(rating_sum), sum(rating_n) FROM rollup_docs WHERE {{}} GROUP BY {group}")
    return conn.execute(sql.format(" AND ".join(cond)), params).fetchall()


def even_fold(bounds: list[int]) -> tuple[int, int, int] | None:
    """``(first_hour, hours_per_bucket, buckets)`` when ``bounds`` (epoch seconds) are evenly spaced whole hours."""
    if len(bounds) < 2 or any(b % 3600 for b in bounds):
        return None
    step = bounds[1] - bounds[0]
    if any(b - a != step for a, b in zip(bounds, bounds[1:])):
        return None
    return bounds[0] // 3600, step // 3600, len(bounds) - 1
