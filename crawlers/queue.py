"""A queue of documents to classify, on Redis Streams: publishers add, workers classify and write in batches.

``voclens ingest --queue`` and ``voclens crawl --queue`` validate, mask and
hash each record as usual (``record_to_document``: nothing in the queue holds a
handle or an unmasked phone number) and *publish* the document instead of
classifying it; any number of ``voclens worker`` processes, on any machines,
take batches, classify them, bulk-write them and acknowledge them.

Why Redis Streams with a consumer group: Redis already serves scrapy-redis,
and a stream gives at-least-once delivery without another broker. Celery and
Dramatiq (the usual Python task queues over Redis) are not installable in
this project's environment; their guarantees here would come from the same
Redis primitives anyway (a message stays pending until acknowledged).

Delivery and crashes:

* ``XREADGROUP`` hands each message to one worker and keeps it *pending*
  (delivered, not acknowledged) until that worker ``XACK``\\ s it after the
  batch is written. Acknowledged messages are deleted (``XDEL``), so the
  stream's length is the queue depth: waiting plus in progress.
* A worker killed mid-batch leaves its messages pending. A restarted worker
  of the same name reads its own pending messages first; any other worker
  takes them over with ``XAUTOCLAIM`` once they have been idle for
  ``claim_idle_s``. They are written again: writes are idempotent by document
  id, so nothing is lost and nothing is stored twice.
* A message that cannot be parsed, or whose document the backend refuses
  (``BulkWriteError``), goes to the dead-letter stream ``<stream>:dead`` with
  the reason and is acknowledged; it never blocks the queue. A backend that
  is down (``BackendUnavailable``) leaves the batch pending; the worker waits
  and tries again.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import redis
from pydantic import ValidationError

from index.base import Backend
from index.document import Document
from index.errors import BackendUnavailable, BulkWriteError
from nlp.analyser import Analyser
from nlp.classifier import Classifier

from .enrich import enrich

log = logging.getLogger(__name__)

#: Consumer group every worker joins.
GROUP = "voclens-workers"


def connect(url: str) -> redis.Redis:
    """A client for ``url`` (``redis://host:6379/0``) that answers bytes (messages are UTF-8 JSON)."""
    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10, health_check_interval=30)


def ensure_group(client: redis.Redis, stream: str) -> None:
    """Create the stream and its consumer group (reading from the start) if missing."""
    try:
        client.xgroup_create(stream, GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


class Publisher:
    """Adds documents to the stream in pipelined batches.

    Args:
        client: a Redis client (``connect``).
        stream: the stream's key (setting ``queue_stream``).
    """

    def __init__(self, client: redis.Redis, stream: str):
        self.client = client
        self.stream = stream
        self.published = 0
        ensure_group(client, stream)

    def publish(self, docs: Iterable[Document]) -> int:
        """Add ``docs`` (one message each, in order); returns how many."""
        pipe = self.client.pipeline(transaction=False)
        n = 0
        for doc in docs:
            pipe.xadd(self.stream, {"doc": doc.model_dump_json(exclude={"vector"})})
            n += 1
        if n:
            pipe.execute()
        self.published += n
        return n


def queue_depth(client: redis.Redis, stream: str) -> dict:
    """Messages waiting and in progress (pending), and the workers the group knows."""
    waiting = client.xlen(stream)
    pending, consumers = 0, 0
    try:
        for group in client.xinfo_groups(stream):
            if group["name"] in (GROUP, GROUP.encode()):
                pending, consumers = group["pending"], group["consumers"]
    except redis.ResponseError:  # no such stream yet
        pass
    dead = client.xlen(f"{stream}:dead")
    return {"stream": stream, "depth": waiting, "pending": pending, "consumers": consumers, "dead_letters": dead}


@dataclass
class WorkerStats:
    written: int = 0
    batches: int = 0
    dead_letters: int = 0
    claimed: int = 0
    erased: int = 0
    started: float = field(default_factory=time.monotonic)


def default_consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Worker:
    """Consumes the stream: read a batch, classify, bulk-write, acknowledge; repeat.

    Args:
        client: Redis client.
        stream: the stream's key.
        backend: where documents are written (idempotent by id).
        analyser: the shared analyser (language, keywords, tokens).
        classifier: the model that labels each document; None keeps documents unlabelled.
        name: this consumer's name in the group; a restarted worker of the same
            name finishes its own pending messages first.
        batch_size: messages per batch (classified and written together).
        claim_idle_s: messages pending this long on another consumer are taken
            over (that consumer is presumed dead). Keep it above the slowest batch.
        block_ms: how long one read waits for new messages.
        after_writes: called once the writes are searchable, to act on what
            was written (``voclens worker`` runs the case rules): when the
            queue goes idle, at most every ``after_writes_every_s`` while it
            keeps busy, and when the worker stops. Its errors are logged and
            the worker goes on (the documents are stored; a later call or a
            scheduled run catches up).
        after_writes_every_s: least time between two calls while busy.
    """

    #: A call at time T is taken to see what was written before T - SETTLE_S: an index that makes
    #: writes searchable on a timer (Elasticsearch's 1 s refresh, off for workers) needs that long.
    SETTLE_S = 2.0

    def __init__(self, client: redis.Redis, stream: str, backend: Backend, analyser: Analyser,
                 classifier: Classifier | None, *, name: str | None = None, batch_size: int = 256,
                 claim_idle_s: float = 60.0, block_ms: int = 2000, after_writes: Callable[[], None] | None = None,
                 after_writes_every_s: float = 10.0):  # fmt: skip
        self.client, self.stream, self.backend = client, stream, backend
        self.after_writes, self.after_writes_every_s = after_writes, after_writes_every_s
        self._last_write: float | None = None
        self._covered_until = float("-inf")  # writes before this moment were seen by an after_writes call
        self._last_call = float("-inf")
        self.analyser, self.classifier = analyser, classifier
        self.name = name or default_consumer_name()
        self.batch_size, self.claim_idle_ms, self.block_ms = batch_size, int(claim_idle_s * 1000), block_ms
        self.stats = WorkerStats()
        self._stop = False
        ensure_group(client, stream)

    def stop(self) -> None:
        """Finish the batch in hand, then return from ``run`` (signal handlers call this)."""
        self._stop = True

    def run(self, *, exit_when_empty: bool = False, idle_exit_s: float = 0.0) -> WorkerStats:
        """Work until ``stop`` (or, with ``exit_when_empty``, until nothing is waiting or pending
        for ``idle_exit_s`` seconds)."""
        idle_since: float | None = None
        for batch in self._batches():
            if batch:
                idle_since = None
                self._handle(batch)
                self._call_after_writes(idle=False)
            else:
                self._call_after_writes(idle=True)
            if not batch and exit_when_empty:
                depth = queue_depth(self.client, self.stream)
                if depth["depth"] == 0 and depth["pending"] == 0:
                    idle_since = idle_since or time.monotonic()
                    if time.monotonic() - idle_since >= idle_exit_s:
                        break
            if self._stop:
                break
        self._call_after_writes(idle=True)
        return self.stats

    def _call_after_writes(self, *, idle: bool) -> None:
        """Call ``after_writes`` if something was written since the last call saw the index (see its arg)."""
        if self.after_writes is None or self._last_write is None or self._last_write < self._covered_until:
            return
        now = time.monotonic()
        if not idle and now - self._last_call < self.after_writes_every_s:
            return
        if idle and now - self._last_write < self.SETTLE_S:
            time.sleep(self.SETTLE_S - (now - self._last_write))  # idle or stopping: nothing else to do meanwhile
            now = time.monotonic()
        # busy: the batch just written may not be searchable yet; it stays due, and the call when idle sees it
        self._last_call, self._covered_until = now, now - self.SETTLE_S
        try:
            self.after_writes()
        except Exception:  # noqa: BLE001 - the batch is written and acknowledged; the next call catches up
            log.exception("acting on the written documents failed; the next call or a scheduled run catches up")

    def _batches(self) -> Iterator[list[tuple[bytes, dict]]]:
        """Own pending messages first (after a restart), then others' stale ones, then new ones."""
        own = self.client.xreadgroup(GROUP, self.name, {self.stream: "0"}, count=self.batch_size)
        while own and own[0][1]:
            yield own[0][1]
            own = self.client.xreadgroup(GROUP, self.name, {self.stream: "0"}, count=self.batch_size)
        while not self._stop:
            _, claimed, *_ = self.client.xautoclaim(self.stream, GROUP, self.name, self.claim_idle_ms,
                                                    start_id="0-0", count=self.batch_size)  # fmt: skip
            if claimed:
                self.stats.claimed += len(claimed)
                log.info("took over %d message(s) of a stopped worker", len(claimed))
                yield claimed
                continue
            got = self.client.xreadgroup(GROUP, self.name, {self.stream: ">"}, count=self.batch_size,
                                         block=self.block_ms)  # fmt: skip
            yield got[0][1] if got else []

    def _handle(self, messages: list[tuple[bytes, dict]]) -> None:
        """Classify and write one batch, then acknowledge it (dead letters included)."""
        docs: dict[str, Document] = {}
        message_of: dict[str, list[bytes]] = {}
        dead: list[tuple[bytes, dict, str]] = []
        gone: list[bytes] = []
        for msg_id, fields in messages:
            if fields is None:  # deleted while pending (written and acknowledged by another worker)
                gone.append(msg_id)
                continue
            try:
                doc = Document.model_validate_json(fields[b"doc"])
            except (KeyError, ValidationError) as exc:
                dead.append((msg_id, fields, f"not a document: {str(exc)[:300]}"))
                continue
            docs[doc.id] = doc  # the newest message for an id wins, as in a file
            message_of.setdefault(doc.id, []).append(msg_id)
        refused: dict[str, str] = {}
        while docs:
            try:
                result = self.backend.upsert(enrich(list(docs.values()), self.analyser, self.classifier))
                self.stats.erased += result.erased
                break
            except BulkWriteError as exc:  # written except these: dead-letter them
                refused = dict(exc.errors)
                break
            except BackendUnavailable as exc:
                if self._stop:
                    return  # left pending: the next worker takes it
                log.warning("backend unavailable (%s); retrying the batch in 5 s", exc)
                time.sleep(5)
        for doc_id, reason in refused.items():
            for msg_id in message_of.get(doc_id, []):
                dead.append((msg_id, {b"doc": docs[doc_id].model_dump_json(exclude={"vector"}).encode()}, reason))
        self._acknowledge([m for ids in message_of.values() for m in ids] + [d[0] for d in dead] + gone, dead)
        self.stats.written += len(docs) - len(refused)
        self.stats.batches += 1
        if len(docs) > len(refused):
            self._last_write = time.monotonic()

    def _acknowledge(self, msg_ids: list[bytes], dead: list[tuple[bytes, dict, str]]) -> None:
        pipe = self.client.pipeline(transaction=True)
        for msg_id, fields, reason in dead:
            pipe.xadd(f"{self.stream}:dead", {**fields, b"reason": reason.encode(), b"message": msg_id})
        ids = list(dict.fromkeys(msg_ids))
        if ids:
            pipe.xack(self.stream, GROUP, *ids)
            pipe.xdel(self.stream, *ids)
        pipe.execute()
        if dead:
            self.stats.dead_letters += len(dead)
            log.error("%d message(s) moved to %s:dead", len(dead), self.stream)


def publish_documents(publisher: Publisher, docs: Iterable[Document], batch: int = 500,
                      progress: Callable[[int], None] | None = None) -> int:  # fmt: skip
    """Publish ``docs`` in pipelined batches; returns how many."""
    buf: list[Document] = []
    for doc in docs:
        buf.append(doc)
        if len(buf) >= batch:
            publisher.publish(buf)
            if progress:
                progress(len(buf))
            buf = []
    if buf:
        publisher.publish(buf)
        if progress:
            progress(len(buf))
    return publisher.published


__all__ = ["GROUP", "Publisher", "Worker", "WorkerStats", "connect", "default_consumer_name", "ensure_group",
           "publish_documents", "queue_depth"]
