"""Document vectors on SQLite (table ``doc_vectors``, see ``_sqlite_schema``): writes, reads and ``similar:``.

A vector is stored as one BLOB: the little-endian float32 scale, then the
int8 values. Similarity is exact: every candidate (the documents the rest of
the query matches, with a vector of the same model) is ranked with one NumPy
pass (``vectors.top_cosine``).

Reading 100,000 vectors out of SQLite takes about three times as long as
ranking them, so ``VectorMemory`` keeps them in memory as one int8 matrix per
model with their lengths, like the rollups (``_sqlite_rollup_memory``): keyed
by the generation number every document write bumps, read inside the query's
own transaction, so a ranking never uses vectors of another snapshot. A
filter then costs one query for the candidates' ``seq`` only.
"""

from __future__ import annotations

import json
import sqlite3
import struct
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ._sqlite_rollup_memory import generation
from ._sqlite_sql import Where, build_where
from .base import Filters
from .errors import InvalidQuery, NoVector
from .query import ParsedQuery
from .vectors import DocumentVector, VectorBatch, row_norms, top_cosine

_CHUNK = 500  # ids per IN (...) lookup
_SCALE = struct.Struct("<f")
#: More vectors than this (about 200 MB as int8) are ranked straight from SQLite, not held in memory.
MAX_MEMORY_ROWS = 500_000


def to_blob(vector: DocumentVector) -> bytes:
    return _SCALE.pack(vector.scale) + vector.values


def from_blob(model: str, blob: bytes) -> DocumentVector:
    return DocumentVector(model=model, values=blob[_SCALE.size:], scale=_SCALE.unpack_from(blob)[0])


def row(vector: DocumentVector | None) -> tuple[str, bytes] | None:
    """What ``write`` stores for a document's vector (None: the document has none)."""
    return None if vector is None else (vector.model, to_blob(vector))


def write(conn: sqlite3.Connection, replaced: Iterable[int], rows: Iterable[tuple[int, str, bytes]]) -> None:
    """Drop the vectors of documents being replaced (by seq), then insert ``(seq, model, blob)`` rows."""
    conn.executemany("DELETE FROM doc_vectors WHERE seq = ?", [(s,) for s in replaced])
    conn.executemany("INSERT INTO doc_vectors (seq, model, vector) VALUES (?, ?, ?)", rows)


def by_ids(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, DocumentVector]:
    """The stored vectors of these document ids; ids without one are left out."""
    found: dict[str, DocumentVector] = {}
    ids = list(dict.fromkeys(ids))
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        for doc_id, model, blob in conn.execute(
            "SELECT d.id, v.model, v.vector FROM documents d JOIN doc_vectors v ON v.seq = d.seq "
            f"WHERE d.id IN ({','.join('?' * len(chunk))})", chunk):
            found[doc_id] = from_blob(model, blob)
    return found


def _matrix(blobs: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """(n, dims) int8 values and (n,) float32 scales of blobs of one length."""
    raw = np.frombuffer(b"".join(blobs), dtype=np.uint8).reshape(len(blobs), -1)
    return raw[:, _SCALE.size:].view(np.int8), raw[:, : _SCALE.size].copy().view("<f4").ravel()


def batch(conn: sqlite3.Connection, where: Where, *, model: str | None, after_id: str,
          size: int) -> VectorBatch | None:  # fmt: skip
    """The next ``size`` vectors (in id order, after ``after_id``) of documents matching ``where``; None when done."""
    where.add("d.id > ?", after_id)
    if model is not None:
        where.add("v.model = ?", model)
    rows = conn.execute(f"SELECT d.id, v.model, v.vector FROM doc_vectors v JOIN documents d ON d.seq = v.seq "
                        f"WHERE {where.sql()} ORDER BY d.id LIMIT ?", [*where.params, size]).fetchall()
    if not rows:
        return None
    if len({len(r[2]) for r in rows}) > 1:  # encoders of different sizes: decode one by one
        return VectorBatch.of([r[0] for r in rows], [from_blob(m, b) for _, m, b in rows])
    values, scales = _matrix([r[2] for r in rows])
    return VectorBatch([r[0] for r in rows], [r[1] for r in rows], values, scales)


@dataclass(frozen=True)
class _Space:
    """Every stored vector of one model and length: ``seqs`` ascending, their int8 ``values`` and lengths."""

    seqs: np.ndarray
    values: np.ndarray
    norms: np.ndarray


class VectorMemory:
    """Per-backend holder of the vectors as matrices; safe to share between reader threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._spaces: dict[tuple[str, int], _Space] | None = None

    def spaces(self, conn: sqlite3.Connection) -> dict[tuple[str, int], _Space] | None:
        """``(model, blob length) -> _Space`` as of ``conn``'s read transaction; None when too many to hold."""
        gen = generation(conn)
        if self._generation == gen:
            return self._spaces
        with self._lock:
            if self._generation != gen:
                self._spaces = _load(conn)
                self._generation = gen
            return self._spaces


def _load(conn: sqlite3.Connection) -> dict[tuple[str, int], _Space] | None:
    if count(conn) > MAX_MEMORY_ROWS:
        return None
    groups: dict[tuple[str, int], list[tuple[int, bytes]]] = {}
    for seq, model, blob in conn.execute("SELECT seq, model, vector FROM doc_vectors ORDER BY seq"):
        groups.setdefault((model, len(blob)), []).append((seq, blob))
    spaces = {}
    for key, rows in groups.items():
        values, _ = _matrix([b for _, b in rows])
        spaces[key] = _Space(np.fromiter((s for s, _ in rows), dtype=np.int64, count=len(rows)), values,
                             row_norms(values))
    return spaces


def resolve(conn: sqlite3.Connection, parsed: ParsedQuery, filters: Filters, *, max_seq: int | None = None,
            memory: VectorMemory | None = None) -> ParsedQuery:  # fmt: skip
    """``parsed`` with ``similar:`` resolved into ``neighbours`` (unchanged without one).

    The candidates are the documents the rest of the query matches that hold
    a vector of the same model (and, for a later page of a search, existed at
    its first page: ``seq <= max_seq``), the document itself left out.
    ``memory``: rank from the vectors held there (read from SQLite without it).

    Raises:
        InvalidQuery: no document has the id.
        NoVector: the document has no vector.
    """
    similar = parsed.similar
    if similar is None or parsed.neighbours is not None:
        return parsed
    target = conn.execute("SELECT d.seq, v.model, v.vector FROM documents d LEFT JOIN doc_vectors v ON v.seq = d.seq "
                          "WHERE d.id = ?", (similar.doc_id,)).fetchone()
    if target is None:
        raise InvalidQuery(f"similar: no document with id {similar.doc_id!r}", field="q")
    seq, model, blob = target
    if model is None:
        raise NoVector(similar.doc_id)
    where = build_where(replace(parsed, similar=None), filters)
    spaces = memory.spaces(conn) if memory is not None else None
    if spaces is not None:
        seqs, scores = _rank_in_memory(conn, spaces.get((model, len(blob))), where, seq, max_seq,
                                       from_blob(model, blob).int8(), similar.k)  # fmt: skip
    else:
        seqs, scores = _rank_from_sqlite(conn, where, model, blob, seq, max_seq, similar.k)
    ids = dict(conn.execute("SELECT seq, id FROM documents WHERE seq IN (SELECT value FROM json_each(?))",
                            (json.dumps(seqs),))) if seqs else {}  # fmt: skip
    return replace(parsed, neighbours=tuple((ids[s], float(c)) for s, c in zip(seqs, scores, strict=True)))


def _rank_in_memory(conn: sqlite3.Connection, space: _Space | None, where: Where, seq: int, max_seq: int | None,
                    target: np.ndarray, k: int) -> tuple[list[int], np.ndarray]:  # fmt: skip
    if space is None:
        return [], np.zeros(0)
    keep = space.seqs != seq
    if max_seq is not None:
        keep &= space.seqs <= max_seq
    if where.conditions:  # the candidates' seqs from SQL, looked up in the sorted seqs
        matching = np.fromiter((r[0] for r in conn.execute(f"SELECT d.seq FROM documents d WHERE {where.sql()}",
                                                              where.params)), dtype=np.int64)  # fmt: skip
        pos = np.searchsorted(space.seqs, matching).clip(max=len(space.seqs) - 1)
        hit = np.zeros(len(space.seqs), dtype=bool)
        hit[pos[space.seqs[pos] == matching]] = True
        keep &= hit
        rows = np.flatnonzero(keep)
        if len(rows) < len(keep) // 4:  # few candidates: rank a copy of their rows, not the whole matrix
            best, scores = top_cosine(target, space.values[rows], k, space.norms[rows])
            return space.seqs[rows[best]].tolist(), scores
    best, scores = top_cosine(target, space.values, k, space.norms, keep)
    return space.seqs[best].tolist(), scores


def _rank_from_sqlite(conn: sqlite3.Connection, where: Where, model: str, blob: bytes, seq: int, max_seq: int | None,
                      k: int) -> tuple[list[int], np.ndarray]:  # fmt: skip
    # without text or filters the documents table is not needed: read the vectors alone
    source = "doc_vectors v JOIN documents d ON d.seq = v.seq" if where.conditions else "doc_vectors v"
    where.add("v.model = ?", model)
    where.add("length(v.vector) = ?", len(blob))
    where.add("v.seq != ?", seq)
    if max_seq is not None:
        where.add("v.seq <= ?", max_seq)
    rows = conn.execute(f"SELECT v.seq, v.vector FROM {source} WHERE {where.sql()}", where.params).fetchall()
    if not rows:
        return [], np.zeros(0)
    values, _ = _matrix([r[1] for r in rows])
    best, scores = top_cosine(from_blob(model, blob).int8(), values, k)
    return [rows[i][0] for i in best], scores


def count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM doc_vectors").fetchone()[0]


__all__ = ["MAX_MEMORY_ROWS", "VectorMemory", "batch", "by_ids", "count", "from_blob", "resolve", "row", "to_blob", "write"]
