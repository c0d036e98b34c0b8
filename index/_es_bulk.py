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
  during a large import and restores it after; a process that died mid-import
  leaves ``-1`` behind, which the next ``ElasticsearchBackend`` to open
  restores (``restore_refresh_left_off``).
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


def prepare_sources(docs: Sequence[Document], analyser: Analyser) -> list[SourceRow]:
    """Documents -> rows for ``ElasticsearchBackend.write_prepared`` (runs in import workers).

    Picklable in and out, and needs no client: it is ``row_preparer``.
    """
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    return [SourceRow(d.id, d.author_hash, d.created_at, dumps(to_source(d, analyser))) for d in docs]


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


class RefreshPause:
    """``refresh_interval: -1`` on a set of indices while an import writes, restored after.

    Elasticsearch otherwise makes a new searchable segment every second (or
    at every ``refresh=true`` request): small segments that it then merges
    again. Off, it builds large segments; one refresh at the end makes the
    import searchable. Values set by hand on an index are put back as they
    were; the rest return to the default.
    """

    def __init__(self, client: Elasticsearch, pattern: str):
        self.client = client
        self.pattern = pattern
        self.original: dict[str, str | None] = {}

    def start(self) -> None:
        # with the defaults: an index without a value of its own is otherwise left out of the answer
        settings = self.client.indices.get_settings(index=self.pattern, name="index.refresh_interval",
                                                    include_defaults=True, allow_no_indices=True,
                                                    ignore_unavailable=True)  # fmt: skip
        for index, body in settings.body.items():
            value = body.get("settings", {}).get("index", {}).get("refresh_interval")
            self.original[index] = None if value in (None, "-1") else value
        if self.original:
            self.client.indices.put_settings(index=",".join(self.original), settings={"index": {"refresh_interval": "-1"}})

    def add(self, index: str) -> None:
        """An index created during the import (``created_settings`` already made it -1)."""
        self.original.setdefault(index, None)

    def stop(self) -> None:
        """Restore every index's interval (grouped by value) and refresh them once."""
        by_value: dict[str | None, list[str]] = {}
        for index, value in self.original.items():
            by_value.setdefault(value, []).append(index)
        for value, indices in by_value.items():
            self.client.indices.put_settings(index=",".join(indices), settings={"index": {"refresh_interval": value}},
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
        pause = RefreshPause(self.es, self.names.pattern)
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


def restore_refresh_left_off(client: Elasticsearch, pattern: str) -> list[str]:
    """Indices of ``pattern`` an import left with refresh off (it died before restoring): back to the default.

    Returns:
        The indices restored (logged as a warning).
    """
    settings = client.indices.get_settings(index=pattern, name="index.refresh_interval", allow_no_indices=True,
                                           ignore_unavailable=True)  # fmt: skip
    stuck = [i for i, body in settings.body.items()
             if body.get("settings", {}).get("index", {}).get("refresh_interval") == "-1"]
    if stuck:
        client.indices.put_settings(index=",".join(stuck), settings={"index": {"refresh_interval": None}})
        client.indices.refresh(index=",".join(stuck), ignore_unavailable=True)
        log.warning("refresh was left off on %s by an import that did not finish; restored", ", ".join(stuck))
    return stuck


__all__ = ["RETRY_STATUS", "BulkImportMixin", "RefreshPause", "SourceRow", "prepare_sources", "restore_refresh_left_off", "send_bulk"]
