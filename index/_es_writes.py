"""Writes of the Elasticsearch backend: bulk upserts that move a document whose month changed,
refuse erased ones, and refresh what they touched; deletes by query.

A part of ``ElasticsearchBackend`` kept in its own file, like ``_es_topics`` and ``_es_vectors``;
the guarantees are those of the module docstring of ``index.elasticsearch``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from elastic_transport import TransportError
from elasticsearch import ApiError

from ._es_bulk import SourceRow, prepare_sources, send_bulk
from ._es_query import translate
from .base import Filters, UpsertResult
from .document import Document
from .errors import BulkWriteError


class WriteMixin:
    """``upsert``, ``write_prepared``, ``delete_by_query`` and the bulk plumbing of ``ElasticsearchBackend``."""

    def _locate(self, ids: list[str]) -> dict[str, list[str]]:
        """id -> indices holding it (usually one): what searches see, and what ``bulk_import`` wrote since."""
        where: dict[str, list[str]] = defaultdict(list)
        for i in range(0, len(ids), 5000):
            chunk = ids[i : i + 5000]
            resp = self._search("upsert lookup", query={"ids": {"values": chunk}}, size=len(chunk) * 2,
                                source=False, track_total_hits=False)
            for hit in resp["hits"]["hits"]:
                where[hit["_id"]].append(hit["_index"])
        if self._unrefreshed:
            for doc_id in ids:
                index = self._unrefreshed.get(doc_id)
                if index is not None and index not in where[doc_id]:
                    where[doc_id].append(index)
        return {k: v for k, v in where.items() if v}

    #: see ``Backend.row_preparer``: workers of ``voclens ingest`` analyse and serialise, this process sends
    row_preparer = staticmethod(prepare_sources)
    #: rows per write of ``voclens ingest``: enough for several bulk requests in flight at once
    bulk_commit_rows = 5000

    def upsert(self, docs: Sequence[Document]) -> UpsertResult:
        """Insert or replace documents by id, in bulk; see the module docstring.

        Erased documents and authors (see ``erase``) are refused before the
        write and looked up again after it: a write that raced an erasure
        (checked before the tombstone existed, written after the delete)
        removes what it wrote, so an erasure always wins.

        Raises:
            BulkWriteError: documents still rejected after the retries (id -> reason).
            BackendUnavailable: the cluster cannot be reached.
        """
        return self.write_prepared(prepare_sources(docs, self.analyser))

    def write_prepared(self, rows: Sequence[SourceRow]) -> UpsertResult:
        """Write rows made by ``prepare_sources`` (``upsert`` without the analysis); same guarantees."""
        latest: dict[str, SourceRow] = {row.id: row for row in rows}  # a repeated id: the last copy wins
        if not latest:
            return UpsertResult()
        erased_ids = self._refused_rows(latest)
        for doc_id in erased_ids:
            del latest[doc_id]
        if not latest:
            return UpsertResult(erased=len(erased_ids), erased_ids=erased_ids)
        ids = list(latest)
        targets = {doc_id: self.names.index_for(row.created_at) for doc_id, row in latest.items()}
        self._ensure_indices(set(targets.values()) - self._known_indices)
        existing = self._locate(ids)
        actions: list[tuple[dict, object]] = []
        for doc_id, row in latest.items():
            target = targets[doc_id]
            for old in existing.get(doc_id, []):
                if old != target:
                    actions.append(({"delete": {"_index": old, "_id": doc_id}}, None))
            actions.append(({"index": {"_index": target, "_id": doc_id}}, row.source))
        self._bulk(actions)
        if self._pause is not None:
            self._remember_unrefreshed(targets)
        late = self._refused_rows(latest)
        if late:
            self._bulk([({"delete": {"_index": targets[i], "_id": i}}, None) for i in late], refresh=True)
            erased_ids += late
            ids = [i for i in ids if i not in set(late)]
        self.drop_removed_labels({i: latest[i].own_topics for i in ids})
        created = sum(1 for i in ids if i not in existing)
        return UpsertResult(created=created, updated=len(ids) - created, ids=ids, erased=len(erased_ids),
                            erased_ids=erased_ids)

    def _refused_rows(self, rows: dict[str, SourceRow]) -> list[str]:
        """Ids of ``rows`` that are erased, or whose author is."""
        refused = self.erased(list(rows), [r.author_hash for r in rows.values() if r.author_hash])
        return [i for i, r in rows.items() if i in refused or r.author_hash in refused] if refused else []

    def _ensure_indices(self, indices: set[str]) -> None:
        """Create months' indices (at once: each waits about a second for its shard) and only then
        add them to the alias, in one request.

        Letting bulk auto-create them would put them behind the alias (through the
        template) before their shards are ready, and searches in that moment fail
        with 503. Inside ``bulk_import`` they are created with refresh off.
        """
        if not indices:
            return
        pause = self._pause
        extra = {"settings": pause.created_settings()} if pause is not None else {}

        def create(index: str) -> None:
            try:
                self.es.indices.create(index=index, wait_for_active_shards="1", **extra)
            except ApiError as exc:
                if "resource_already_exists" not in str(exc):
                    raise translate(exc, "create index") from exc
            except TransportError as exc:
                raise translate(exc, "create index") from exc

        with ThreadPoolExecutor(min(len(indices), 8)) as pool:
            list(pool.map(create, sorted(indices)))
        if pause is not None:
            for index in indices:
                pause.add(index)
        self._call("add indices to alias", self.es.indices.update_aliases,
                   actions=[{"add": {"index": i, "alias": self.names.alias}} for i in sorted(indices)])
        self._known_indices.update(indices)

    def _bulk(self, actions: list[tuple[dict, object]], *, refresh: bool | None = None) -> None:
        """Send actions (``_es_bulk.send_bulk``) and refresh what they touched; raise for what still failed.

        ``refresh`` overrides the backend's setting (erasures always refresh);
        inside ``bulk_import`` documents are not refreshed. A ``delete`` of
        nothing and a ``create`` of an id that exists are no failures.
        """
        refresh = (self.refresh and self._pause is None) if refresh is None else refresh
        # Bulk writes are idempotent (stable ids): a slow node gets a longer
        # time limit than a search, and a timed-out request is simply sent again.
        client = self.es.options(request_timeout=max(self.timeout_ms / 1000, 60), retry_on_timeout=True)
        failures = self._call("bulk write", send_bulk, client, actions, threads=self.bulk_threads,
                              chunk_docs=self.bulk_chunk_docs, retries=self.bulk_retries,
                              timeout=f"{max(self.timeout_ms, 30_000)}ms")
        if refresh and actions:
            touched = sorted({next(iter(head.values()))["_index"] for head, _ in actions})
            self._call("refresh", self.es.indices.refresh, index=",".join(touched), ignore_unavailable=True)
        if failures:
            raise BulkWriteError(failures)

    def delete_by_query(self, q: str = "", filters: Filters | None = None) -> int:
        """Delete what matches, in pages of ids (works without the reindex module)."""
        query, _ = self._query(q, filters)
        deleted = 0
        after: list | None = None
        while True:
            extra = {"search_after": after} if after else {}
            resp = self._search("delete lookup", query=query, size=1000, source=False, sort=[{"id": "asc"}],
                                track_total_hits=False, **extra)
            hits = resp["hits"]["hits"]
            if not hits:
                break
            self._bulk([({"delete": {"_index": h["_index"], "_id": h["_id"]}}, None) for h in hits])
            deleted += len(hits)
            after = hits[-1]["sort"]
            if len(hits) < 1000:
                break
        return deleted


__all__ = ["WriteMixin"]
