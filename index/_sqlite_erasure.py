"""Deleting documents for good on SQLite, tombstones and the erasure log (tables in ``_sqlite_schema``).

Documents to delete are gathered in ``temp.doomed`` first (by a query, by
id or by author), then deleted with everything derived from them in one
statement per table. Every function runs inside the caller's write
transaction; making sure the text also leaves the file (``secure_delete``,
merging the full-text index, truncating the WAL) is the backend's part.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from . import _sqlite_rollup as rollup
from .base import ErasureKind, ErasureRecord, Tombstone

_CHUNK = 500  # keys per IN (...) lookup


def _chunks(keys: Sequence[str]) -> Iterable[list[str]]:
    keys = list(dict.fromkeys(keys))
    for i in range(0, len(keys), _CHUNK):
        yield keys[i : i + _CHUNK]


def start_doomed(conn: sqlite3.Connection) -> None:
    """An empty ``temp.doomed`` (seq of each document to delete)."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS doomed (seq INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp.doomed")


def doom(conn: sqlite3.Connection, kind: ErasureKind, keys: Sequence[str]) -> list[tuple[str, str]]:
    """Add the documents with these ids (or of these author hashes) to ``temp.doomed``.

    Returns:
        ``(document id, key)`` of each document added.
    """
    column = "id" if kind is ErasureKind.document else "author_hash"
    found: list[tuple[str, str]] = []
    for chunk in _chunks(keys):
        rows = conn.execute(f"SELECT seq, id, {column} FROM documents WHERE {column} IN ({','.join('?' * len(chunk))})",
                            chunk).fetchall()
        conn.executemany("INSERT OR IGNORE INTO temp.doomed (seq) VALUES (?)", [(seq,) for seq, _, _ in rows])
        found += [(doc_id, key) for _, doc_id, key in rows]
    return found


def delete_doomed(conn: sqlite3.Connection) -> int:
    """Delete the documents whose seq is in ``temp.doomed`` (and their FTS, topic, keyword and rollup rows)."""
    n = conn.execute("SELECT count(*) FROM temp.doomed").fetchone()[0]
    if n:
        rollup.remove(conn, "seq IN (SELECT seq FROM temp.doomed)", [])
        conn.execute("DELETE FROM doc_fts WHERE rowid IN (SELECT seq FROM temp.doomed)")
        conn.execute("DELETE FROM documents WHERE seq IN (SELECT seq FROM temp.doomed)")  # cascades
    conn.execute("DELETE FROM temp.doomed")
    return n


def erased_keys(conn: sqlite3.Connection, ids: Sequence[str], author_hashes: Sequence[str]) -> set[str]:
    """Which of these document ids and author hashes have tombstones."""
    found: set[str] = set()
    for kind, keys in ((ErasureKind.document, ids), (ErasureKind.author, author_hashes)):
        for chunk in _chunks(keys):
            found.update(k for (k,) in conn.execute(
                f"SELECT key FROM erased WHERE kind = ? AND key IN ({','.join('?' * len(chunk))})", [kind.value, *chunk]))
    return found


def known(conn: sqlite3.Connection, doc_id: str) -> bool:
    """True when the document is stored or has a tombstone (``erase`` refuses an id that is neither)."""
    return bool(conn.execute("SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone()
                or erased_keys(conn, [doc_id], []))


def add_tombstones(conn: sqlite3.Connection, tombstones: Iterable[Tombstone]) -> None:
    """Write tombstones; a key already tombstoned keeps its time."""
    conn.executemany("INSERT OR IGNORE INTO erased (kind, key, at) VALUES (?, ?, ?)",
                     [(t.kind.value, t.key, t.at_ms) for t in tombstones])


def tombstones_after(conn: sqlite3.Connection, after: tuple[str, str], limit: int) -> list[Tombstone]:
    """Up to ``limit`` tombstones after ``(kind, key)``, in (kind, key) order."""
    rows = conn.execute("SELECT kind, key, at FROM erased WHERE (kind, key) > (?, ?) ORDER BY kind, key LIMIT ?",
                        (*after, limit)).fetchall()
    return [Tombstone.from_ms(kind, key, at) for kind, key, at in rows]


def log_erasure(conn: sqlite3.Connection, kind: ErasureKind, key: str, at_ms: int, actor: str, documents: int) -> None:
    conn.execute("INSERT INTO erasure_log (kind, key, at, actor, documents) VALUES (?, ?, ?, ?, ?)",
                 (kind.value, key, at_ms, actor, documents))


__all__ = ["add_tombstones", "delete_doomed", "doom", "erased_keys", "known", "log_erasure", "start_doomed", "tombstones_after"]


def bury(conn: sqlite3.Connection, tombstones: Sequence[Tombstone]) -> int:
    """Delete what ``tombstones`` name and write them, with one for each document of a named author.

    Returns:
        How many documents were removed.
    """
    start_doomed(conn)
    found: list[tuple[str, str]] = []
    for kind in ErasureKind:
        found += doom(conn, kind, [t.key for t in tombstones if t.kind is kind])
    removed = delete_doomed(conn)
    when = {t.key: t.at for t in tombstones if t.kind is ErasureKind.author}
    add_tombstones(conn, [*tombstones, *(Tombstone(kind=ErasureKind.document, key=doc_id, at=when[key])
                                         for doc_id, key in found if key in when)])
    if removed:  # FTS5 keeps a deleted row's tokens in older segments until a merge
        conn.execute("INSERT INTO doc_fts(doc_fts) VALUES ('optimize')")
    return removed


def erasure_log(conn: sqlite3.Connection, limit: int) -> list[ErasureRecord]:
    """The latest ``limit`` erasures, newest first."""
    rows = conn.execute("SELECT kind, key, at, actor, documents FROM erasure_log ORDER BY seq DESC LIMIT ?",
                        (limit,)).fetchall()
    return [ErasureRecord(kind=k, key=key, at=datetime.fromtimestamp(at / 1000, UTC), actor=actor, documents=n)
            for k, key, at, actor, n in rows]
