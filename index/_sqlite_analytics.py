"""Top topics and keywords, and emerging ones, counted in SQL on the SQLite backend.

``doc_topics`` and ``doc_keywords`` carry their document's ``created_at``, so
a query that filters on dates only counts them without a join on
``documents`` (``Where.dates_only``). Keyword rows also carry the document's
sentiment (``KEYWORD_SENTIMENT_MIGRATION``), so counting the keywords of one
polarity needs no join either: the digest's emerging complaints read about
a third of a month's keyword rows from one index instead of every row and
its document (120 ms on the 100k bench index). Ranking of emerging items is
``index.stats``'s, shared with Elasticsearch.
"""

from __future__ import annotations

import json
import sqlite3

from ._sqlite_sql import Where, build_where, epoch_ms
from .base import Emerging, EmergingQuery, Filters, KeywordCount, TopicCount, TopQuery
from .query import ParsedQuery
from .stats import emerging

KEYWORD_SENTIMENT_MIGRATION = [
    "ALTER TABLE doc_keywords ADD COLUMN sentiment TEXT",
    "UPDATE doc_keywords SET sentiment = (SELECT d.sentiment FROM documents d WHERE d.seq = doc_keywords.seq)",
    # A range of dates within one polarity, keywords in the index: the counts never read the table.
    "CREATE INDEX doc_keywords_sentiment ON doc_keywords(sentiment, created_at, keyword)",
    # Writes copy the sentiment with the keywords; the trigger keeps the copy exact whatever else changes it.
    """CREATE TRIGGER doc_keywords_follow_sentiment AFTER UPDATE OF sentiment ON documents
       WHEN OLD.sentiment IS NOT NEW.sentiment
       BEGIN UPDATE doc_keywords SET sentiment = NEW.sentiment WHERE seq = NEW.seq; END""",
]


def _source(table: str, where: Where) -> str:
    return table if where.dates_only else f"{table} JOIN documents d ON d.seq = t.seq"


def top_topics(conn: sqlite3.Connection, parsed: ParsedQuery, filters: Filters, query: TopQuery) -> list[TopicCount]:
    where = build_where(parsed, filters, dates="t")
    source = _source("doc_topics t", where)
    polarity_sql, params = "", list(where.params)
    if query.polarity is not None:
        polarity_sql = " AND t.polarity = ?"
        params.append(query.polarity.value)
    total_where = where.sql().replace("t.created_at", "d.created_at")
    total = conn.execute(f"SELECT count(*) FROM documents d WHERE {total_where}", where.params).fetchone()[0]
    rows = conn.execute(
        f"SELECT t.topic, count(*) AS n, total(t.polarity = 'negative') FROM {source} WHERE {where.sql()}{polarity_sql} "
        "GROUP BY t.topic ORDER BY n DESC, t.topic LIMIT ?",
        [*params, query.limit],
    ).fetchall()
    return [TopicCount(topic=t, count=n, negative=int(neg), share=n / total if total else 0.0) for t, n, neg in rows]


def top_keywords(conn: sqlite3.Connection, parsed: ParsedQuery, filters: Filters, query: TopQuery) -> list[KeywordCount]:
    where = build_where(parsed, filters, dates="t")
    polarity_sql, params = "", list(where.params)
    if query.polarity is not None:
        polarity_sql = " AND t.sentiment = ?"
        params.append(query.polarity.value)
    rows = conn.execute(
        f"SELECT t.keyword, count(*) AS n FROM {_source('doc_keywords t', where)} WHERE {where.sql()}{polarity_sql} "
        "GROUP BY t.keyword ORDER BY n DESC, t.keyword LIMIT ?",
        [*params, query.limit],
    ).fetchall()
    return [KeywordCount(keyword=k, count=n) for k, n in rows]


def emerging_topics(conn: sqlite3.Connection, parsed: ParsedQuery, filters: Filters, query: EmergingQuery) -> list[Emerging]:
    return _emerging(conn, parsed, filters, query, "doc_topics t", "t.topic", "t.polarity", candidates_first=False)


def emerging_keywords(conn: sqlite3.Connection, parsed: ParsedQuery, filters: Filters, query: EmergingQuery) -> list[Emerging]:
    return _emerging(conn, parsed, filters, query, "doc_keywords t", "t.keyword", "t.sentiment", candidates_first=True)


def _window_sql(alias: str, windows: list[int]) -> tuple[str, str, str, list[int]]:
    """(in the current window, in the baseline, in either, the parameters of "in either").

    The first two each take their window's two bounds. "In either" is one
    range over both windows when they touch or nearly so (the usual case: a
    baseline right before the window): SQLite reads one stretch of the date
    index instead of merging two (``MULTI-INDEX OR``), 4-5 times faster on
    the topic rows of a month. A row in a gap between them counts in
    neither total, so the answer is the same.
    """
    cur = f"({alias}.created_at >= ? AND {alias}.created_at < ?)"
    (c0, c1), (b0, b1) = windows[:2], windows[2:]
    gap = max(c0, b0) - min(c1, b1)
    if gap <= (c1 - c0) + (b1 - b0):
        return cur, cur, f"({alias}.created_at >= ? AND {alias}.created_at < ?)", [min(c0, b0), max(c1, b1)]
    return cur, cur, f"({cur} OR {cur})", list(windows)


def _emerging(conn: sqlite3.Connection, parsed: ParsedQuery, filters: Filters, query: EmergingQuery,
              table: str, key: str, polarity_column: str, *, candidates_first: bool) -> list[Emerging]:
    where = build_where(parsed, filters, dates="t")
    polarity_sql, polarity_params = "", []
    if query.polarity is not None:
        polarity_sql, polarity_params = f" AND {polarity_column} = ?", [query.polarity.value]
    source = _source(table, where)
    windows = [epoch_ms(query.current_since), epoch_ms(query.current_until),
               epoch_ms(query.baseline_since), epoch_ms(query.baseline_until)]
    cur, base, either, either_params = _window_sql("d", windows)
    doc_where = where.sql().replace("t.created_at", "d.created_at")
    n_current, n_baseline = conn.execute(
        f"SELECT total({cur}), total({base}) FROM documents d WHERE {doc_where} AND {either}",
        [*windows, *where.params, *either_params],
    ).fetchone()
    cur, base, either, either_params = _window_sql("t", windows)
    if not candidates_first:  # few distinct keys (topics): one pass over both windows
        rows = conn.execute(
            f"SELECT {key}, total({cur}), total({base}) FROM {source} "
            f"WHERE {where.sql()} AND {either}{polarity_sql} GROUP BY {key}",
            [*windows, *where.params, *either_params, *polarity_params],
        ).fetchall()
    else:
        # Only items seen min_count times in the (short) current window can
        # emerge: find those first, then count just them in the (long)
        # baseline, instead of grouping every keyword of the baseline. The
        # candidates go in as one JSON array (one pass over the baseline;
        # chunks of bound parameters read the baseline once per chunk).
        current_rows = conn.execute(
            f"SELECT {key}, count(*) FROM {source} WHERE {where.sql()} AND {cur}{polarity_sql} "
            f"GROUP BY {key} HAVING count(*) >= ?",
            [*where.params, *windows[:2], *polarity_params, query.min_count],
        ).fetchall()
        counts = dict.fromkeys((k for k, _ in current_rows), 0)
        if counts:
            counts.update(conn.execute(
                f"SELECT {key}, count(*) FROM {source} WHERE {where.sql()} AND {cur}{polarity_sql} "
                f"AND {key} IN (SELECT value FROM json_each(?)) GROUP BY {key}",
                [*where.params, *windows[2:], *polarity_params, json.dumps(list(counts), ensure_ascii=False)],
            ).fetchall())
        rows = [(k, c, counts[k]) for k, c in current_rows]
    current = {k: int(c) for k, c, _ in rows if c}
    baseline = {k: int(b) for k, _, b in rows if b}
    return emerging(current, baseline, int(n_current), int(n_baseline), min_count=query.min_count, limit=query.limit)


__all__ = ["emerging_keywords", "emerging_topics", "top_keywords", "top_topics"]
