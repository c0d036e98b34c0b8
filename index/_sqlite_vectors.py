"""Document vectors on SQLite (table ``doc_vectors``, see ``_sqlite_schema``): writes, reads and ``similar:``.

A vector is stored as one BLOB: the little-endian float32 scale, then the
int8 values. Similarity is exact: the vectors of every candidate (the
documents the rest of the query matches, with a vector of the same model)
are read in one query and ranked with one NumPy product (``vectors.top_cosine``).
"""

from __future__ import annotations

import json
import sqlite3
import struct
from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np

from ._sqlite_sql import Where, build_where
from .base import Filters
from .errors import InvalidQuery, NoVector
from .query import ParsedQuery
from .vectors import DocumentVector, VectorBatch, top_cosine

_CHUNK = 500  # ids per IN (...) lookup
_SCALE = struct.Struct("<f")


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


def resolve(conn: sqlite3.Connection, parsed: ParsedQuery, filters: Filters, *,
            max_seq: int | None = None) -> ParsedQuery:  # fmt: skip
    """``parsed`` with ``similar:`` resolved into ``neighbours`` (unchanged without one).

    The candidates are the documents the rest of the query matches that hold
    a vector of the same model (and, for a later page of a search, existed at
    its first page: ``seq <= max_seq``), the document itself left out.

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
    # without text or filters the documents table is not needed: read the vectors alone
    source = "doc_vectors v JOIN documents d ON d.seq = v.seq" if where.conditions else "doc_vectors v"
    where.add("v.model = ?", model)
    where.add("length(v.vector) = ?", len(blob))
    where.add("v.seq != ?", seq)
    if max_seq is not None:
        where.add("v.seq <= ?", max_seq)
    rows = conn.execute(f"SELECT v.seq, v.vector FROM {source} WHERE {where.sql()}", where.params).fetchall()
    neighbours: tuple[tuple[str, float], ...] = ()
    if rows:
        values, _ = _matrix([r[1] for r in rows])
        best, scores = top_cosine(from_blob(model, blob).int8(), values, similar.k)
        seqs = [rows[i][0] for i in best]
        ids = dict(conn.execute("SELECT seq, id FROM documents WHERE seq IN (SELECT value FROM json_each(?))",
                                (json.dumps(seqs),)))
        neighbours = tuple((ids[s], float(score)) for s, score in zip(seqs, scores, strict=True))
    return replace(parsed, neighbours=neighbours)


def count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM doc_vectors").fetchone()[0]


__all__ = ["batch", "by_ids", "count", "from_blob", "resolve", "row", "to_blob", "write"]
