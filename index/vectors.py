"""Document vectors: the classifier encoder's pooled vector of each document, stored once.

The transformer's heads read one vector per text, the mean of its last hidden
states (384 floats for the e5-small encoders). The index keeps it so that
"more like this", own topics and themes work from stored vectors, with no
second pass of the encoder.

Stored form: int8 values and one float32 scale per vector (``value * scale``
gives the float back), 388 bytes. On real texts the stored vector keeps a
cosine of 0.9999 with the float32 one and 99.7% of each document's ten nearest
neighbours; float16 would take twice the room for no difference that shows
in a ranking. Cosine similarity ignores the scale, so similarity runs on the
int8 values directly (Elasticsearch indexes them as a ``byte`` ``dense_vector``).

Each vector carries the name of the encoder that made it (``model``): vectors of
two encoders live in different spaces, so similarity only ever compares vectors
of one model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Length of the vectors of every shipped encoder (e5-small's hidden size); Elasticsearch's mapping fixes it.
DIMS = 384
#: Neighbours ``similar:ID`` stands for unless it names a number (``similar:ID:500``), and the most it may name.
SIMILAR_DEFAULT = 100
SIMILAR_MAX = 1000


class DocumentVector(BaseModel):
    """A document's vector as stored: int8 ``values`` (two's complement bytes) times ``scale``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(min_length=1, max_length=128, description="The encoder that made it (its weights' version).")
    values: bytes = Field(min_length=1, max_length=4096)
    scale: float = Field(gt=0)

    @field_validator("values")
    @classmethod
    def _not_zero(cls, value: bytes) -> bytes:
        if not any(value):
            raise ValueError("a zero vector has no direction")
        return value

    @field_validator("scale")
    @classmethod
    def _float32(cls, value: float) -> float:
        # both backends keep the scale as a float32: a vector reads back equal to what was written
        return float(np.float32(value))

    @classmethod
    def from_array(cls, model: str, array: np.ndarray) -> DocumentVector | None:
        """Quantise a float vector (symmetric int8, scale = largest magnitude / 127); None for a zero vector."""
        array = np.asarray(array, dtype=np.float32).ravel()
        peak = float(np.abs(array).max()) if array.size else 0.0
        if not np.isfinite(peak) or peak == 0.0:
            return None
        scale = peak / 127.0
        q = np.clip(np.rint(array / scale), -127, 127).astype(np.int8)
        return cls(model=model, values=q.tobytes(), scale=scale)

    def int8(self) -> np.ndarray:
        return np.frombuffer(self.values, dtype=np.int8)

    def array(self) -> np.ndarray:
        """The float32 vector back (within half a scale step of the original in every dimension)."""
        return self.int8().astype(np.float32) * np.float32(self.scale)


@dataclass(frozen=True)
class VectorBatch:
    """Vectors of several documents, one row each, as ``Backend.iter_vectors`` yields them.

    ``values`` is (n, dims) int8 and ``scales`` (n,) float32; ``floats()`` gives
    the float vectors back (what a head trained on the encoder's output reads),
    ``unit()`` the unit vectors (for cosine similarity and clustering).
    """

    ids: list[str]
    models: list[str]
    values: np.ndarray
    scales: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def floats(self) -> np.ndarray:
        return self.values.astype(np.float32) * self.scales[:, None]

    def unit(self) -> np.ndarray:
        return unit_rows(self.values)

    @classmethod
    def of(cls, ids: Sequence[str], vectors: Sequence[DocumentVector]) -> VectorBatch:
        values = np.stack([v.int8() for v in vectors]) if vectors else np.zeros((0, DIMS), np.int8)
        return cls(list(ids), [v.model for v in vectors], values,
                   np.array([v.scale for v in vectors], dtype=np.float32))


def unit_rows(values: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (float32); an all-zero row stays zero."""
    rows = values.astype(np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", rows, rows))
    return rows / np.maximum(norms, 1e-12)[:, None]


#: Rows converted to float at a time: a 100,000-row matrix is never held in float32 at once.
_CHUNK_ROWS = 16_384


def row_norms(values: np.ndarray) -> np.ndarray:
    """The length of each row (float32), computed in chunks."""
    out = np.empty(len(values), dtype=np.float32)
    for start in range(0, len(values), _CHUNK_ROWS):
        rows = values[start : start + _CHUNK_ROWS].astype(np.float32)
        out[start : start + len(rows)] = np.sqrt(np.einsum("ij,ij->i", rows, rows))
    return out


def cosines(target: np.ndarray, values: np.ndarray, norms: np.ndarray | None = None) -> np.ndarray:
    """The cosine of ``target`` with each row of ``values`` (int8 rows are scaled per row, so scales never matter).

    ``norms``: the rows' lengths when known (``row_norms``), which saves a pass.
    """
    t = np.asarray(target, dtype=np.float32).ravel()
    t = t / max(float(np.linalg.norm(t)), 1e-12)
    out = np.empty(len(values), dtype=np.float32)
    for start in range(0, len(values), _CHUNK_ROWS):
        rows = values[start : start + _CHUNK_ROWS].astype(np.float32)
        lengths = np.sqrt(np.einsum("ij,ij->i", rows, rows)) if norms is None else norms[start : start + len(rows)]
        out[start : start + len(rows)] = (rows @ t) / np.maximum(lengths, 1e-12)
    return out


def top_cosine(target: np.ndarray, values: np.ndarray, k: int, norms: np.ndarray | None = None,
               keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Row positions of the ``k`` rows of ``values`` nearest ``target`` by cosine, best first, and their cosines.

    Exact: one pass of matrix-vector products over every row. ``keep`` (a
    boolean per row) leaves the other rows out without copying the matrix.
    Ties go to the lower position, so the answer does not depend on how
    NumPy partitions.
    """
    if len(values) == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    # rounded so that equal rows score equal (BLAS may sum two copies of a row in different orders)
    scores = np.round(cosines(target, values, norms), 6)
    candidates = len(scores) if keep is None else int(np.count_nonzero(keep))
    if keep is not None:
        scores[~keep] = -np.inf
    k = min(k, candidates)
    if k == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    if k < len(scores):
        cut = np.argpartition(-scores, k - 1)[:k]
        # rows tied with the k-th score on either side of the cut: keep the lowest positions
        pool = np.flatnonzero(scores >= scores[cut].min())
    else:
        pool = np.arange(len(scores))
    order = pool[np.lexsort((pool, -scores[pool]))][:k]
    return order, scores[order]


__all__ = ["DIMS", "SIMILAR_DEFAULT", "SIMILAR_MAX", "DocumentVector", "VectorBatch", "cosines", "row_norms", "top_cosine", "unit_rows"]
