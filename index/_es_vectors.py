"""Document vectors on Elasticsearch: reads, and ``similar:`` by kNN on the ``vector`` field.

A part of ``ElasticsearchBackend`` kept in its own file, like ``_es_erasure``;
it uses the backend's ``_search`` and ``analyser``. ``similar:ID`` becomes a
top-level ``knn`` search (HNSW, approximate; on SQLite it is exact) for the
``k`` nearest documents with a vector of the same model among those the rest
of the query matches; its answer, ``(id, cosine)`` pairs, then restricts the
query to those ids (``_es_query.build_query``) and, for a search by
relevance, gives each hit its cosine as its score (``by_similarity``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from ._es_query import build_query
from ._es_schema import READ_VECTOR, vector_from_hit
from ._request import parse_request
from .base import Filters
from .errors import InvalidQuery, NoVector
from .query import ParsedQuery
from .vectors import DocumentVector, VectorBatch

#: kNN looks at this many candidates per shard for each neighbour asked for (at least 100, at most 10,000).
CANDIDATES_PER_NEIGHBOUR = 4


def by_similarity(query: dict, neighbours: Sequence[tuple[str, float]]) -> dict:
    """``query`` scored by each neighbour's cosine (plus 1: scores may not be negative), nothing else."""
    functions = [{"filter": {"ids": {"values": [doc_id]}}, "weight": cosine + 1.0} for doc_id, cosine in neighbours]
    return {"function_score": {"query": query, "functions": functions, "score_mode": "first", "boost_mode": "replace"}}


class VectorMixin:
    """``vectors``, ``texts``, ``iter_vectors`` and the resolution of ``similar:`` of ``ElasticsearchBackend``."""

    def vectors(self, ids: Sequence[str]) -> dict[str, DocumentVector]:
        found: dict[str, DocumentVector] = {}
        ids = list(dict.fromkeys(ids))
        for i in range(0, len(ids), 5000):
            chunk = ids[i : i + 5000]
            resp = self._search("vector lookup", query={"bool": {"filter": [{"ids": {"values": chunk}},
                                                                            {"exists": {"field": "vector"}}]}},
                                size=len(chunk), track_total_hits=False, **READ_VECTOR)  # fmt: skip
            for hit in resp["hits"]["hits"]:
                found[hit["_id"]] = vector_from_hit(hit)
        return found

    def texts(self, ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        ids = list(dict.fromkeys(ids))
        for i in range(0, len(ids), 5000):
            chunk = ids[i : i + 5000]
            resp = self._search("text lookup", query={"ids": {"values": chunk}}, size=len(chunk),
                                track_total_hits=False, source=["doc.title", "doc.text"])  # fmt: skip
            for hit in resp["hits"]["hits"]:
                doc = hit["_source"].get("doc", {})
                text = doc.get("text", "")
                found[hit["_id"]] = f"{doc['title']}\n{text}" if doc.get("title") else text
        return found

    def iter_vectors(self, q: str = "", filters: Filters | None = None, *, model: str | None = None,
                     batch_size: int = 2000, after_id: str | None = None) -> Iterator[VectorBatch]:  # fmt: skip
        """See ``Backend.iter_vectors``: pages of ``search_after`` on the id."""
        query, _ = self._query(q, filters)
        extra = [{"exists": {"field": "vector"}}] + ([{"term": {"vector_model": model}}] if model else [])
        query = {"bool": {"filter": [query, *extra]}}
        after = [after_id] if after_id else None
        while True:
            more = {"search_after": after} if after else {}
            resp = self._search("vector scan", query=query, size=batch_size, sort=[{"id": "asc"}],
                                track_total_hits=False, **READ_VECTOR, **more)  # fmt: skip
            hits = resp["hits"]["hits"]
            if not hits:
                return
            yield VectorBatch.of([h["_id"] for h in hits], [vector_from_hit(h) for h in hits])
            if len(hits) < batch_size:
                return
            after = hits[-1]["sort"]

    def _query(self, q: str, filters: Filters | None) -> tuple[dict, Filters]:
        """The query DSL of ``q`` and ``filters`` (a ``similar:`` resolved first), and the merged filters."""
        parsed, merged = parse_request(q, filters, self.analyser, self.known_topics)
        return build_query(self._resolve(parsed, merged), merged), merged

    def _resolve(self, parsed: ParsedQuery, filters: Filters, pit: str | None = None) -> ParsedQuery:
        """``parsed`` with ``similar:`` resolved into ``neighbours`` by kNN (unchanged without one).

        ``pit``: search in that point in time (a later page of a search), so
        the neighbours are those of the first page's snapshot.

        Raises:
            InvalidQuery: no document has the id.
            NoVector: the document has no vector.
        """
        similar = parsed.similar
        if similar is None or parsed.neighbours is not None:
            return parsed
        resp = self._search("similar lookup", query={"ids": {"values": [similar.doc_id]}}, size=1, **READ_VECTOR)
        hits = resp["hits"]["hits"]
        if not hits:
            raise InvalidQuery(f"similar: no document with id {similar.doc_id!r}", field="q")
        target = vector_from_hit(hits[0])
        if target is None:
            raise NoVector(similar.doc_id)
        candidates = min(10_000, max(100, CANDIDATES_PER_NEIGHBOUR * similar.k))
        knn = {"field": "vector", "query_vector": target.int8().tolist(), "k": similar.k, "num_candidates": candidates,
               "filter": {"bool": {"filter": [build_query(replace(parsed, similar=None), filters),
                                              {"term": {"vector_model": target.model}}],
                                   "must_not": [{"ids": {"values": [similar.doc_id]}}]}}}  # fmt: skip
        where = {"pit": {"id": pit, "keep_alive": self.pit_keep_alive}} if pit else {}
        resp = self._search("similar", knn=knn, size=similar.k, source=False, track_total_hits=False, **where)
        # the cosine similarity's score is (1 + cosine) / 2
        pairs = [(h["_id"], round(2.0 * h["_score"] - 1.0, 6)) for h in resp["hits"]["hits"]]
        pairs.sort(key=lambda p: (-p[1], p[0]))
        return replace(parsed, neighbours=tuple(pairs))


__all__ = ["VectorMixin", "by_similarity"]
