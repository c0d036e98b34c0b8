"""Import a CSV/JSONL file into a backend: validate, enrich, upsert in batches, resumably.

Crash safety comes from two things: ids are stable (re-importing a row
updates it), and a checkpoint records the last line whose batch was
committed, so a restarted import skips what is already in and continues.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from index.base import Backend
from index.document import Document
from nlp.analyser import Analyser
from nlp.classifier import Classifier
from nlp.own_classifier import Heads, OwnTopicsClassifier
from nlp.privacy import mask_pii

from .charsets import Encoding, detect_encoding
from .enrich import enrich
from .errors import ImportFileError, RecordError
from .importers import BadRow, RawLine, Row, parse_jsonl_line, read_raw_lines, read_records
from .normalize import RecordOptions, record_to_document, redact_record

log = logging.getLogger(__name__)


@dataclass
class Rejection:
    line: int
    reason: str
    fields: list[str] = field(default_factory=list)


@dataclass
class IngestSummary:
    """What an import did. ``resumed_from`` is the line a resumed import started after."""

    path: str
    created: int = 0
    updated: int = 0
    rejected: int = 0
    #: rows refused because their document or author was erased (a takedown; not an error)
    erased: int = 0
    rows: int = 0
    resumed_from: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    rejected_file: str | None = None
    encoding: str | None = None

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "rejected": self.rejected,
            "erased": self.erased,
            "resumed_from_line": self.resumed_from,
            "rejected_file": self.rejected_file,
            "encoding": self.encoding,
            "rejections": [r.__dict__ for r in self.rejections[:1000]],
        }


#: Allocations between young-generation collections during an import (CPython's default: 700).
_GC_YOUNG = 50_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect garbage less often while importing; restore the settings after.

    An import allocates millions of short-lived, acyclic objects (rows,
    tokens, documents). With the default thresholds the collector runs every
    700 allocations and re-walks everything the process already holds (the
    dictionaries, caches and the batches in flight): a third of a worker's
    time per document. Freezing what exists before the import and collecting
    less often removes that; the objects are freed by reference counting
    anyway.
    """
    old = gc.get_threshold()
    _collect_less()
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


#: Files with fewer rows than this import in one process by default: starting workers costs more.
AUTO_WORKERS_MIN_ROWS = 20_000


def auto_workers(rows: int | None, classifier: Classifier | None, cores: int | None = None) -> int:
    """How many worker processes ``voclens ingest`` uses when not told.

    One per core (up to 8) for large files analysed without a model or with
    the lexicon model: there the analysis is Python that workers parallelise
    (on two cores 1.5x the rate of one process). One otherwise: a small file
    finishes before workers start, and a transformer already uses every core
    for its matrix products.
    """
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if not rows or rows < AUTO_WORKERS_MIN_ROWS or cores < 2:
        return 1
    if classifier is not None and getattr(classifier, "name", "") == "transformer":
        return 1
    return min(cores, 8)


def _collect_less() -> None:
    """Freeze what the process holds now and collect young objects every ``_GC_YOUNG`` allocations."""
    gc.freeze()
    gc.set_threshold(_GC_YOUNG, 20, 100)


def _checkpoint_path(state_dir: Path, path: Path) -> Path:
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    return state_dir / f"ingest-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def _write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    tmp.replace(path)


def ingest_file(
    path: Path,
    backend: Backend,
    analyser: Analyser,
    classifier: Classifier | None,
    options: RecordOptions,
    *,
    fmt: str | None = None,
    batch_size: int = 500,
    state_dir: Path | None = None,
    rejected_path: Path | None = None,
    resume: bool = True,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
    commit_every: int | None = None,
    encoding: str | None = None,
) -> IngestSummary:
    """Import ``path`` into ``backend``; good rows are kept even when others are rejected.

    Args:
        state_dir: where the checkpoint lives (the data directory); None disables resuming.
        rejected_path: side file that receives each rejected row with its reasons
            (JSON lines), authors hashed and identifiers masked as in the index;
            defaults to ``<path>.rejected.jsonl``.
        progress: called with the number of rows processed since the last call.
        workers: processes that validate, analyse and classify batches while
            this one writes; 1 does everything in this process. Batches are
            written in file order either way, so checkpoints stay exact.
        commit_every: rows per write transaction (default ``batch_size``).
            Consecutive batches are gathered up to this many rows and written
            together; the checkpoint moves after each write. SQLite pays a
            fixed cost per commit (the full-text segment flush and merge, a
            WAL checkpoint), so 10,000-row writes take about half the time
            per row of 1,000-row ones.
        encoding: the file's character encoding (``--encoding``); detected
            from a sample when None (``charsets.detect_encoding``). Rows the
            encoding cannot decode are rejected with their line numbers.

    Raises:
        ImportFileError: the file is missing, its format unknown, its header
            unreadable, or ``encoding`` is no codec.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    chosen = detect_encoding(path, encoding)
    log.info("reading %s as %s", path, chosen, extra={"path": str(path), "encoding": chosen.name, "how": chosen.how})
    run = _ImportRun(path, backend, analyser, classifier, options, encoding=chosen, batch_size=batch_size,
                     commit_every=commit_every, state_dir=state_dir, rejected_path=rejected_path, resume=resume,
                     progress=progress)
    # Workers get JSONL lines unparsed and parse them themselves (see RawLine).
    lines = read_raw_lines(path, fmt, encoding=chosen.name) if workers > 1 else None
    chunks = _chunks(_rows_after(lines or read_records(path, fmt, encoding=chosen.name), run.start_after), batch_size)
    try:
        with _fewer_collections(), backend.bulk_import():
            if workers <= 1:
                run.prepare_here(chunks)
            else:
                run.prepare_in_workers(chunks, workers)
    finally:
        run.close()
    return run.report()


class _ImportRun:
    """One import while it runs: its counters, checkpoint, rejected-rows file and the batches awaiting a write.

    ``ingest_file`` drives it in steps: resume from the checkpoint (``__init__``),
    validate, normalise and classify each batch (``prepare_here`` or, in worker
    processes, ``prepare_in_workers``), gather batches into one write of
    ``commit_every`` rows (``gather``), write them and move the checkpoint
    (``write``), then report (``report``).

    Attributes:
        start_after: the last line a previous run of this import committed (0: none).
    """

    def __init__(self, path: Path, backend: Backend, analyser: Analyser, classifier: Classifier | None,
                 options: RecordOptions, *, encoding: Encoding, batch_size: int, commit_every: int | None,
                 state_dir: Path | None, rejected_path: Path | None, resume: bool,
                 progress: Callable[[int], None] | None):  # fmt: skip
        self.backend, self.analyser, self.classifier, self.options = backend, analyser, classifier, options
        self.batch_size = batch_size
        self.commit_rows = commit_every or batch_size
        self.progress = progress
        self.summary = IngestSummary(path=str(path), encoding=str(encoding))
        self.checkpoint = _checkpoint_path(state_dir, path) if state_dir else None
        self.start_after = self._resume(path) if resume else 0
        self.rejected_path = Path(rejected_path) if rejected_path else path.with_name(path.name + ".rejected.jsonl")
        self.summary.rejected_file = str(self.rejected_path)
        self.rejected_fh = open(self.rejected_path, "a" if self.start_after else "w", encoding="utf-8")
        self.group: list[tuple[list, list, list]] = []  # batches waiting for one write

    def _resume(self, path: Path) -> int:
        """Counters and the last committed line from the checkpoint, if a previous run left one."""
        if not (self.checkpoint and self.checkpoint.is_file()):
            return 0
        state = json.loads(self.checkpoint.read_text(encoding="utf-8"))
        start_after = int(state.get("line", 0))
        summary = self.summary
        summary.created, summary.updated = state.get("created", 0), state.get("updated", 0)
        summary.rejected, summary.rows = state.get("rejected", 0), state.get("rows", 0)
        summary.erased = state.get("erased", 0)
        summary.resumed_from = start_after
        log.info("resuming import", extra={"path": str(path), "after_line": start_after})
        return start_after

    # -- validate, normalise, classify ---------------------------------------------------------
    def prepare_here(self, chunks: Iterator[list[Row | BadRow | RawLine]]) -> None:
        """Prepare every batch in this process, writing as write groups fill."""
        for items in chunks:
            docs, rejects = _prepare_chunk(items, self.analyser, self.classifier, self.options)
            self.gather(items, docs, rejects)
        self.flush()

    def prepare_in_workers(self, chunks: Iterator[list[Row | BadRow | RawLine]], workers: int) -> None:
        """Prepare batches in ``workers`` forked processes; this one writes them in file order.

        Workers inherit the loaded dictionary and model. Where the backend can
        split its upsert (SQLite), they also tokenise and serialise, and send
        plain rows: this process then only writes, which is what makes workers
        pay off on two cores.
        """
        preparer = self.backend.row_preparer
        prepared = preparer is not None
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                 initargs=(self.analyser, self.classifier, self.options, preparer)) as pool:
            pending: deque = deque()
            # Keep the workers busy through a whole write: a commit group's worth
            # of batches in flight, plus two per worker.
            window = 2 * workers + -(-self.commit_rows // self.batch_size)
            # a forked worker cannot read the own topics' heads (the backend's connection is this
            # process's): read them here for each batch, so a topic trained, retrained or removed
            # meanwhile counts from the next batch handed out, as in one process
            fresh = self.classifier.read_heads if isinstance(self.classifier, OwnTopicsClassifier) else None
            for items in chunks:
                pending.append((items, pool.submit(_worker_chunk, items, fresh() if fresh else None)))
                if len(pending) > window:
                    self._collect(*pending.popleft(), prepared)
            while pending:
                self._collect(*pending.popleft(), prepared)
            self.flush(prepared)

    def _collect(self, items: list[Row | BadRow | RawLine], future, prepared: bool) -> None:
        """Take one worker's finished batch (waiting for it) and its tokens, and gather it."""
        docs, rejects, handoff = future.result()
        self.analyser.give_handoff(handoff)
        self.gather(items, docs, rejects, prepared)

    # -- write -----------------------------------------------------------------------------------
    def gather(self, items: list[Row | BadRow | RawLine], docs: list, rejects: list[tuple],
               prepared: bool = False) -> None:  # fmt: skip
        """Add one prepared batch to the write group; write the group once it holds ``commit_every`` rows."""
        self.group.append((items, docs, rejects))
        if self.progress:
            self.progress(len(items))
        if sum(len(g[0]) for g in self.group) >= self.commit_rows:
            self.flush(prepared)

    def flush(self, prepared: bool = False) -> None:
        """Write the batches gathered so far as one write."""
        if self.group:
            group, self.group = self.group, []
            self.write([i for g in group for i in g[0]], [d for g in group for d in g[1]],
                       [r for g in group for r in g[2]], prepared)

    def write(self, items: list[Row | BadRow | RawLine], docs: list, rejects: list[tuple],
              prepared: bool = False) -> None:  # fmt: skip
        """Record the rejections, upsert the documents (or write the backend's prepared rows), move the checkpoint."""
        for line, reason, fields, raw in rejects:
            self.reject(line, reason, fields, raw)
        summary = self.summary
        if docs:
            result = self.backend.write_prepared(docs) if prepared else self.backend.upsert(docs)
            summary.created += result.created
            summary.updated += result.updated
            summary.erased += result.erased
        summary.rows += len(items)
        self.rejected_fh.flush()
        if self.checkpoint:
            _write_json_atomic(
                self.checkpoint,
                {"line": items[-1].line, "created": summary.created, "updated": summary.updated,
                 "rejected": summary.rejected, "erased": summary.erased, "rows": summary.rows},
            )

    def reject(self, line: int, reason: str, fields: list[str], raw) -> None:
        """Count a rejected row, keep it for the summary (the first 10,000) and add it to the rejected-rows file."""
        self.summary.rejected += 1
        if len(self.summary.rejections) < 10_000:
            self.summary.rejections.append(Rejection(line, reason, fields))
        self.rejected_fh.write(json.dumps({"line": line, "reason": reason, "fields": fields, "raw": raw},
                                          ensure_ascii=False) + "\n")

    # -- report ----------------------------------------------------------------------------------
    def close(self) -> None:
        self.rejected_fh.close()

    def report(self) -> IngestSummary:
        """Finish a complete import: drop the checkpoint and an empty rejected-rows file, log and return the summary."""
        summary = self.summary
        if self.checkpoint and self.checkpoint.exists():
            self.checkpoint.unlink()  # complete: a later import of the same file starts afresh
        if summary.rejected == 0 and self.rejected_path.exists() and self.rejected_path.stat().st_size == 0:
            self.rejected_path.unlink()
            summary.rejected_file = None
        log.info("import finished", extra={k: v for k, v in summary.as_dict().items() if k != "rejections"})
        return summary


def _chunks(items: Iterator[Row | BadRow | RawLine], size: int) -> Iterator[list[Row | BadRow | RawLine]]:
    chunk: list[Row | BadRow | RawLine] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _prepare_chunk(
    items: list[Row | BadRow | RawLine], analyser: Analyser, classifier: Classifier | None, options: RecordOptions
) -> tuple[list[Document], list[tuple]]:
    """Validate and enrich one batch: (documents to write, rejections as (line, reason, fields, raw)).

    A rejection's raw row is redacted here (``redact_record``), so the side file
    never holds what the index would not.
    """
    docs: list[Document] = []
    rejects: list[tuple] = []
    for item in items:
        if isinstance(item, RawLine):
            item = parse_jsonl_line(item)
        if isinstance(item, BadRow):
            rejects.append((item.line, mask_pii(item.reason), [], redact_record(item.raw, options)))
            continue
        try:
            docs.append(record_to_document(item.record, options))
        except RecordError as exc:
            rejects.append((item.line, str(exc), [f for f, _ in exc.problems], redact_record(item.record, options)))
    # Within one batch the last row for an id wins, as it would across batches.
    unique = list({d.id: d for d in docs}.values())
    return enrich(unique, analyser, classifier), rejects


_worker_state: tuple | None = None


def _init_worker(analyser: Analyser, classifier: Classifier | None, options: RecordOptions,
                 preparer: Callable[..., list] | None = None) -> None:  # fmt: skip
    global _worker_state
    _worker_state = (analyser, classifier, options, preparer)
    _collect_less()  # what the fork inherited is never garbage (see _fewer_collections)


def _worker_chunk(items: list[Row | BadRow | RawLine], heads: Heads | None = None,
                  ) -> tuple[list, list[tuple], dict[str, list[str]]]:  # fmt: skip
    """(documents or the backend's prepared rows, rejections, tokens handed over); ``heads``: the own topics' for this batch."""
    analyser, classifier, options, preparer = _worker_state
    if heads is not None:
        classifier.use_heads(heads)
    docs, rejects = _prepare_chunk(items, analyser, classifier, options)
    if preparer is not None:
        return preparer(docs, analyser), rejects, {}
    texts = [t for d in docs for t in (d.title, d.text) if t]
    return docs, rejects, analyser.take_handoff(texts)


def _rows_after(rows: Iterator[Row | BadRow | RawLine], line: int) -> Iterator[Row | BadRow | RawLine]:
    for item in rows:
        if item.line > line:
            yield item


def publish_file(path: Path, publish: Callable[[list[Document]], object], options: RecordOptions, *,
                 fmt: str | None = None, encoding: str | None = None, rejected_path: Path | None = None,
                 batch_size: int = 500, progress: Callable[[int], None] | None = None) -> IngestSummary:  # fmt: skip
    """``voclens ingest --queue``: validate, mask and hash each row, and publish the documents unclassified.

    Workers (``crawlers.queue.Worker``) classify and write them. Rejected rows go
    to the side file exactly as in ``ingest_file``. There is no checkpoint: an
    interrupted publish run again publishes every row again, which the
    idempotent writes absorb. ``created`` counts documents published.

    Raises:
        ImportFileError: the file is missing, its format unknown, or ``encoding`` is no codec.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    chosen = detect_encoding(path, encoding)
    summary = IngestSummary(path=str(path), encoding=str(chosen))
    rejected_path = Path(rejected_path) if rejected_path else path.with_name(path.name + ".rejected.jsonl")
    summary.rejected_file = str(rejected_path)
    with open(rejected_path, "w", encoding="utf-8") as rejected_fh:
        for items in _chunks(read_records(path, fmt, encoding=chosen.name), batch_size):
            docs: dict[str, Document] = {}
            for item in items:
                reason, fields, raw = None, [], None
                if isinstance(item, BadRow):
                    reason, raw = mask_pii(item.reason), redact_record(item.raw, options)
                else:
                    try:
                        doc = record_to_document(item.record, options)
                        docs[doc.id] = doc
                    except RecordError as exc:
                        reason, fields = str(exc), [f for f, _ in exc.problems]
                        raw = redact_record(item.record, options)
                if reason is not None:
                    summary.rejected += 1
                    if len(summary.rejections) < 10_000:
                        summary.rejections.append(Rejection(item.line, reason, fields))
                    rejected_fh.write(json.dumps({"line": item.line, "reason": reason, "fields": fields, "raw": raw},
                                                 ensure_ascii=False) + "\n")
            publish(list(docs.values()))
            summary.created += len(docs)
            summary.rows += len(items)
            if progress:
                progress(len(items))
    if summary.rejected == 0:
        rejected_path.unlink()
        summary.rejected_file = None
    return summary
