"""One page of search hits on SQLite, and the cursor to the next.

Cursors freeze the result set at the first page: ``S`` is the highest
document ``seq`` then, and later pages only see documents up to it (a
document written later has a higher ``seq``; an update keeps its ``seq``).
Date sorts page by key (``k`` created_at, ``s`` seq of the last hit);
relevance pages by position (``o``) within that frozen set.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

from ._cursor import VERSION, encode_cursor, is_int
from ._request import SearchPlan
from ._sqlite_sql import build_where, max_seq, narrow_dates
from .base import SortOrder


def cursor_check(relevance: bool) -> Callable[[dict], bool]:
    """What a cursor of this sort must hold (integers only), for ``_cursor.decode_cursor``."""
    keys = ("S", "o") if relevance else ("S", "k", "s")
    return lambda data: all(is_int(data.get(key)) for key in keys)


def search_page(conn: sqlite3.Connection, plan: SearchPlan, limit: int,
                cursor: dict | None) -> tuple[int, list[tuple[str, float | None]], str | None]:
    """``(total, [(document JSON, score)], next cursor)`` for one page of ``plan``.

    A ``similar:`` search by relevance ranks by the cosines of its resolved
    ``neighbours`` (joined in as JSON); any text then only narrows.
    """
    by_similarity = plan.relevance and plan.parsed.neighbours is not None
    where = build_where(plan.parsed, plan.filters, join_match=plan.relevance and not by_similarity,
                        topic_dates=narrow_dates(conn, plan.filters))
    head: list = []
    if by_similarity:
        source = ("documents d JOIN (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS score "
                  "FROM json_each(?)) nb ON nb.id = d.id")
        head, rank = [json.dumps(plan.parsed.neighbours)], "-nb.score"
    elif where.match is not None:
        # CROSS JOIN pins the FTS index as the outer loop: probing FTS5 once
        # per filtered document would be far slower.
        source, rank = "doc_fts CROSS JOIN documents d ON d.seq = doc_fts.rowid", "doc_fts.rank"
        where.conditions.insert(0, "doc_fts MATCH ?")
        where.params.insert(0, where.match)
    else:
        source, rank = "documents d", "NULL"
    snapshot = cursor["S"] if cursor else max_seq(conn)
    if cursor:
        where.add("d.seq <= ?", snapshot)
    total = conn.execute(f"SELECT count(*) FROM {source} WHERE {where.sql()}", [*head, *where.params]).fetchone()[0]
    if plan.relevance:
        offset = cursor["o"] if cursor else 0
        rows = conn.execute(
            f"SELECT d.seq, d.created_at, {rank} FROM {source} WHERE {where.sql()} "
            f"ORDER BY {rank}, d.seq LIMIT ? OFFSET ?",
            [*head, *where.params, limit + 1, offset],
        ).fetchall()
    else:
        desc = plan.sort is SortOrder.newest
        if cursor:
            where.add(f"(d.created_at, d.seq) {'<' if desc else '>'} (?, ?)", cursor["k"], cursor["s"])
        direction = "DESC" if desc else "ASC"
        rows = conn.execute(
            f"SELECT d.seq, d.created_at, NULL FROM {source} WHERE {where.sql()} "
            f"ORDER BY d.created_at {direction}, d.seq {direction} LIMIT ?",
            [*head, *where.params, limit + 1],
        ).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    seqs = [r[0] for r in rows]
    raw = dict(conn.execute(f"SELECT seq, doc FROM document_json WHERE seq IN ({','.join('?' * len(seqs))})", seqs)) if seqs else {}
    next_cursor = None
    if more:
        state = {"v": VERSION, "f": plan.fingerprint, "S": snapshot}
        if plan.relevance:
            state["o"] = (cursor["o"] if cursor else 0) + len(rows)
        else:
            state["k"], state["s"] = rows[-1][1], rows[-1][0]
        next_cursor = encode_cursor(state)
    return total, [(raw[seq], -rank if rank is not None else None) for seq, _, rank in rows], next_cursor


__all__ = ["cursor_check", "search_page"]
