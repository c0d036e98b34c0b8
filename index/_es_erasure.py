"""Erasure on Elasticsearch: tombstones in ``{prefix}-erased``, the log in ``{prefix}-erasure-log``.

A part of ``ElasticsearchBackend`` kept in its own file because it is a
concern of its own (takedown requests, see ``Backend.erase``); it uses the
backend's client calls (``_call``, ``_search``, ``_bulk``, ``_locate``).
Tombstones have the id ``{kind}:{key}``, so writing one twice is one
document and looking keys up is an ``ids`` query.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from elastic_transport import TransportError
from elasticsearch import ApiError

from ._es_query import translate
from ._es_schema import ERASED_MAPPINGS, ERASURE_LOG_MAPPINGS
from .base import ErasureKind, ErasureRecord, Tombstone
from .document import Document
from .errors import DocumentNotFound

log = logging.getLogger(__name__)

#: Read options for indices that may not exist yet (nothing erased so far).
READ = {"ignore_unavailable": True, "allow_no_indices": True}


class ErasureMixin:
    """``erase``, ``erased``, ``erasures`` and the tombstone transfer of ``ElasticsearchBackend``."""

    def _ensure_erasure_indices(self) -> None:
        for index, mappings in ((self.names.erased, ERASED_MAPPINGS), (self.names.erasure_log, ERASURE_LOG_MAPPINGS)):
            if index in self._known_indices:
                continue
            try:
                self.es.indices.create(index=index, mappings=mappings, wait_for_active_shards="1",
                                       settings={"number_of_shards": 1, "number_of_replicas": self.replicas})
            except ApiError as exc:
                if "resource_already_exists" not in str(exc):
                    raise translate(exc, "create erasure index") from exc
            except TransportError as exc:
                raise translate(exc, "create erasure index") from exc
            self._known_indices.add(index)

    def _refused(self, docs: dict[str, Document]) -> list[str]:
        """Ids of ``docs`` that are erased, or whose author is."""
        hashes = [d.author_hash for d in docs.values() if d.author_hash]
        refused = self.erased(list(docs), hashes)
        return [i for i, d in docs.items() if i in refused or d.author_hash in refused] if refused else []

    def erased(self, ids: Sequence[str] = (), author_hashes: Sequence[str] = ()) -> set[str]:
        keys = [f"{ErasureKind.document.value}:{i}" for i in dict.fromkeys(ids)]
        keys += [f"{ErasureKind.author.value}:{h}" for h in dict.fromkeys(author_hashes)]
        found: set[str] = set()
        for i in range(0, len(keys), 5000):
            chunk = keys[i : i + 5000]
            resp = self._call("erasure lookup", self.es.search, index=self.names.erased, query={"ids": {"values": chunk}},
                              size=len(chunk), source=False, track_total_hits=False, **READ).body
            found.update(h["_id"].split(":", 1)[1] for h in resp["hits"]["hits"])
        return found

    def _tombstone(self, tombstones: Sequence[Tombstone], op: str) -> None:
        """Write tombstones (refreshed at once): ``op`` ``index`` stamps them anew, ``create`` keeps an existing time."""
        if tombstones:
            self._bulk([({op: {"_index": self.names.erased, "_id": f"{t.kind.value}:{t.key}"}},
                         {"kind": t.kind.value, "key": t.key, "at": t.at_ms}) for t in tombstones], refresh=True)

    def _author_documents(self, author_hash: str) -> list[tuple[str, str]]:
        """(index, id) of every document of an author, in current- and older-schema indices."""
        found: list[tuple[str, str]] = []
        after: list | None = None
        while True:
            extra = {"search_after": after} if after else {}
            resp = self._search("erasure lookup", query={"term": {"author_hash": author_hash}}, size=1000, source=False,
                                sort=[{"id": "asc"}], track_total_hits=False, **extra)
            hits = resp["hits"]["hits"]
            found += [(h["_index"], h["_id"]) for h in hits]
            if len(hits) < 1000:
                break
            after = hits[-1]["sort"]
        # Indices of an older schema (before ``voclens index migrate``) may lack the author_hash
        # field: read the stored documents' author there instead.
        current = f"{self.names.alias}-v{self.names.version}-"
        for index in (i for i in self.indices() if not i.startswith(current)):
            after = None
            while True:
                extra = {"search_after": after} if after else {}
                resp = self._call("erasure scan", self.es.search, index=index, query={"match_all": {}}, size=5000,
                                  source=["doc.author_hash"], sort=[{"id": "asc"}], track_total_hits=False, **extra).body
                hits = resp["hits"]["hits"]
                found += [(h["_index"], h["_id"]) for h in hits
                          if h["_source"].get("doc", {}).get("author_hash") == author_hash]
                if len(hits) < 5000:
                    break
                after = hits[-1]["sort"]
        return list(dict.fromkeys(found))

    def _bury(self, tombstones: Sequence[Tombstone], op: str) -> int:
        """Write ``tombstones`` (and one for each document of a named author), then delete what they name.

        The tombstones are written (and refreshed) before the documents are
        deleted, so a concurrent ``upsert`` is refused or removes its own write
        (see ``upsert``). Elasticsearch only marks a deleted document until its
        segment is merged; the affected monthly indices are then force-merged
        with ``only_expunge_deletes`` (their template allows no deleted
        documents to remain), so the text leaves the disk too.

        Returns:
            How many documents were removed.
        """
        self._ensure_erasure_indices()
        ids = [t.key for t in tombstones if t.kind is ErasureKind.document]
        where = self._locate(ids) if ids else {}
        hits = [(index, doc_id) for doc_id in dict.fromkeys(ids) for index in where.get(doc_id, [])]
        self._tombstone(tombstones, op)
        for author in (t for t in tombstones if t.kind is ErasureKind.author):
            found = self._author_documents(author.key)
            self._tombstone([Tombstone(kind=ErasureKind.document, key=k, at=author.at)
                             for k in dict.fromkeys(i for _, i in found)], op)
            hits += found
        hits = list(dict.fromkeys(hits))
        if hits:
            self._bulk([({"delete": {"_index": index, "_id": doc_id}}, None) for index, doc_id in hits], refresh=True)
            self._expunge(sorted({index for index, _ in hits}))
        return len({doc_id for _, doc_id in hits})

    def erase(self, kind: ErasureKind, key: str, *, actor: str, must_exist: bool = True) -> ErasureRecord:
        """See ``Backend.erase``; tombstones first, then the documents (``_bury``)."""
        tombstone = Tombstone(kind=ErasureKind(kind), key=key, at=datetime.now(UTC))
        if (tombstone.kind is ErasureKind.document and must_exist and not self._locate([key])
                and key not in self.erased([key])):
            raise DocumentNotFound(key)
        removed = self._bury([tombstone], "index")
        record = ErasureRecord(kind=tombstone.kind, key=key, at=tombstone.at, actor=actor, documents=removed)
        self._call("erasure log", self.es.index, index=self.names.erasure_log, refresh=True,
                   document={"kind": tombstone.kind.value, "key": key, "at": tombstone.at_ms, "actor": actor,
                             "documents": removed})
        return record

    def _expunge(self, indices: list[str]) -> None:
        try:
            self.es.options(request_timeout=600).indices.forcemerge(index=",".join(indices), only_expunge_deletes=True)
        except (ApiError, TransportError) as exc:  # the delete stands; the next merge drops the data
            log.warning("could not merge %s after an erasure: %s", ", ".join(indices), exc)

    def erasures(self, limit: int = 100) -> list[ErasureRecord]:
        resp = self._call("erasure log", self.es.search, index=self.names.erasure_log, size=limit,
                          sort=[{"at": "desc"}], track_total_hits=False, **READ).body
        return [ErasureRecord(kind=h["_source"]["kind"], key=h["_source"]["key"], actor=h["_source"]["actor"],
                              documents=h["_source"]["documents"],
                              at=datetime.fromtimestamp(h["_source"]["at"] / 1000, UTC))
                for h in resp["hits"]["hits"]]

    def iter_tombstones(self, batch_size: int = 1000) -> Iterator[list[Tombstone]]:
        after: list | None = None
        while True:
            extra = {"search_after": after} if after else {}
            resp = self._call("tombstone scan", self.es.search, index=self.names.erased, query={"match_all": {}},
                              size=batch_size, sort=[{"kind": "asc"}, {"key": "asc"}], track_total_hits=False,
                              **READ, **extra).body
            hits = resp["hits"]["hits"]
            if not hits:
                return
            yield [Tombstone.from_ms(h["_source"]["kind"], h["_source"]["key"], h["_source"]["at"]) for h in hits]
            if len(hits) < batch_size:
                return
            after = hits[-1]["sort"]

    def add_tombstones(self, tombstones: Sequence[Tombstone]) -> int:
        """See ``Backend.add_tombstones``; documents are removed as ``erase`` removes them."""
        return self._bury(list(tombstones), "create") if tombstones else 0


__all__ = ["READ", "ErasureMixin"]
