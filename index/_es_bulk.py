"""The Elasticsearch write path: prepared sources, parallel bulk requests, refresh paused for imports.

Why each piece:

* ``prepare_sources`` is the CPU side of a write (analysis, tokenising, JSON)
  as a module-level function, so ``voclens ingest --workers`` runs it in worker
  processes and the writing process only sends bytes.
* ``send_bulk`` cuts the actions into requests and sends them on several
  connections at once (one ``elasticsearch.helpers.streaming_bulk`` per
  request, in a thread pool): a single node indexes several requests in
  parallel, and one connection leaves it idle while Python builds the next.
  ``streaming_bulk`` retries items refused with 429 (a full write queue) or
  5xx with exponential backoff; what still fails comes back per document id,
  never dropped.
* ``RefreshPause`` turns ``refresh_interval`` off on the documents' indices
  during a large import and restores it after (with ``fast_import`` also the
  translog's fsync per request and the replicas); a process that died
  mid-import leaves ``-1`` behind, which the next ``ElasticsearchBackend`` to
  open restores (``restore_refresh_left_off``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from typing import NamedTuple

from elasticsearch import Elasticsearch
from elasticsearch.helpers import streaming_bulk

from nlp.analyser import Analyser
from nlp.labels import DEFAULT_TOPICS

from ._es_schema import to_source
from .document import Document

log = logging.getLogger(__name__)

#: Item statuses retried with backoff: a full write queue (429) and a shard or node that is
#: briefly unavailable (5xx, for example while a replica is promoted).
RETRY_STATUS = (429, 500, 502, 503, 504)


class SourceRow(NamedTuple):
    """One document ready to send: what the writer needs to route and check it, and its JSON."""

    id: str
    author_hash: str | None
    created_at: datetime
    source: str
    #: the own (not default) topics it is labelled with, checked after the write (``Backend.drop_removed_labels``)
    own_topics: tuple[str, ...] = ()


def prepare_sources(docs: Sequence[Document], analyser: Analyser) -> list[SourceRow]:
    """Documents -> rows for ``ElasticsearchBackend.write_prepared`` (runs in import workers).

    Picklable in and out, and needs no client: it is ``row_preparer``.
    """
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    return [SourceRow(d.id, d.author_hash, d.created_at, dumps(to_source(d, analyser)),
                      tuple(t.topic for t in d.topics if t.topic not in DEFAULT_TOPICS)) for d in docs]


def _reason(op: str, result: dict) -> str:
    error = result.get("error", {})
    text = f"{error.get('type', '')}: {error.get('reason', '')}" if isinstance(error, dict) else str(error)
    status = result.get("status", 0)
    if status in RETRY_STATUS:
        return f"{op} refused with {status} after the retries ({text})"
    return text


def _send_one(client: Elasticsearch, chunk: list[tuple[dict, object]], *, retries: int, backoff: float,
              refresh: bool, timeout: str) -> dict[str, str]:  # fmt: skip
    """One bulk request (with its retries); failures by id. A delete of nothing, a create of an existing id: fine."""
    failures: dict[str, str] = {}
    for ok, item in streaming_bulk(
        client, chunk, expand_action_callback=lambda pair: pair, chunk_size=len(chunk), max_chunk_bytes=1 << 30,
        max_retries=retries, initial_backoff=backoff, max_backoff=8.0, retry_on_status=RETRY_STATUS,
        raise_on_error=False, raise_on_exception=True, yield_ok=False, refresh=refresh, timeout=timeout,
    ):
        op, result = next(iter(item.items()))
        status = result.get("status", 0)
        if ok or (op == "delete" and status == 404) or (op == "create" and status == 409):
            continue
        failures[str(result.get("_id", "?"))] = _reason(op, result)
    return failures


def send_bulk(client: Elasticsearch, actions: Sequence[tuple[dict, object]], *, threads: int = 2,
              chunk_docs: int = 1000, chunk_bytes: int = 8 << 20, retries: int = 5, backoff: float = 0.5,
              refresh: bool = False, timeout: str = "30000ms") -> dict[str, str]:  # fmt: skip
    """Send ``(header, source)`` actions in requests of at most ``chunk_docs`` / ``chunk_bytes``, ``threads`` at a time.

    Args:
        client: a client whose options (time limits) every request uses.
        actions: bulk headers (``{"index": {"_index": ..., "_id": ...}}``) with their
            source (a dict, a JSON string, or None for a delete).
        retries: attempts for items refused with 429/5xx; the wait starts at
            ``backoff`` seconds and doubles (at most 8 s).

    Returns:
        id -> reason for every item still refused; empty when all were written.

    Raises:
        elasticsearch.ApiError, elastic_transport.TransportError: a whole request
            failed (node unreachable, or 429/5xx after the retries); the caller
            translates it. Requests already sent stay written (writes are idempotent).
    """
    chunks: list[list[tuple[dict, object]]] = []
    current: list[tuple[dict, object]] = []
    size = 0
    for head, source in actions:
        weight = 64 + (len(source) if isinstance(source, str) else 2048 if source is not None else 0)
        if current and (len(current) >= chunk_docs or size + weight > chunk_bytes):
            chunks.append(current)
            current, size = [], 0
        current.append((head, source))
        size += weight
    if current:
        chunks.append(current)
    options = dict(retries=retries, backoff=backoff, refresh=refresh, timeout=timeout)
    failures: dict[str, str] = {}
    if threads <= 1 or len(chunks) <= 1:  # nothing to send, or one request
        for chunk in chunks:
            failures.update(_send_one(client, chunk, **options))
        return failures
    with ThreadPoolExecutor(min(threads, len(chunks)), thread_name_prefix="voclens-bulk") as pool:
        futures = [pool.submit(_send_one, client, chunk, **options) for chunk in chunks]
        errors = []
        for future in futures:
            try:
                failures.update(future.result())
            except Exception as exc:  # wait for the others, then raise the first
                errors.append(exc)
        if errors:
            raise errors[0]
    return failures


#: Index settings an import changes, and the value it sets: refresh always; with ``fast_import``
#: also the translog's fsync (once every 5 s instead of at every request) and the replicas
#: (copied once at the end instead of indexing every document twice).
PAUSED = {"refresh_interval": "-1"}
RELAXED = {**PAUSED, "translog.durability": "async", "number_of_replicas": "0"}


class RefreshPause:
    """``refresh_interval: -1`` on a set of indices while an import writes, restored after.

    Elasticsearch otherwise makes a new searchable segment every second (or
    at every ``refresh=true`` request): small segments that it then merges
    again. Off, it builds large segments; one refresh at the end makes the
    import searchable. Values set by hand on an index are put back as they
    were; the rest return to the default.

    With ``relax`` (``ElasticsearchBackend(fast_import=True)``) the import
    also sets ``translog.durability: async`` and ``number_of_replicas: 0``
    (``RELAXED``): each bulk request then ends without an fsync per shard
    (about 17 ms each on the development machine's disk) and a cluster
    indexes each document once, copying the finished shards to replicas at
    the end. The price: a node lost during the import can lose the last
    seconds of acknowledged writes, which a resumed import would not send
    again; after a node failure, run the import again without resuming.
    """

    def __init__(self, client: Elasticsearch, pattern: str, relax: bool = False, replicas: int = 0):
        self.client = client
        self.pattern = pattern
        self.changes = RELAXED if relax else PAUSED
        self.replicas = replicas  # the template's value: what an index created during the import returns to
        self.original: dict[str, dict[str, str | None]] = {}

    def start(self) -> None:
        names = ",".join(f"index.{k}" for k in self.changes)
        # with the defaults: an index without a value of its own is otherwise left out of the answer
        settings = self.client.indices.get_settings(index=self.pattern, name=names, include_defaults=True,
                                                    allow_no_indices=True, ignore_unavailable=True, flat_settings=True)  # fmt: skip
        for index, body in settings.body.items():
            own = body.get("settings", {})
            # a value the import itself sets is taken as one a dead import left behind (see restore_left_off)
            self.original[index] = {k: None if own.get(f"index.{k}") in (None, v) else own[f"index.{k}"]
                                    for k, v in self.changes.items()}  # fmt: skip
            if "number_of_replicas" in self.changes and self.original[index]["number_of_replicas"] is None:
                self.original[index]["number_of_replicas"] = str(self.replicas)
        if self.original:
            self.client.indices.put_settings(index=",".join(self.original), settings={"index": self.changes})

    def created_settings(self) -> dict:
        """Settings for an index created during the import (paused from the start)."""
        return {"index": dict(self.changes)}

    def add(self, index: str) -> None:
        """An index created during the import with ``created_settings``."""
        back = {k: None for k in self.changes}
        if "number_of_replicas" in back:
            back["number_of_replicas"] = str(self.replicas)
        self.original.setdefault(index, back)

    def stop(self) -> None:
        """Restore every index's settings (grouped by value) and refresh them once."""
        by_value: dict[tuple, list[str]] = {}
        for index, values in self.original.items():
            by_value.setdefault(tuple(sorted(values.items())), []).append(index)
        for values, indices in by_value.items():
            self.client.indices.put_settings(index=",".join(indices), settings={"index": dict(values)},
                                             ignore_unavailable=True)  # fmt: skip
        if self.original:
            self.client.indices.refresh(index=",".join(self.original), ignore_unavailable=True)


class BulkImportMixin:
    """``bulk_import`` for ``ElasticsearchBackend``: refresh paused, and where each id went meanwhile.

    While refresh is off a search cannot see what the import wrote, yet
    ``upsert`` must find an id written earlier in the same import to delete
    its old copy when its month changed: ``_unrefreshed`` remembers id ->
    index until the next refresh (one every ``unrefreshed_limit`` documents
    bounds its memory).
    """

    #: ``bulk_import`` refreshes (and forgets where it wrote) after this many unrefreshed documents
    unrefreshed_limit = 200_000

    def _remember_unrefreshed(self, targets: dict[str, str]) -> None:
        """Inside ``bulk_import``: where ids went (searches cannot see it yet); refresh when too many."""
        with self._lock:
            self._unrefreshed.update(targets)
            if len(self._unrefreshed) < self.unrefreshed_limit:
                return
            touched = sorted(set(self._unrefreshed.values()))
            self._unrefreshed.clear()
        self._call("refresh", self.es.indices.refresh, index=",".join(touched))

    @contextmanager
    def bulk_import(self) -> Iterator[None]:
        """Refresh off on this prefix's indices while a large import writes; restored and refreshed after.

        Writes inside are acknowledged (durable) but searchable only from the
        end (or every ``unrefreshed_limit`` documents). A process killed inside
        leaves refresh off; the next backend opened on the cluster restores it.
        Nested calls share the outer one.
        """
        if self._pause is not None:
            yield
            return
        pause = RefreshPause(self.es, self.names.pattern, relax=self.fast_import, replicas=self.replicas)
        self._call("pause refresh", pause.start)
        self._pause = pause
        try:
            yield
        except BaseException:
            self._end_pause(pause, quietly=True)  # the import's own error is the one to report
            raise
        self._end_pause(pause)

    def _end_pause(self, pause: RefreshPause, quietly: bool = False) -> None:
        self._pause = None
        self._unrefreshed.clear()
        try:
            self._call("restore refresh", pause.stop)
        except Exception as exc:
            if not quietly:
                raise
            log.warning("could not restore refresh after a failed import (%s); the next open restores it", exc)


def restore_refresh_left_off(client: Elasticsearch, pattern: str, replicas: int = 0) -> list[str]:
    """Indices of ``pattern`` an import left with refresh off (it died before restoring): back to normal.

    Refresh returns to the default; a ``fast_import`` that died also left
    ``translog.durability: async`` (back to the default, an fsync per request)
    and no replicas (back to ``replicas``, the template's number).

    Returns:
        The indices restored (logged as a warning).
    """
    names = "index.refresh_interval,index.translog.durability,index.number_of_replicas"
    settings = client.indices.get_settings(index=pattern, name=names, allow_no_indices=True, ignore_unavailable=True,
                                           flat_settings=True)  # fmt: skip
    own = {i: body.get("settings", {}) for i, body in settings.body.items()}
    stuck = [i for i, values in own.items() if values.get("index.refresh_interval") == "-1"]
    by_value: dict[tuple, list[str]] = {}
    for index in stuck:
        values = {"refresh_interval": None}
        if own[index].get("index.translog.durability") == "async":
            values["translog.durability"] = None
        if own[index].get("index.number_of_replicas") == "0" and replicas:
            values["number_of_replicas"] = str(replicas)
        by_value.setdefault(tuple(sorted(values.items())), []).append(index)
    for values, indices in by_value.items():
        client.indices.put_settings(index=",".join(indices), settings={"index": dict(values)})
    if stuck:
        client.indices.refresh(index=",".join(stuck), ignore_unavailable=True)
        log.warning("refresh was left off on %s by an import that did not finish; restored", ", ".join(stuck))
    return stuck


__all__ = ["PAUSED", "RELAXED", "RETRY_STATUS", "BulkImportMixin", "RefreshPause", "SourceRow", "prepare_sources", "restore_refresh_left_off", "send_bulk"]
