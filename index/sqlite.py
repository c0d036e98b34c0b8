"""The embedded backend: one SQLite file with FTS5, no server to run.

Datasette-style: one writer connection guarded by a lock (SQLite allows one
writer at a time anyway), one read connection per thread (WAL lets readers
run alongside the writer), and a time limit on every read via SQLite's
progress handler. See ``_sqlite_schema`` for the tables and why the FTS index
holds analysed tokens rather than raw text; the SQL of searches, trends,
other analytics and erasure lives in ``_sqlite_search``, ``_sqlite_trends``,
``_sqlite_analytics`` and ``_sqlite_erasure``; the rows written for a document in ``_sqlite_rows``.

Behaviour every backend shares (pinned by ``tests/index/test_contract.py``):

* ``brand``, ``product_id`` and ``source`` filters ignore ASCII case.
* Sorting by relevance with no search text sorts newest first (score None).
* Cursors freeze the result set at the first page: documents written later
  never appear in, shift or duplicate later pages. Date sorts page by key;
  relevance pages by position within that frozen set.
* Trend buckets: ``negative`` counts documents with negative sentiment, or,
  when split by topic, mentions of the topic with negative polarity. Split
  series leave out documents without the split value.
* ``top_keywords`` / ``emerging_keywords`` with ``polarity`` count documents
  whose overall sentiment has that polarity; the topic variants count topic
  mentions with that polarity.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from nlp.analyser import Analyser, get_analyser
from nlp.labels import DEFAULT_TOPICS

from . import _sqlite_analytics as analytics
from . import _sqlite_erasure as erasure
from . import _sqlite_rollup as rollup
from . import _sqlite_rollup_memory as memory
from . import _sqlite_topics as own
from . import _sqlite_vectors as vectors
from ._cursor import decode_cursor
from ._request import make_hit, parse_request, plan_search
from ._sqlite_schema import migrate
from ._sqlite_rows import prepare_rows
from ._sqlite_search import cursor_check, search_page
from ._sqlite_sql import Where, build_where, max_seq
from ._sqlite_trends import trend_counts
from ._trend_buckets import empty_trend, trend_result
from .base import (
    Backend,
    Emerging,
    EmergingQuery,
    ErasureKind,
    ErasureRecord,
    Filters,
    KeywordCount,
    MigrationReport,
    SearchQuery,
    SearchResult,
    Tombstone,
    TopicCount,
    TopQuery,
    TrendQuery,
    TrendResult,
    UpsertResult,
)
from . import _score_trends as score_trends
from . import _sqlite_scores as sqlite_scores
from .document import Document
from .drivers import DriverStats
from .scoring import ScoreTrendQuery, ScoreTrendResult, metric_for
from .own_topics import OwnTopic
from .vectors import DocumentVector, VectorBatch
from .errors import BackendUnavailable, DocumentNotFound, QueryTimeout, SearchBackendError
from .query import ParsedQuery

log = logging.getLogger(__name__)

_DOC_COLUMNS = "id, source, channel, brand, product_id, lang, sentiment, rating, created_at, author_hash, customer_hash"
_CHUNK = 500  # ids per IN (...) lookup


def _with_vector(row: tuple) -> Document:
    """A document from ``(JSON, vector model, vector blob, ...)``, its vector set when it has one."""
    doc = Document.model_validate_json(row[0])
    if row[1] is not None:
        doc.vector = vectors.from_blob(row[1], row[2])
    return doc


class _Conn:
    """A connection plus the deadline its progress handler enforces."""

    def __init__(self, path: Path, *, busy_ms: int):
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=busy_ms / 1000)
        self.deadline = math.inf
        self.conn.set_progress_handler(self._tick, 4000)
        self.conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA cache_size = -32000")
        self.conn.execute("PRAGMA mmap_size = 268435456")
        # Checkpoint the WAL every ~40 MB instead of 4 MB: a bulk import rewrites
        # the same index pages less often (about 1.3x its rate); the file is cut
        # back to 64 MB after each checkpoint.
        self.conn.execute("PRAGMA wal_autocheckpoint = 10000")
        self.conn.execute("PRAGMA journal_size_limit = 67108864")

    def _tick(self) -> int:
        return 1 if time.monotonic() > self.deadline else 0


class SQLiteBackend(Backend):
    """Documents, search and analytics in one SQLite file.

    Args:
        path: the database file (created, with its folder, if missing).
        analyser: tokeniser for indexing and queries; the shared one by default.
        timeout_ms: time limit of every read query; past it ``QueryTimeout``.

    Raises:
        BackendUnavailable: the file cannot be opened or migrated.

    Example:
        >>> with SQLiteBackend(tmp_path / "voclens.db") as backend:  # doctest: +SKIP
        ...     backend.upsert(docs)
        ...     backend.search(SearchQuery(q="物流 -客服"))
    """

    name = "sqlite"

    def __init__(self, path: str | Path, analyser: Analyser | None = None, timeout_ms: int = 2000):
        self.path = Path(path)
        self.analyser = analyser or get_analyser()
        self.timeout_ms = timeout_ms
        self._busy_ms = max(5000, timeout_ms)
        self._write_lock = threading.Lock()
        self._readers_lock = threading.Lock()
        self._readers: list[_Conn] = []
        self._local = threading.local()
        self._closed = False
        #: Answer plain trend queries from the hourly rollups (tests turn it off to compare).
        self.use_rollups = True
        self._rollup_memory = memory.RollupMemory()
        #: The vectors as matrices for ``similar:`` (tests set it to None to rank straight from SQLite).
        self.vector_memory: vectors.VectorMemory | None = vectors.VectorMemory()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = _Conn(self.path, busy_ms=self._busy_ms)
            self._wal()
            self._writer.conn.execute("PRAGMA synchronous = NORMAL")
            self.schema_version = migrate(self._writer.conn)
        except (sqlite3.Error, OSError) as exc:
            raise BackendUnavailable(f"cannot open SQLite database {str(self.path)!r}: {exc}") from exc

    def _wal(self) -> None:
        """WAL mode, waiting for another process that is creating or migrating the same new file: switching
        the journal mode answers "database is locked" at once, without SQLite's busy wait."""
        deadline = time.monotonic() + self._busy_ms / 1000
        while True:
            try:
                self._writer.conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @classmethod
    def from_settings(cls, settings, analyser: Analyser | None = None) -> SQLiteBackend:
        """The file ``settings.sqlite_path``, reads limited to ``settings.query_timeout_ms``."""
        return cls(settings.sqlite_path, analyser=analyser, timeout_ms=settings.query_timeout_ms)

    def migrate(self, progress=None) -> MigrationReport:
        """Nothing left to do: the schema is migrated in place whenever the file is opened (``_sqlite_schema``)."""
        self._check_open()
        return MigrationReport(schema_version=self.schema_version,
                               summary=f"sqlite schema version {self.schema_version}: up to date")

    # -- connections -------------------------------------------------------------
    def close(self) -> None:
        with self._write_lock, self._readers_lock:
            if self._closed:
                return
            self._closed = True
            for c in [*self._readers, self._writer]:
                c.conn.close()
            self._readers.clear()

    def _check_open(self) -> None:
        if self._closed:
            raise BackendUnavailable("the SQLite backend is closed")

    def _reader(self) -> _Conn:
        c = getattr(self._local, "conn", None)
        if c is None:
            with self._readers_lock:
                self._check_open()
                c = _Conn(self.path, busy_ms=self._busy_ms)
                c.conn.execute("PRAGMA query_only = 1")
                self._readers.append(c)
            self._local.conn = c
        return c

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One consistent snapshot, under the time limit."""
        self._check_open()
        c = self._reader()
        c.deadline = time.monotonic() + self.timeout_ms / 1000
        try:
            c.conn.execute("BEGIN")
            yield c.conn
        except sqlite3.OperationalError as exc:
            if "interrupt" in str(exc):
                raise QueryTimeout(f"query ran past {self.timeout_ms} ms") from None
            raise SearchBackendError(f"SQLite error: {exc}") from exc
        except sqlite3.Error as exc:
            raise SearchBackendError(f"SQLite error: {exc}") from exc
        finally:
            c.deadline = math.inf
            if c.conn.in_transaction:
                c.conn.execute("ROLLBACK")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction on the single writer connection."""
        with self._write_lock:
            self._check_open()
            conn = self._writer.conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise SearchBackendError(f"SQLite write failed: {exc}") from exc
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")

    # -- helpers -------------------------------------------------------------------
    def _parse(self, q: str, filters: Filters | None) -> tuple[ParsedQuery, Filters]:
        """``q`` parsed and merged with ``filters``; a ``similar:`` resolved (in a read of its own)."""
        parsed, filters = parse_request(q, filters, self.analyser, self.known_topics)
        if parsed.similar is not None:
            with self._read() as conn:
                parsed = vectors.resolve(conn, parsed, filters, memory=self.vector_memory)
        return parsed, filters

    def _where(self, q: str, filters: Filters | None) -> Where:
        return build_where(*self._parse(q, filters))

    # -- writes ----------------------------------------------------------------------
    def upsert(self, docs: Sequence[Document]) -> UpsertResult:
        """Insert or replace documents by id, in one transaction.

        Tokenisation runs before the write lock is taken, so readers and
        other writers' tokenisation overlap with it. A document repeated in
        the batch is written once, the last copy winning.
        """
        return self.write_prepared(self.prepare(docs))

    #: see ``Backend.row_preparer``
    row_preparer = staticmethod(prepare_rows)
    #: Each commit flushes a full-text segment and may checkpoint the WAL: 10,000-row
    #: transactions write about twice as fast per row as 1,000-row ones.
    bulk_commit_rows = 10_000

    def prepare(self, docs: Sequence[Document]) -> list[tuple]:
        return prepare_rows(docs, self.analyser)

    def write_prepared(self, prepared: Sequence[tuple]) -> UpsertResult:
        """Write rows made by ``prepare`` (in this or another process) in one transaction.

        Rows of erased documents or authors (see ``erase``) are left out and
        counted in ``erased``; the check runs inside the write transaction, so
        an erasure and a write never interleave.
        """
        if not prepared:
            return UpsertResult()
        # Rows of several prepared batches may repeat an id: the last copy wins, as in upsert.
        prepared = list({p[0][0]: p for p in prepared}.values())
        with self._write() as conn:
            refused = erasure.erased_keys(conn, [p[0][0] for p in prepared], [p[0][9] for p in prepared if p[0][9]])
            if refused:
                erased_ids = [p[0][0] for p in prepared if p[0][0] in refused or p[0][9] in refused]
                prepared = [p for p in prepared if p[0][0] not in refused and p[0][9] not in refused]
            else:
                erased_ids = []
            ids = [p[0][0] for p in prepared]
            existing: dict[str, int] = {}
            for i in range(0, len(ids), _CHUNK):
                chunk = ids[i : i + _CHUNK]
                existing.update(conn.execute(f"SELECT id, seq FROM documents WHERE id IN ({','.join('?' * len(chunk))})", chunk))
            next_seq = max_seq(conn)
            inserts, updates, json_rows, fts_rows, topic_rows, keyword_rows, vector_rows = [], [], [], [], [], [], []
            score_rows = []
            for row, raw, fts, topics, keywords, vector, scores in prepared:
                seq = existing.get(row[0])
                if seq is None:
                    next_seq += 1
                    seq = next_seq
                    inserts.append((seq, *row))
                else:
                    updates.append((*row[1:], seq))
                created = row[8]
                json_rows.append((seq, raw))
                fts_rows.append((seq, *fts))
                topic_rows.extend((seq, *t, created, row[7]) for t in topics)
                keyword_rows.extend((seq, k, created, row[6]) for k in keywords)
                score_rows.extend((seq, name, value, created, labels) for name, value, labels in scores)
                if vector is not None:
                    vector_rows.append((seq, *vector))
            if existing:
                rollup.remove(conn, "seq IN (SELECT value FROM json_each(?))", [json.dumps(list(existing.values()))])
                old = [(s,) for s in existing.values()]
                conn.executemany("DELETE FROM doc_fts WHERE rowid = ?", old)
                conn.executemany("DELETE FROM doc_topics WHERE seq = ?", old)
                conn.executemany("DELETE FROM doc_keywords WHERE seq = ?", old)
                conn.executemany("DELETE FROM doc_scores WHERE seq = ?", old)
                conn.executemany(
                    "UPDATE documents SET source = ?, channel = ?, brand = ?, product_id = ?, lang = ?, "
                    "sentiment = ?, rating = ?, created_at = ?, author_hash = ?, customer_hash = ? WHERE seq = ?",
                    updates,
                )
            conn.executemany(f"INSERT INTO documents (seq, {_DOC_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", inserts)
            conn.executemany("INSERT OR REPLACE INTO document_json (seq, doc) VALUES (?, ?)", json_rows)
            conn.executemany("INSERT INTO doc_fts (rowid, title, body, grams) VALUES (?, ?, ?, ?)", fts_rows)
            conn.executemany("INSERT INTO doc_topics (seq, topic, polarity, score, created_at, rating) VALUES (?, ?, ?, ?, ?, ?)", topic_rows)
            conn.executemany("INSERT INTO doc_keywords (seq, keyword, created_at, sentiment) VALUES (?, ?, ?, ?)", keyword_rows)
            conn.executemany("INSERT INTO doc_scores (seq, name, value, created_at, labels) VALUES (?, ?, ?, ?, ?)", score_rows)
            vectors.write(conn, existing.values(), vector_rows)  # a document written without one loses its old one
            rollup.add(conn, ((r[6], r[7], r[8], r[3], r[1]) for r, *_ in prepared), (t[1:3] + t[4:6] for t in topic_rows))
        if erased_ids:
            log.info("refused erased documents", extra={"documents": len(erased_ids)})
        self.drop_removed_labels({p[0][0]: [t[0] for t in p[3] if t[0] not in DEFAULT_TOPICS] for p in prepared})
        return UpsertResult(created=len(inserts), updated=len(updates), ids=ids, erased=len(erased_ids), erased_ids=erased_ids)

    def delete_by_query(self, q: str = "", filters: Filters | None = None) -> int:
        where = self._where(q, filters)
        with self._write() as conn:
            erasure.start_doomed(conn)
            conn.execute(f"INSERT INTO temp.doomed SELECT d.seq FROM documents d WHERE {where.sql()}", where.params)
            return erasure.delete_doomed(conn)

    # -- erasure (``_sqlite_erasure``) --------------------------------------------------
    def erased(self, ids: Sequence[str] = (), author_hashes: Sequence[str] = ()) -> set[str]:
        with self._read() as conn:
            return erasure.erased_keys(conn, ids, author_hashes)

    @contextmanager
    def _secure_delete(self) -> Iterator[None]:
        """Deletes inside leave no text in the file: freed pages and cells are zeroed, then the WAL is truncated."""
        with self._write_lock:
            self._check_open()
            self._writer.conn.execute("PRAGMA secure_delete = ON")
        try:
            yield
        finally:
            with self._write_lock:
                if not self._closed:
                    self._writer.conn.execute("PRAGMA secure_delete = OFF")
                    # Readers still on an older snapshot keep the WAL from being truncated; they are
                    # short (one query each), so the next erasure or SQLite's own checkpoint clears it.
                    self._writer.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def erase(self, kind: ErasureKind, key: str, *, actor: str, must_exist: bool = True) -> ErasureRecord:
        """See ``Backend.erase``. Beyond the rows, SQLite must not keep the text anywhere in the file.

        The delete runs with ``secure_delete`` on (freed pages and cells are
        zeroed), the full-text index is then merged (``optimize``: FTS5 keeps
        a deleted row's tokens in older segments until a merge) and the WAL
        is checkpointed and truncated, so neither ``voclens.db`` nor its
        ``-wal`` holds the erased text afterwards (tested on the bytes of both).
        """
        tombstone = Tombstone(kind=ErasureKind(kind), key=key, at=datetime.now(UTC))
        with self._secure_delete(), self._write() as conn:
            if tombstone.kind is ErasureKind.document and must_exist and not erasure.known(conn, key):
                raise DocumentNotFound(key)
            removed = erasure.bury(conn, [tombstone])
            erasure.log_erasure(conn, tombstone.kind, key, tombstone.at_ms, actor, removed)
        return ErasureRecord(kind=tombstone.kind, key=key, at=tombstone.at, actor=actor, documents=removed)

    def erasures(self, limit: int = 100) -> list[ErasureRecord]:
        with self._read() as conn:
            return erasure.erasure_log(conn, limit)

    def iter_tombstones(self, batch_size: int = 1000) -> Iterator[list[Tombstone]]:
        after = ("", "")
        while True:
            with self._read() as conn:
                batch = erasure.tombstones_after(conn, after, batch_size)
            if not batch:
                return
            yield batch
            if len(batch) < batch_size:
                return
            after = (batch[-1].kind.value, batch[-1].key)

    def add_tombstones(self, tombstones: Sequence[Tombstone]) -> int:
        """See ``Backend.add_tombstones``; documents are removed as ``erase`` removes them."""
        if not tombstones:
            return 0
        with self._secure_delete(), self._write() as conn:
            removed = erasure.bury(conn, list(tombstones))
        return removed

    # -- reads -----------------------------------------------------------------------
    def get(self, doc_id: str) -> Document:
        with self._read() as conn:
            row = conn.execute(
                "SELECT j.doc, v.model, v.vector FROM documents d JOIN document_json j ON j.seq = d.seq "
                "LEFT JOIN doc_vectors v ON v.seq = d.seq WHERE d.id = ?", (doc_id,)
            ).fetchone()
        if row is None:
            raise DocumentNotFound(doc_id)
        return _with_vector(row)

    def count(self, q: str = "", filters: Filters | None = None) -> int:
        where = self._where(q, filters)
        with self._read() as conn:
            return conn.execute(f"SELECT count(*) FROM documents d WHERE {where.sql()}", where.params).fetchone()[0]

    def iter_documents(self, batch_size: int = 500, after_id: str | None = None) -> Iterator[list[Document]]:
        last = after_id or ""
        while True:
            with self._read() as conn:
                rows = conn.execute(
                    "SELECT j.doc, v.model, v.vector, d.id FROM documents d JOIN document_json j ON j.seq = d.seq "
                    "LEFT JOIN doc_vectors v ON v.seq = d.seq WHERE d.id > ? ORDER BY d.id LIMIT ?",
                    (last, batch_size),
                ).fetchall()
            if not rows:
                return
            yield [_with_vector(r) for r in rows]
            if len(rows) < batch_size:
                return
            last = rows[-1][3]

    def vectors(self, ids: Sequence[str]) -> dict[str, DocumentVector]:
        with self._read() as conn:
            return vectors.by_ids(conn, ids)

    def texts(self, ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        ids = list(dict.fromkeys(ids))
        with self._read() as conn:
            for i in range(0, len(ids), _CHUNK):
                chunk = ids[i : i + _CHUNK]
                for doc_id, title, text in conn.execute(
                        "SELECT d.id, json_extract(j.doc, '$.title'), json_extract(j.doc, '$.text') FROM documents d "
                        f"JOIN document_json j ON j.seq = d.seq WHERE d.id IN ({','.join('?' * len(chunk))})", chunk):
                    found[doc_id] = f"{title}\n{text}" if title else text
        return found

    def iter_vectors(self, q: str = "", filters: Filters | None = None, *, model: str | None = None,
                     batch_size: int = 2000, after_id: str | None = None) -> Iterator[VectorBatch]:  # fmt: skip
        """See ``Backend.iter_vectors``; each batch is one short read."""
        parsed, merged = self._parse(q, filters)
        last = after_id or ""
        while True:
            with self._read() as conn:
                batch = vectors.batch(conn, build_where(parsed, merged), model=model, after_id=last, size=batch_size)
            if batch is None:
                return
            yield batch
            if len(batch) < batch_size:
                return
            last = batch.ids[-1]

    def search(self, query: SearchQuery) -> SearchResult:
        plan = plan_search(query, self.analyser, self.known_topics)
        cursor = decode_cursor(query.cursor, plan.fingerprint, cursor_check(plan.relevance)) if query.cursor else None
        with self._read() as conn:
            if plan.parsed.similar is not None:  # later pages rank among the documents of the first
                plan = replace(plan, parsed=vectors.resolve(conn, plan.parsed, plan.filters, memory=self.vector_memory,
                                                            max_seq=cursor["S"] if cursor else None))
            total, rows, next_cursor = search_page(conn, plan, query.limit, cursor)
        tokens = plan.parsed.highlight_tokens() if query.highlight else frozenset()
        hits = [make_hit(Document.model_validate_json(raw), score, tokens, self.analyser) for raw, score in rows]
        return SearchResult(total=total, hits=hits, next_cursor=next_cursor)

    # -- own topics (``_sqlite_topics``) ------------------------------------------------
    def own_topics(self) -> list[OwnTopic]:
        with self._read() as conn:
            return own.all_topics(conn)

    def save_own_topic(self, topic: OwnTopic) -> None:
        with self._write() as conn:
            own.save(conn, topic)
        self.known_topics.forget()

    def delete_own_topic(self, key: str) -> bool:
        with self._write() as conn:
            found = own.delete(conn, key)
        self.known_topics.forget()
        return found

    def relabel_topics(self, scores, keys) -> int:
        """See ``Backend.relabel_topics``: rows, stored JSON and rollups in one transaction, nothing re-tokenised."""
        with self._write() as conn:
            return own.relabel(conn, scores, keys)

    def topic_labels(self, ids, keys) -> dict:
        with self._read() as conn:
            return own.labels(conn, list(ids), keys)

    # -- analytics (``_sqlite_trends``, ``_sqlite_analytics``) --------------------------
    def trends(self, query: TrendQuery) -> TrendResult:
        parsed, filters = self._parse(query.q, query.filters)
        with self._read() as conn:
            counts = trend_counts(conn, parsed, filters, query, self._rollup_memory if self.use_rollups else None)
        if counts is None:
            return empty_trend(query)
        return trend_result(query, *counts, ZoneInfo(query.tz))

    def top_topics(self, query: TopQuery) -> list[TopicCount]:
        parsed, filters = self._parse(query.q, query.filters)
        with self._read() as conn:
            return analytics.top_topics(conn, parsed, filters, query)

    def top_keywords(self, query: TopQuery) -> list[KeywordCount]:
        parsed, filters = self._parse(query.q, query.filters)
        with self._read() as conn:
            return analytics.top_keywords(conn, parsed, filters, query)

    def emerging_topics(self, query: EmergingQuery) -> list[Emerging]:
        parsed, filters = self._parse(query.q, query.filters)
        with self._read() as conn:
            return analytics.emerging_topics(conn, parsed, filters, query)

    def emerging_keywords(self, query: EmergingQuery) -> list[Emerging]:
        parsed, filters = self._parse(query.q, query.filters)
        with self._read() as conn:
            return analytics.emerging_keywords(conn, parsed, filters, query)

    # -- scores (``_sqlite_scores``) -----------------------------------------------------
    def score_trends(self, query: ScoreTrendQuery) -> ScoreTrendResult:
        parsed, filters = self._parse(query.q, query.filters)
        with self._read() as conn:
            counts = sqlite_scores.score_counts(conn, parsed, filters, query)
        if counts is None:
            return score_trends.empty_result(query)
        return score_trends.trend_result(query, *counts, ZoneInfo(query.tz))

    def driver_stats(self, metric: str, q: str = "", filters: Filters | None = None) -> DriverStats:
        parsed, filters = self._parse(q, filters)
        with self._read() as conn:
            return sqlite_scores.driver_stats(conn, parsed, filters, metric_for(metric))

    def health(self) -> dict:
        with self._read() as conn:
            documents = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
            with_vectors = vectors.count(conn)
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
        return {
            "backend": self.name,
            "status": "ok",
            "documents": documents,
            "vectors": with_vectors,
            "path": str(self.path),
            "size_bytes": page_size * pages,
            "schema_version": self.schema_version,
            "sqlite_version": sqlite3.sqlite_version,
        }


__all__ = ["SQLiteBackend"]
