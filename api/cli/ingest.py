"""``voclens ingest``: import a CSV or JSONL export into the index."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import urlsplit
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from crawlers.errors import CrawlerError
from crawlers.ingest import auto_workers, ingest_file
from crawlers.normalize import RecordOptions

from ..cases.engine import after_ingest
from ..components import analyser_for, load_classifier, open_configured_backend
from ..own_topics import with_own_topics
from ._common import JsonOpt, count_lines, err, fail, load_settings, out, progress_forced, require_own_salt


def ingest(
    file: Annotated[Path, typer.Argument(help="CSV or JSONL file (one record per row/line).")],
    fmt: Annotated[str | None, typer.Option("--format", help="csv or jsonl (default: from the extension).")] = None,
    mapping: Annotated[list[str], typer.Option("--map", help="FIELD=COLUMN, e.g. --map text=body --map created_at=date.")] = [],  # noqa: B006
    source: Annotated[str | None, typer.Option(help="Source for rows without one, e.g. zendesk.")] = None,
    channel: Annotated[str | None, typer.Option(help="Channel for rows without one: review, social, ticket, survey, other.")] = None,
    tz: Annotated[str, typer.Option(help="Time zone of dates written without one.")] = "UTC",
    rating_scale: Annotated[float, typer.Option(help="Top of the file's rating scale (5, 10, 100).")] = 5.0,
    extra: Annotated[str, typer.Option(help="Unknown columns: reject the row, keep them in meta, or ignore them.")] = "reject",
    classify: Annotated[bool, typer.Option("--classify/--no-classify", help="Classify with the configured model.")] = True,
    model: Annotated[str | None, typer.Option(help="Model to classify with (default: settings).")] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=10000, help="Rows analysed together (the unit of work a worker takes).")] = 500,
    commit_every: Annotated[int | None, typer.Option(min=1, max=100_000, help="Rows per write transaction; the resume checkpoint moves after each (default: 10,000 on SQLite, where larger is faster; 5,000 on Elasticsearch, sent as several bulk requests at once).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, max=64, help="Processes that parse, validate, analyse, classify and tokenise while this one writes (default: one per core, up to 8, for files of 20,000+ rows without the transformer model; else 1).")] = None,
    resume: Annotated[bool, typer.Option("--resume/--no-resume", help="Continue an interrupted import of the same file.")] = True,
    rejected: Annotated[Path | None, typer.Option(help="Where rejected rows go (default FILE.rejected.jsonl).")] = None,
    encoding: Annotated[str | None, typer.Option(help="The file's character encoding, e.g. gbk, big5, utf-16 (default: detected: byte-order mark, else UTF-8, else GB18030/Big5/UTF-16 by charset-normalizer).")] = None,
    queue: Annotated[bool, typer.Option("--queue", help="Validate and mask here, then publish the documents to the classification queue (queue_redis_url) for `voclens worker` to classify and write.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import a CSV or JSONL export: validate, mask, classify and index every row.

    Rows that fail validation, cannot be decoded or hold control characters
    are skipped (with line number and reason) and written to a side file; the
    good rows are kept. Re-importing a file
    updates documents instead of duplicating them; an interrupted import
    resumes where it stopped.
    """
    settings = load_settings()
    if extra not in ("reject", "meta", "ignore"):
        raise typer.BadParameter("--extra must be reject, meta or ignore")
    pairs = {}
    for m in mapping:
        field, sep, column = m.partition("=")
        if not sep or not field or not column:
            raise typer.BadParameter(f"--map {m!r}: use FIELD=COLUMN")
        pairs[field.strip()] = column.strip()
    options = RecordOptions(source=source, channel=channel, tz=tz, rating_scale=rating_scale, extra=extra,
                            salt=settings.author_salt, mapping=pairs)
    total = count_lines(file) if file.is_file() else None
    if queue:
        summary = _publish(file, settings, options, fmt=fmt, encoding=encoding, rejected=rejected,
                           batch_size=batch_size, total=total, quiet=as_json)
        _report(file, summary, as_json, verb="queued")
        return
    try:
        classifier = load_classifier(settings, model) if classify else None
    except Exception as exc:
        fail(exc)
    workers = workers or auto_workers(total, classifier)
    with open_configured_backend(settings) as backend, Progress(
        TextColumn("ingest"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err, disable=as_json or not sys.stderr.isatty() and not progress_forced(),
    ) as bar:
        task = bar.add_task("rows", total=total)
        try:
            summary = ingest_file(
                file, backend, analyser_for(settings), with_own_topics(classifier, backend), options,
                fmt=fmt, batch_size=batch_size,
                state_dir=settings.data_dir, rejected_path=rejected, resume=resume,
                progress=lambda n: bar.advance(task, n), workers=workers,
                commit_every=commit_every or backend.bulk_commit_rows, encoding=encoding,
            )
        except CrawlerError as exc:
            fail(exc)
        cases = None
        if summary.created or summary.updated:
            try:
                cases = after_ingest(settings, backend)
            except Exception as exc:  # the documents are stored; `voclens cases run` opens what this missed
                err.print(f"warning: case rules did not run ({type(exc).__name__}: {exc}); run `voclens cases run`",
                          markup=False, highlight=False)
    if cases and cases.opened and not as_json:
        err.print(f"cases opened: {len(cases.opened)}", highlight=False)
    _report(file, summary, as_json)


def _publish(file: Path, settings, options: RecordOptions, *, fmt, encoding, rejected, batch_size: int,
             total: int | None, quiet: bool):  # fmt: skip
    """``--queue``: validate and mask, publish for ``voclens worker``."""
    from crawlers.ingest import publish_file
    from crawlers.queue import Publisher, connect

    from ..crawl import queue_url

    try:
        url = queue_url(settings)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--queue") from None
    require_own_salt(settings, "ingest --queue", [urlsplit(url).hostname or ""] if not url.startswith("unix://") else [])
    publisher = Publisher(connect(url), settings.queue_stream)
    with Progress(TextColumn("queue"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err,
                  disable=quiet or not sys.stderr.isatty() and not progress_forced()) as bar:
        task = bar.add_task("rows", total=total)
        try:
            return publish_file(file, publisher.publish, options, fmt=fmt, encoding=encoding, rejected_path=rejected,
                                batch_size=batch_size, progress=lambda n: bar.advance(task, n))
        except CrawlerError as exc:
            fail(exc)


def _report(file: Path, summary, as_json: bool, verb: str = "imported") -> None:
    if as_json:
        out.print_json(json.dumps(summary.as_dict(), ensure_ascii=False))
        return
    out.print(f"{file}: {summary.rows} rows read, {summary.created} {verb}, {summary.updated} updated, "
              f"{summary.rejected} rejected" + (f", {summary.erased} refused as erased" if summary.erased else "")
              + (f" (resumed after line {summary.resumed_from})" if summary.resumed_from else ""), markup=False)
    out.print(f"encoding: {summary.encoding}", markup=False, highlight=False)
    for r in summary.rejections[:20]:
        out.print(f"  line {r.line}: {r.reason}", markup=False, highlight=False)
    if summary.rejected > 20:
        out.print(f"  ... and {summary.rejected - 20} more")
    if summary.rejected_file:
        out.print(f"rejected rows written to {summary.rejected_file}", markup=False)

