"""SQL building blocks of the SQLite backend: FTS5 expressions and filter clauses.

Everything the user typed reaches SQLite either as a bound parameter or as an
FTS5 string literal built by :func:`fts_quote` from analyser tokens, never as
SQL or FTS5 syntax.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

from ._request import list_filters
from .base import Filters
from .query import Clause, ParsedQuery, Term


# -- FTS5 expressions ------------------------------------------------------------
def fts_quote(token: str) -> str:
    """An FTS5 string literal: the token is data, whatever characters it holds."""
    return '"' + token.replace('"', '""') + '"'


def _term_expr(term: Term) -> str:
    if term.phrase:
        return "{title body} : (" + " + ".join(fts_quote(t) for t in term.tokens) + ")"
    if len(term.tokens) == 1:
        return fts_quote(term.tokens[0])
    return "(" + " AND ".join(fts_quote(t) for t in term.tokens) + ")"


def _clause_expr(clause: Clause) -> str:
    if len(clause.terms) == 1:
        return _term_expr(clause.terms[0])
    return "(" + " OR ".join(_term_expr(t) for t in clause.terms) + ")"


def match_expressions(parsed: ParsedQuery) -> tuple[str | None, str | None]:
    """(expression every hit must match, expression no hit may match)."""
    required = parsed.required
    excluded = parsed.excluded
    must = " AND ".join(_clause_expr(c) for c in required) if required else None
    must_not = " OR ".join(_clause_expr(c) for c in excluded) if excluded else None
    return must, must_not


# -- WHERE clauses ---------------------------------------------------------------
def epoch_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


@dataclass
class Where:
    """Conditions on ``documents d`` and their parameters, ANDed."""

    conditions: list[str] = field(default_factory=list)
    params: list = field(default_factory=list)
    match: str | None = None  # FTS expression the caller joins on, if any
    dates_only: bool = True  # no condition other than on created_at

    def add(self, sql: str, *params) -> None:
        self.conditions.append(sql)
        self.params.extend(params)

    def sql(self) -> str:
        return " AND ".join(self.conditions) if self.conditions else "1"


def _in(column: str, values: list) -> tuple[str, list]:
    return f"{column} IN ({', '.join('?' * len(values))})", list(values)


#: A date range covering at most this share of the labelled time span reads topic rows by date.
NARROW_SHARE = 0.15


def narrow_dates(conn: sqlite3.Connection, filters: Filters) -> bool:
    """True when a topic filter is best answered from the topic rows of the date range.

    ``topic:x`` with a date range would otherwise read every ``x`` row of all
    time through ``doc_topics_topic`` (SQLite has no statistics to know
    better): 20-35 ms on 100k documents, where the rows of a week read by
    ``doc_topics_created`` cost 3 ms and those of a day 0.2 ms (the digest's
    and the Emerging view's examples). Over a wide range the topic index
    wins, so the choice compares the range with the span of the topic rows:
    two index seeks.
    """
    if not filters.topics or (filters.since is None and filters.until is None):
        return False
    # Two queries: SQLite answers a lone min() or max() with one index seek, both together by a scan.
    lo = conn.execute("SELECT min(created_at) FROM doc_topics").fetchone()[0]
    hi = conn.execute("SELECT max(created_at) FROM doc_topics").fetchone()[0]
    if lo is None or hi <= lo:
        return False
    start = max(lo, epoch_ms(filters.since)) if filters.since else lo
    end = min(hi + 1, epoch_ms(filters.until)) if filters.until else hi + 1
    return (end - start) <= NARROW_SHARE * (hi + 1 - lo)


def build_where(parsed: ParsedQuery, filters: Filters, *, join_match: bool = False, dates: str = "d",
                topic_dates: bool = False) -> Where:
    """Conditions for documents matching ``parsed`` text and ``filters``.

    With ``join_match`` the required FTS expression is left in ``Where.match``
    for the caller to join ``doc_fts`` on (so it can rank by it); otherwise it
    becomes a ``seq IN (...)`` condition. Date conditions use the
    ``created_at`` of table alias ``dates`` (the analytics tables carry a
    copy), so a query with ``Where.dates_only`` needs no join on documents.
    With ``topic_dates`` (see :func:`narrow_dates`) the topic filter's rows
    are read by date instead of by topic.
    """
    where = Where()
    must, must_not = match_expressions(parsed)
    if must is not None:
        if join_match:
            where.match = must
        else:
            where.add("d.seq IN (SELECT rowid FROM doc_fts WHERE doc_fts MATCH ?)", must)
    if must_not is not None:
        where.add("d.seq NOT IN (SELECT rowid FROM doc_fts WHERE doc_fts MATCH ?)", must_not)
    for name, values in list_filters(filters):  # brand, product_id and source columns are COLLATE NOCASE
        sql, params = _in(f"d.{name}", values)
        where.add(sql, *params)
    if filters.topics:
        ors, params = [], []
        plus = "+" if topic_dates else ""  # "+" keeps SQLite off the topic index: the date range picks the rows
        for tf in filters.topics:
            if tf.polarity is None:
                ors.append(f"{plus}topic = ?")
                params.append(tf.topic)
            else:
                ors.append(f"({plus}topic = ? AND {plus}polarity = ?)")
                params.extend((tf.topic, tf.polarity.value))
        condition = f"({' OR '.join(ors)})"
        if topic_dates:
            for op, value in ((">=", filters.since), ("<", filters.until)):
                if value is not None:
                    condition += f" AND created_at {op} ?"
                    params.append(epoch_ms(value))
        where.add(f"d.seq IN (SELECT seq FROM doc_topics WHERE {condition})", *params)
    if filters.rating_min is not None:
        where.add("d.rating >= ?", filters.rating_min)
    if filters.rating_max is not None:
        where.add("d.rating <= ?", filters.rating_max)
    if parsed.neighbours is not None:  # ``similar:``, resolved by the backend (``_sqlite_vectors.resolve``)
        where.add("d.id IN (SELECT value FROM json_each(?))", json.dumps([i for i, _ in parsed.neighbours]))
    where.dates_only = not where.conditions and where.match is None
    if filters.since is not None:
        where.add(f"{dates}.created_at >= ?", epoch_ms(filters.since))
    if filters.until is not None:
        where.add(f"{dates}.created_at < ?", epoch_ms(filters.until))
    return where


def max_seq(conn: sqlite3.Connection) -> int:
    """The highest document ``seq`` ever given: a search snapshot, and where new rows continue."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'documents'").fetchone()
    return row[0] if row else 0
