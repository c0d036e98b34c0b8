"""The embedded backend: one SQLite file with FTS5, no server to run.

Datasette-style: one writer connection guarded by a lock (SQLite allows one
writer at a time anyway), one read connection per thread (WAL lets readers
run alongside the writer), and a time limit on every read via SQLite's
progress handler. See ``_sqlite_schema`` for the tables and why the FTS index
holds analysed tokens rather than raw text.

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
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from nlp.analyser import Analyser, get_analyser, normalize

from . import _sqlite_rollup as rollup
from . import _sqlite_rollup_memory as memory
from . import _trend_buckets as tb
from ._sqlite_schema import migrate
from ._sqlite_sql import Where, build_where, decode_cursor, encode_cursor, epoch_ms, query_fingerprint
from .base import (
    MAX_QUERY_CHARS,
    Backend,
    Emerging,
    EmergingQuery,
    ErasureKind,
    ErasureRecord,
    Filters,
    Hit,
    KeywordCount,
    SearchQuery,
    SearchResult,
    SortOrder,
    Split,
    TopicCount,
    TopQuery,
    TrendBucket,
    TrendQuery,
    TrendResult,
    TrendSeries,
    UpsertResult,
)
from .document import Document
from .errors import BackendUnavailable, DocumentNotFound, InvalidQuery, QueryTimeout, SearchBackendError
from .query import ParsedQuery, combine_filters, highlight, parse_query
from .stats import emerging

log = logging.getLogger(__name__)

_DOC_COLUMNS = "id, source, channel, brand, product_id, lang, sentiment, rating, created_at, author_hash"
_CHUNK = 500  # ids per IN (...) lookup


def _row(doc: Document, analyser: Analyser) -> tuple:
    """One document's rows: (documents row, JSON, FTS columns, topics, keywords)."""
    title_words, title_grams = analyser.index_terms(doc.title) if doc.title else ([], [])
    body_words, body_grams = analyser.index_terms(doc.text)
    fts = (" ".join(title_words), " ".join(body_words), " ".join(title_grams + body_grams))
    row = (
        doc.id,
        doc.source,
        doc.channel.value,
        doc.brand,
        doc.product_id,
        doc.lang,
        doc.sentiment.label.value if doc.sentiment else None,
        doc.rating,
        epoch_ms(doc.created_at),
        doc.author_hash,
    )
    topics: dict[str, tuple] = {}
    for t in doc.topics:
        if t.topic not in topics or t.score > topics[t.topic][2]:
            topics[t.topic] = (t.topic, t.polarity.value, t.score)
    keywords = dict.fromkeys(k for k in (normalize(k).strip().lower() for k in doc.keywords) if k)
    return row, doc.model_dump_json(), fts, list(topics.values()), list(keywords)


def prepare_rows(docs: Sequence[Document], analyser: Analyser) -> list[tuple]:
    """The rows ``upsert`` writes for ``docs``: plain tuples, cheap to send between processes.

    Tokenising and serialising is most of an upsert's cost and needs no
    database: ``voclens ingest --workers`` runs it in worker processes and
    hands the rows to ``write_prepared`` in the one writing process (on two
    cores 1.6-1.9x the documents per second of one process). A document
    repeated in the batch is kept once, the last copy winning.
    """
    latest: dict[str, Document] = {}
    for doc in docs:
        latest[doc.id] = doc
    return [_row(doc, analyser) for doc in latest.values()]


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
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = _Conn(self.path, busy_ms=self._busy_ms)
            self._writer.conn.execute("PRAGMA journal_mode = WAL")
            self._writer.conn.execute("PRAGMA synchronous = NORMAL")
            self.schema_version = migrate(self._writer.conn)
        except (sqlite3.Error, OSError) as exc:
            raise BackendUnavailable(f"cannot open SQLite database {str(self.path)!r}: {exc}") from exc

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
        if len(q or "") > MAX_QUERY_CHARS:
            raise InvalidQuery(f"query longer than {MAX_QUERY_CHARS} characters", field="q")
        parsed = parse_query(q, self.analyser)
        return parsed, combine_filters(parsed, filters)

    def _where(self, q: str, filters: Filters | None) -> Where:
        parsed, merged = self._parse(q, filters)
        return build_where(parsed, merged)

    @staticmethod
    def _max_seq(conn: sqlite3.Connection) -> int:
        row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'documents'").fetchone()
        return row[0] if row else 0

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
            refused = self._erased(conn, [p[0][0] for p in prepared], [p[0][9] for p in prepared if p[0][9]])
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
            next_seq = self._max_seq(conn)
            inserts, updates, json_rows, fts_rows, topic_rows, keyword_rows = [], [], [], [], [], []
            for row, raw, fts, topics, keywords in prepared:
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
                keyword_rows.extend((seq, k, created) for k in keywords)
            if existing:
                rollup.remove(conn, "seq IN (SELECT value FROM json_each(?))", [json.dumps(list(existing.values()))])
                old = [(s,) for s in existing.values()]
                conn.executemany("DELETE FROM doc_fts WHERE rowid = ?", old)
                conn.executemany("DELETE FROM doc_topics WHERE seq = ?", old)
                conn.executemany("DELETE FROM doc_keywords WHERE seq = ?", old)
                conn.executemany(
                    "UPDATE documents SET source = ?, channel = ?, brand = ?, product_id = ?, lang = ?, "
                    "sentiment = ?, rating = ?, created_at = ?, author_hash = ? WHERE seq = ?",
                    updates,
                )
            conn.executemany(f"INSERT INTO documents (seq, {_DOC_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", inserts)
            conn.executemany("INSERT OR REPLACE INTO document_json (seq, doc) VALUES (?, ?)", json_rows)
            conn.executemany("INSERT INTO doc_fts (rowid, title, body, grams) VALUES (?, ?, ?, ?)", fts_rows)
            conn.executemany("INSERT INTO doc_topics (seq, topic, polarity, score, created_at, rating) VALUES (?, ?, ?, ?, ?, ?)", topic_rows)
            conn.executemany("INSERT INTO doc_keywords (seq, keyword, created_at) VALUES (?, ?, ?)", keyword_rows)
            rollup.add(conn, ((r[6], r[7], r[8]) for r, *_ in prepared), (t[1:3] + t[4:6] for t in topic_rows))
        if erased_ids:
            log.info("refused erased documents", extra={"documents": len(erased_ids)})
        return UpsertResult(created=len(inserts), updated=len(updates), ids=ids, erased=len(erased_ids), erased_ids=erased_ids)

    @staticmethod
    def _delete_doomed(conn: sqlite3.Connection) -> int:
        """Delete the documents whose seq is in ``temp.doomed`` (and their FTS, topic, keyword and rollup rows)."""
        n = conn.execute("SELECT count(*) FROM temp.doomed").fetchone()[0]
        if n:
            rollup.remove(conn, "seq IN (SELECT seq FROM temp.doomed)", [])
            conn.execute("DELETE FROM doc_fts WHERE rowid IN (SELECT seq FROM temp.doomed)")
            conn.execute("DELETE FROM documents WHERE seq IN (SELECT seq FROM temp.doomed)")  # cascades
        conn.execute("DELETE FROM temp.doomed")
        return n

    @staticmethod
    def _doomed(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS doomed (seq INTEGER PRIMARY KEY)")
        conn.execute("DELETE FROM temp.doomed")

    def delete_by_query(self, q: str = "", filters: Filters | None = None) -> int:
        where = self._where(q, filters)
        with self._write() as conn:
            self._doomed(conn)
            conn.execute(f"INSERT INTO temp.doomed SELECT d.seq FROM documents d WHERE {where.sql()}", where.params)
            return self._delete_doomed(conn)

    # -- erasure -----------------------------------------------------------------------
    @staticmethod
    def _erased(conn: sqlite3.Connection, ids: Sequence[str], author_hashes: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for kind, keys in ((ErasureKind.document, list(dict.fromkeys(ids))), (ErasureKind.author, list(dict.fromkeys(author_hashes)))):
            for i in range(0, len(keys), _CHUNK):
                chunk = keys[i : i + _CHUNK]
                found.update(k for (k,) in conn.execute(
                    f"SELECT key FROM erased WHERE kind = ? AND key IN ({','.join('?' * len(chunk))})", [kind.value, *chunk]))
        return found

    def erased(self, ids: Sequence[str] = (), author_hashes: Sequence[str] = ()) -> set[str]:
        with self._read() as conn:
            return self._erased(conn, ids, author_hashes)

    def erase(self, kind: ErasureKind, key: str, *, actor: str, must_exist: bool = True) -> ErasureRecord:
        """See ``Backend.erase``. Beyond the rows, SQLite must not keep the text anywhere in the file.

        The delete runs with ``secure_delete`` on (freed pages and cells are
        zeroed), the full-text index is then merged (``optimize``: FTS5 keeps
        a deleted row's tokens in older segments until a merge) and the WAL
        is checkpointed and truncated, so neither ``voclens.db`` nor its
        ``-wal`` holds the erased text afterwards (tested on the bytes of both).
        """
        kind = ErasureKind(kind)
        now = datetime.now(UTC)
        with self._write_lock:
            self._check_open()
            self._writer.conn.execute("PRAGMA secure_delete = ON")
        try:
            with self._write() as conn:
                self._doomed(conn)
                column = "id" if kind is ErasureKind.document else "author_hash"
                conn.execute(f"INSERT INTO temp.doomed SELECT seq FROM documents WHERE {column} = ?", (key,))
                ids = [i for (i,) in conn.execute("SELECT id FROM documents WHERE seq IN (SELECT seq FROM temp.doomed)")]
                if kind is ErasureKind.document and must_exist and not ids and not self._erased(conn, [key], []):
                    raise DocumentNotFound(key)
                removed = self._delete_doomed(conn)
                stamp = epoch_ms(now)
                conn.executemany("INSERT OR IGNORE INTO erased (kind, key, at) VALUES (?, ?, ?)",
                                 [(kind.value, key, stamp)] + [(ErasureKind.document.value, i, stamp) for i in ids if i != key])
                conn.execute("INSERT INTO erasure_log (kind, key, at, actor, documents) VALUES (?, ?, ?, ?, ?)",
                             (kind.value, key, stamp, actor, removed))
                if removed:
                    conn.execute("INSERT INTO doc_fts(doc_fts) VALUES ('optimize')")
        finally:
            with self._write_lock:
                if not self._closed:
                    self._writer.conn.execute("PRAGMA secure_delete = OFF")
                    # Readers still on an older snapshot keep the WAL from being truncated; they are
                    # short (one query each), so the next erasure or SQLite's own checkpoint clears it.
                    self._writer.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return ErasureRecord(kind=kind, key=key, at=now, actor=actor, documents=removed)

    def erasures(self, limit: int = 100) -> list[ErasureRecord]:
        with self._read() as conn:
            rows = conn.execute("SELECT kind, key, at, actor, documents FROM erasure_log ORDER BY seq DESC LIMIT ?",
                                (limit,)).fetchall()
        return [ErasureRecord(kind=k, key=key, at=datetime.fromtimestamp(at / 1000, UTC), actor=actor, documents=n)
                for k, key, at, actor, n in rows]

    # -- reads -----------------------------------------------------------------------
    def get(self, doc_id: str) -> Document:
        with self._read() as conn:
            row = conn.execute(
                "SELECT j.doc FROM documents d JOIN document_json j ON j.seq = d.seq WHERE d.id = ?", (doc_id,)
            ).fetchone()
        if row is None:
            raise DocumentNotFound(doc_id)
        return Document.model_validate_json(row[0])

    def count(self, q: str = "", filters: Filters | None = None) -> int:
        where = self._where(q, filters)
        with self._read() as conn:
            return conn.execute(f"SELECT count(*) FROM documents d WHERE {where.sql()}", where.params).fetchone()[0]

    def iter_documents(self, batch_size: int = 500, after_id: str | None = None) -> Iterator[list[Document]]:
        last = after_id or ""
        while True:
            with self._read() as conn:
                rows = conn.execute(
                    "SELECT d.id, j.doc FROM documents d JOIN document_json j ON j.seq = d.seq "
                    "WHERE d.id > ? ORDER BY d.id LIMIT ?",
                    (last, batch_size),
                ).fetchall()
            if not rows:
                return
            yield [Document.model_validate_json(doc) for _, doc in rows]
            if len(rows) < batch_size:
                return
            last = rows[-1][0]

    def search(self, query: SearchQuery) -> SearchResult:
        parsed, filters = self._parse(query.q, query.filters)
        relevance = query.sort is SortOrder.relevance and bool(parsed.required)
        sort = SortOrder.relevance if relevance else (query.sort if query.sort is not SortOrder.relevance else SortOrder.newest)
        fingerprint = query_fingerprint(query.q, filters.model_dump_json(), sort.value)
        cursor = None
        if query.cursor:
            cursor = decode_cursor(query.cursor, fingerprint, ("S", "o") if relevance else ("S", "k", "s"))
        where = build_where(parsed, filters, join_match=relevance)
        if where.match is not None:
            # CROSS JOIN pins the FTS index as the outer loop: probing FTS5 once
            # per filtered document would be far slower.
            source = "doc_fts CROSS JOIN documents d ON d.seq = doc_fts.rowid"
            where.conditions.insert(0, "doc_fts MATCH ?")
            where.params.insert(0, where.match)
        else:
            source = "documents d"
        with self._read() as conn:
            snapshot = cursor["S"] if cursor else self._max_seq(conn)
            if cursor:
                where.add("d.seq <= ?", snapshot)
            total = conn.execute(f"SELECT count(*) FROM {source} WHERE {where.sql()}", where.params).fetchone()[0]
            if relevance:
                offset = cursor["o"] if cursor else 0
                rows = conn.execute(
                    f"SELECT d.seq, d.created_at, doc_fts.rank FROM {source} WHERE {where.sql()} "
                    "ORDER BY doc_fts.rank, d.seq LIMIT ? OFFSET ?",
                    [*where.params, query.limit + 1, offset],
                ).fetchall()
            else:
                desc = sort is SortOrder.newest
                if cursor:
                    where.add(f"(d.created_at, d.seq) {'<' if desc else '>'} (?, ?)", cursor["k"], cursor["s"])
                direction = "DESC" if desc else "ASC"
                rows = conn.execute(
                    f"SELECT d.seq, d.created_at, NULL FROM {source} WHERE {where.sql()} "
                    f"ORDER BY d.created_at {direction}, d.seq {direction} LIMIT ?",
                    [*where.params, query.limit + 1],
                ).fetchall()
            more = len(rows) > query.limit
            rows = rows[: query.limit]
            seqs = [r[0] for r in rows]
            raw = dict(conn.execute(f"SELECT seq, doc FROM document_json WHERE seq IN ({','.join('?' * len(seqs))})", seqs)) if seqs else {}
        next_cursor = None
        if more:
            state = {"v": 1, "f": fingerprint, "S": snapshot}
            if relevance:
                state["o"] = (cursor["o"] if cursor else 0) + len(rows)
            else:
                state["k"], state["s"] = rows[-1][1], rows[-1][0]
            next_cursor = encode_cursor(state)
        tokens = parsed.highlight_tokens() if query.highlight else frozenset()
        hits = []
        for seq, _, rank in rows:
            doc = Document.model_validate_json(raw[seq])
            marks = {}
            if tokens:
                for name, text in (("title", doc.title), ("text", doc.text)):
                    snippet = highlight(text or "", tokens, self.analyser)
                    if snippet is not None:
                        marks[name] = snippet
            hits.append(Hit(document=doc, score=-rank if rank is not None else None, highlights=marks))
        return SearchResult(total=total, hits=hits, next_cursor=next_cursor)

    # -- analytics -----------------------------------------------------------------
    def trends(self, query: TrendQuery) -> TrendResult:
        parsed, filters = self._parse(query.q, query.filters)
        where = build_where(parsed, filters, dates="t" if query.split is Split.topic else "d")
        tz = ZoneInfo(query.tz)
        interval = query.interval
        slot = tb.slot_seconds(tz, *[d for d in (filters.since, filters.until) if d])
        folded = False
        acc: dict[str | None, list[list]] | None = None
        with self._read() as conn:
            usable = self.use_rollups and rollup.usable(parsed.has_text, filters, slot, query.split)
            arrays = self._rollup_memory.arrays(conn, "topics" if query.split is Split.topic else "docs") if usable else None
            if arrays is not None:
                acc, bounds = self._fold_in_memory(arrays, filters, query.split, tz, interval)
                if acc is None:
                    return TrendResult(interval=interval, tz=query.tz, series=[] if query.split else [TrendSeries(buckets=[])])
            elif usable:
                span = rollup.hour_span(conn, filters, query.split)
                if span is None and not (filters.since and filters.until):
                    return TrendResult(interval=interval, tz=query.tz, series=[] if query.split else [TrendSeries(buckets=[])])
                lo = int(filters.since.timestamp()) if filters.since else span[0] * 3600
                hi = math.ceil(filters.until.timestamp()) if filters.until else (span[1] + 1) * 3600
                bounds = self._boundaries(lo, hi, tz, interval)
                fold = rollup.even_fold(bounds)
                folded = fold is not None
                rows = rollup.rows(conn, filters, query.split, fold)
            else:
                rows = self._trend_rows(conn, where, slot, query.split)
                if not rows and not (filters.since and filters.until):
                    return TrendResult(interval=interval, tz=query.tz, series=[] if query.split else [TrendSeries(buckets=[])])
                starts = [r[0] * slot for r in rows]
                lo = int(filters.since.timestamp()) if filters.since else min(starts)
                hi = math.ceil(filters.until.timestamp()) if filters.until else max(starts) + slot
                bounds = self._boundaries(lo, hi, tz, interval)
                if not tb.slot_fits(bounds, slot):  # a zone whose offset history needs finer slots
                    slot = tb.fine_slot(bounds, slot)
                    rows = self._trend_rows(conn, where, slot, query.split)
        n = len(bounds) - 1
        if acc is None:
            acc = self._accumulate(rows, bounds, slot, folded)
        if query.split is None:
            keys: list[str | None] = [None]
        else:
            totals = {k: sum(b[0] for b in v) for k, v in acc.items()}
            keys = sorted(totals, key=lambda k: (-totals[k], k))[: query.split_limit]
        series = []
        for key in keys:
            # model_construct: values are built right here; validating 10k buckets costs ~10 ms
            buckets = [
                TrendBucket.model_construct(
                    start=datetime.fromtimestamp(bounds[i], tz),
                    volume=int(v),  # counts; a rollup path may carry them as floats
                    negative=int(neg),
                    negative_share=neg / v if v else None,
                    avg_rating=rs / rn if rn else None,
                )
                for i, (v, neg, rs, rn) in enumerate(acc.get(key) or [[0, 0, 0.0, 0]] * n)
            ]
            series.append(TrendSeries(key=key, buckets=buckets))
        return TrendResult(interval=interval, tz=query.tz, series=series)

    def _fold_in_memory(self, arrays, filters: Filters, split: Split | None, tz: ZoneInfo, interval):
        """``(acc, bounds)`` from the in-memory rollups; ``(None, None)`` when there is nothing to chart."""
        keys = None
        if split is not Split.topic:
            if filters.sentiment:
                keys = [s.value for s in filters.sentiment]
            if split is Split.sentiment:
                keys = [k for k in (keys or arrays.keys) if k]
        lo_h = int(filters.since.timestamp() * 1000) // rollup.HOUR_MS if filters.since else None
        hi_h = int(filters.until.timestamp() * 1000) // rollup.HOUR_MS if filters.until else None
        hours, counts, rating_sum, keys = memory.select(arrays, keys, lo_h, hi_h)
        if not len(hours) and not (filters.since and filters.until):
            return None, None
        lo = int(filters.since.timestamp()) if filters.since else int(hours[0]) * 3600
        hi = math.ceil(filters.until.timestamp()) if filters.until else (int(hours[-1]) + 1) * 3600
        bounds = self._boundaries(lo, hi, tz, interval)
        c, r = memory.fold(hours, counts, rating_sum, bounds)
        if split is None:
            c, r, keys = c.sum(axis=1, keepdims=True), r.sum(axis=1, keepdims=True), [None]
        acc: dict[str | None, list[list]] = {}
        for j, key in enumerate(keys):
            volume = c[:, j, 0].tolist()
            if split is not None and not any(volume):
                continue  # a split lists only keys present in the range, as the row scan does
            acc[key] = [list(t) for t in zip(volume, c[:, j, 1].tolist(), r[:, j].tolist(), c[:, j, 2].tolist())]
        return acc, bounds

    @staticmethod
    def _accumulate(rows, bounds: list[int], slot: int, folded: bool) -> dict[str | None, list[list]]:
        """Sum SQL trend rows ``(slot or bucket, key, volume, negative, rating_sum, rating_n)`` per key and bucket."""
        n = len(bounds) - 1
        acc: dict[str | None, list[list]] = defaultdict(lambda: [[0, 0, 0.0, 0] for _ in range(n)])
        bucket_of: dict[int, int] = {}  # a split returns many rows per slot: look each slot up once
        for s, key, volume, negative, rating_sum, rating_n in rows:
            if folded:
                i = s
            else:
                i = bucket_of.get(s)
                if i is None:
                    i = bucket_of[s] = tb.bucket_index(bounds, s * slot)
            if 0 <= i < n:
                b = acc[key][i]
                b[0] += volume
                b[1] += negative
                b[2] += rating_sum or 0.0
                b[3] += rating_n
        return acc

    @staticmethod
    def _boundaries(lo: int, hi: int, tz: ZoneInfo, interval) -> list[int]:
        try:
            return tb.boundaries(lo, hi, tz, interval)
        except ValueError as exc:
            raise InvalidQuery(str(exc), field="interval") from None

    @staticmethod
    def _trend_rows(conn: sqlite3.Connection, where: Where, slot: int, split: Split | None) -> list[tuple]:
        ms = slot * 1000
        # Shift so integer division floors correctly back to about 1900.
        shift = ms * (2**41 // ms + 1)
        dates = "t" if split is Split.topic else "d"
        slot_sql = f"(({dates}.created_at + {shift}) / {ms} - {shift // ms})"
        source, key, negative, extra = "documents d", "NULL", "d.sentiment = 'negative'", ""
        if split is Split.topic:
            source = "doc_topics t" if where.dates_only else "doc_topics t JOIN documents d ON d.seq = t.seq"
            key, negative = "t.topic", "t.polarity = 'negative'"
        elif split is not None:
            key = {Split.sentiment: "d.sentiment", Split.source: "d.source", Split.brand: "d.brand"}[split]
            extra = f" AND {key} IS NOT NULL"
        rating = f"sum({dates}.rating), count({dates}.rating)"
        group = "s" if split is None else "s, k"
        return conn.execute(
            f"SELECT {slot_sql} AS s, {key} AS k, count(*), total({negative}), {rating} "
            f"FROM {source} WHERE {where.sql()}{extra} GROUP BY {group}",
            where.params,
        ).fetchall()

    def _analytics_source(self, q: str, filters: Filters | None, table: str) -> tuple[str, Where]:
        parsed, merged = self._parse(q, filters)
        where = build_where(parsed, merged, dates="t")
        source = table if where.dates_only else f"{table} JOIN documents d ON d.seq = t.seq"
        return source, where

    def top_topics(self, query: TopQuery) -> list[TopicCount]:
        source, where = self._analytics_source(query.q, query.filters, "doc_topics t")
        polarity_sql, params = "", list(where.params)
        if query.polarity is not None:
            polarity_sql = " AND t.polarity = ?"
            params.append(query.polarity.value)
        with self._read() as conn:
            total_where = where.sql().replace("t.created_at", "d.created_at")
            total = conn.execute(f"SELECT count(*) FROM documents d WHERE {total_where}", where.params).fetchone()[0]
            rows = conn.execute(
                f"SELECT t.topic, count(*) AS n, total(t.polarity = 'negative') FROM {source} WHERE {where.sql()}{polarity_sql} "
                "GROUP BY t.topic ORDER BY n DESC, t.topic LIMIT ?",
                [*params, query.limit],
            ).fetchall()
        return [TopicCount(topic=t, count=n, negative=int(neg), share=n / total if total else 0.0) for t, n, neg in rows]

    def top_keywords(self, query: TopQuery) -> list[KeywordCount]:
        parsed, merged = self._parse(query.q, query.filters)
        where = build_where(parsed, merged, dates="t")
        polarity_sql, params = "", list(where.params)
        if query.polarity is not None:
            where.dates_only = False
            polarity_sql = " AND d.sentiment = ?"
            params.append(query.polarity.value)
        source = "doc_keywords t" if where.dates_only else "doc_keywords t JOIN documents d ON d.seq = t.seq"
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT t.keyword, count(*) AS n FROM {source} WHERE {where.sql()}{polarity_sql} "
                "GROUP BY t.keyword ORDER BY n DESC, t.keyword LIMIT ?",
                [*params, query.limit],
            ).fetchall()
        return [KeywordCount(keyword=k, count=n) for k, n in rows]

    def emerging_topics(self, query: EmergingQuery) -> list[Emerging]:
        return self._emerging(query, "doc_topics t", "t.topic", "t.polarity", candidates_first=False)

    def emerging_keywords(self, query: EmergingQuery) -> list[Emerging]:
        return self._emerging(query, "doc_keywords t", "t.keyword", "d.sentiment", candidates_first=True)

    def _emerging(
        self, query: EmergingQuery, table: str, key: str, polarity_column: str, *, candidates_first: bool
    ) -> list[Emerging]:
        parsed, merged = self._parse(query.q, query.filters)
        where = build_where(parsed, merged, dates="t")
        polarity_sql, polarity_params = "", []
        if query.polarity is not None:
            polarity_sql, polarity_params = f" AND {polarity_column} = ?", [query.polarity.value]
            if polarity_column.startswith("d."):
                where.dates_only = False
        source = table if where.dates_only else f"{table} JOIN documents d ON d.seq = t.seq"
        windows = [epoch_ms(query.current_since), epoch_ms(query.current_until), epoch_ms(query.baseline_since), epoch_ms(query.baseline_until)]

        def window_sql(alias: str) -> tuple[str, str, str]:
            cur = f"({alias}.created_at >= ? AND {alias}.created_at < ?)"
            base = cur
            return cur, base, f"({cur} OR {base})"

        with self._read() as conn:
            cur, base, either = window_sql("d")
            doc_where = where.sql().replace("t.created_at", "d.created_at")
            n_current, n_baseline = conn.execute(
                f"SELECT total({cur}), total({base}) FROM documents d WHERE {doc_where} AND {either}",
                [*windows, *where.params, *windows],
            ).fetchone()
            # Only items seen min_count times in the (short) current window can
            # emerge: find those first, then count just them in the (long)
            # baseline, instead of grouping every keyword of the baseline.
            cur, base, either = window_sql("t")
            if not candidates_first:  # few distinct keys (topics): one pass over both windows
                rows = conn.execute(
                    f"SELECT {key}, total({cur}), total({base}) FROM {source} "
                    f"WHERE {where.sql()} AND {either}{polarity_sql} GROUP BY {key}",
                    [*windows, *where.params, *windows, *polarity_params],
                ).fetchall()
                current_rows = []
            else:
                current_rows = conn.execute(
                    f"SELECT {key}, count(*) FROM {source} WHERE {where.sql()} AND {cur}{polarity_sql} "
                    f"GROUP BY {key} HAVING count(*) >= ?",
                    [*where.params, *windows[:2], *polarity_params, query.min_count],
                ).fetchall()
                rows = []
            if current_rows:
                keys = [k for k, _ in current_rows]
                counts = dict.fromkeys(keys, 0)
                for i in range(0, len(keys), _CHUNK):
                    chunk = keys[i : i + _CHUNK]
                    counts.update(conn.execute(
                        f"SELECT {key}, count(*) FROM {source} WHERE {where.sql()} AND {cur}{polarity_sql} "
                        f"AND {key} IN ({','.join('?' * len(chunk))}) GROUP BY {key}",
                        [*where.params, *windows[2:], *polarity_params, *chunk],
                    ).fetchall())
                rows = [(k, c, counts[k]) for k, c in current_rows]
        current = {k: int(c) for k, c, _ in rows if c}
        baseline = {k: int(b) for k, _, b in rows if b}
        return emerging(current, baseline, int(n_current), int(n_baseline), min_count=query.min_count, limit=query.limit)

    def health(self) -> dict:
        with self._read() as conn:
            documents = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
        return {
            "backend": self.name,
            "status": "ok",
            "documents": documents,
            "path": str(self.path),
            "size_bytes": page_size * pages,
            "schema_version": self.schema_version,
            "sqlite_version": sqlite3.sqlite_version,
        }


__all__ = ["SQLiteBackend"]
