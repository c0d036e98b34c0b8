"""The ``voclens`` command line: ingest, search, trends, classify, serve and a demo.

Every command reads the one settings object (``VOCLENS_*`` env vars and
``voclens.toml``); options on the command line override it for that run.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from nlp.labels import Polarity

from .settings import Settings, get_settings

app = typer.Typer(
    name="voclens",
    help="voclens: collect, classify, search and trend customer feedback (Chinese and English).\n\n"
    "Start with `voclens demo`, then `voclens search 物流` or `voclens trends --split topic`. "
    "Data lives in VOCLENS_DATA_DIR (default ./voclens-data).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
keys_app = typer.Typer(help="Create API keys (only their hashes go into the settings).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
log = logging.getLogger("voclens.cli")

# -- shared options ---------------------------------------------------------------
BrandOpt = Annotated[list[str], typer.Option("--brand", help="Only this brand (repeatable).")]
ProductOpt = Annotated[list[str], typer.Option("--product", help="Only this product id (repeatable).")]
SourceOpt = Annotated[list[str], typer.Option("--source", help="Only this source: jd, amazon, weibo... (repeatable).")]
ChannelOpt = Annotated[list[str], typer.Option("--channel", help="review, social, ticket, survey or other (repeatable).")]
LangOpt = Annotated[list[str], typer.Option("--lang", help="zh, en or other (repeatable).")]
SentimentOpt = Annotated[list[str], typer.Option("--sentiment", help="negative, neutral or positive (repeatable).")]
TopicOpt = Annotated[list[str], typer.Option("--topic", help="Topic, optionally with polarity: logistics or logistics:negative.")]


def _when(value: str) -> datetime:
    """An ISO date/time (2026-11-16, 2026-11-16T09:00) or a duration back from now (12h, 7d, 2w)."""
    from datetime import UTC

    from .windows import parse_duration

    value = value.strip()
    if value[-1:] in ("h", "d", "w") and value[:-1].isdigit():
        try:
            return datetime.now(UTC) - parse_duration(value, "duration")
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is neither a date/time like 2026-11-16 or 2026-11-16T09:00 "
                                 "nor a duration back from now like 12h, 7d or 2w") from None


SinceOpt = Annotated[datetime | None, typer.Option("--since", parser=_when, metavar="WHEN",
                                                   help="Created at or after: ISO date/time, or a duration back from now (7d = the last 7 days; 12h, 2w).")]
UntilOpt = Annotated[datetime | None, typer.Option("--until", parser=_when, metavar="WHEN",
                                                   help="Created before: ISO date/time, or a duration back from now (1d = before this time yesterday).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


class What(str, Enum):
    topics = "topics"
    keywords = "keywords"


def _print_rows(rows, title: str, empty: str = "nothing matches these filters") -> None:
    """A table of ``rows``; with none, the title and one line saying why instead of an empty table."""
    if not rows:
        out.print(f"{title}: none; {empty}", markup=False, highlight=False)
        return
    table = Table(title=escape(title))
    for col in rows[0].model_dump():
        table.add_column(col, justify="right")
    for r in rows:  # keywords and topics are text from the data: "[email]" must show, not vanish as markup
        table.add_row(*[f"{v:.2f}" if isinstance(v, float) else escape(str(v)) for v in r.model_dump().values()])
    out.print(table)


def _settings() -> Settings:
    try:
        return get_settings()
    except Exception as exc:  # a bad env var or voclens.toml: say which, then stop
        err.print(f"[red]configuration error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None


def _filters(brand=(), product=(), source=(), channel=(), lang=(), sentiment=(), topic=(), since=None, until=None):
    """The same checks and messages as the API's filter parameters (``api.bounds``)."""
    from .bounds import InvalidParameter, build_filters

    try:
        return build_filters(brand=brand, product_id=product, source=source, channel=channel, lang=lang,
                             sentiment=sentiment, topic=topic, since=since, until=until)
    except InvalidParameter as exc:
        raise typer.BadParameter(str(exc), param_hint=f"--{exc.field.replace('_id', '')}") from None


def _bounded(settings: Settings, query: str = "", limit: int | None = None) -> None:
    """``q`` and page size within the limits the API applies, with its messages."""
    from .bounds import InvalidParameter, check_page_size, check_query

    try:
        check_query(query, settings)
        if limit is not None:
            check_page_size(limit, settings)
    except InvalidParameter as exc:
        raise typer.BadParameter(str(exc), param_hint="QUERY" if exc.field == "q" else "--limit") from None


def _backend(settings: Settings):
    from .components import open_configured_backend

    return open_configured_backend(settings)


def _fail(exc: Exception) -> None:
    err.print(f"[red]error:[/red] {escape(str(exc))}")
    raise typer.Exit(1)


def _require_own_salt(settings: Settings, command: str, hosts: list[str]) -> None:
    """Stop ``command`` before it starts when the default author salt would leave this machine."""
    from rich.markup import escape

    from .settings import default_salt_refusal

    refusal = default_salt_refusal(settings, command, hosts)
    if refusal:
        err.print(f"[red]configuration error:[/red] {escape(refusal)}")
        raise typer.Exit(2)


@app.callback()
def main_callback(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    from .logs import configure_logging

    settings = _settings()
    configure_logging("DEBUG" if verbose else settings.log_level if settings.log_level != "INFO" else "WARNING",
                      settings.log_format)


# -- ingest -----------------------------------------------------------------------
@app.command()
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
    commit_every: Annotated[int | None, typer.Option(min=1, max=100_000, help="Rows per write transaction; the resume checkpoint moves after each (default: 10,000 on SQLite, where larger is faster; --batch-size on Elasticsearch).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, max=64, help="Processes that parse, validate, analyse, classify and tokenise while this one writes (default: one per core, up to 8, for files of 20,000+ rows without the transformer model; else 1).")] = None,
    resume: Annotated[bool, typer.Option("--resume/--no-resume", help="Continue an interrupted import of the same file.")] = True,
    rejected: Annotated[Path | None, typer.Option(help="Where rejected rows go (default FILE.rejected.jsonl).")] = None,
    encoding: Annotated[str | None, typer.Option(help="The file's character encoding, e.g. gbk, big5, utf-16 (default: detected: byte-order mark, else UTF-8, else GB18030/Big5/UTF-16 by charset-normalizer).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import a CSV or JSONL export: validate, mask, classify and index every row.

    Rows that fail validation, cannot be decoded or hold control characters
    are skipped (with line number and reason) and written to a side file; the
    good rows are kept. Re-importing a file
    updates documents instead of duplicating them; an interrupted import
    resumes where it stopped.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from crawlers.errors import CrawlerError
    from crawlers.ingest import auto_workers, ingest_file
    from crawlers.normalize import RecordOptions

    from .components import analyser_for, load_classifier

    settings = _settings()
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
    try:
        classifier = load_classifier(settings, model) if classify else None
    except Exception as exc:
        _fail(exc)
    total = _count_lines(file) if file.is_file() else None
    workers = workers or auto_workers(total, classifier)
    with _backend(settings) as backend, Progress(
        TextColumn("ingest"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err, disable=as_json or not sys.stderr.isatty() and not _force_progress(),
    ) as bar:
        task = bar.add_task("rows", total=total)
        try:
            summary = ingest_file(
                file, backend, analyser_for(settings), classifier, options, fmt=fmt, batch_size=batch_size,
                state_dir=settings.data_dir, rejected_path=rejected, resume=resume,
                progress=lambda n: bar.advance(task, n), workers=workers,
                commit_every=commit_every or backend.bulk_commit_rows, encoding=encoding,
            )
        except CrawlerError as exc:
            _fail(exc)
    if as_json:
        out.print_json(json.dumps(summary.as_dict(), ensure_ascii=False))
        return
    out.print(f"{file}: {summary.rows} rows read, {summary.created} imported, {summary.updated} updated, "
              f"{summary.rejected} rejected" + (f", {summary.erased} refused as erased" if summary.erased else "")
              + (f" (resumed after line {summary.resumed_from})" if summary.resumed_from else ""), markup=False)
    out.print(f"encoding: {summary.encoding}", markup=False, highlight=False)
    for r in summary.rejections[:20]:
        out.print(f"  line {r.line}: {r.reason}", markup=False, highlight=False)
    if summary.rejected > 20:
        out.print(f"  ... and {summary.rejected - 20} more")
    if summary.rejected_file:
        out.print(f"rejected rows written to {summary.rejected_file}", markup=False)


def _force_progress() -> bool:
    import os

    return os.environ.get("VOCLENS_PROGRESS") == "1"


def _count_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        n = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
    return max(n - (1 if path.suffix.lower() in (".csv", ".tsv") else 0), 0)


# -- search and analytics -----------------------------------------------------------
@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Query: terms, "phrases", -exclusions, OR, brand:X topic:logistics:negative...')] = "",
    brand: BrandOpt = [], product: ProductOpt = [], source: SourceOpt = [], channel: ChannelOpt = [],  # noqa: B006
    lang: LangOpt = [], sentiment: SentimentOpt = [], topic: TopicOpt = [],  # noqa: B006
    since: SinceOpt = None, until: UntilOpt = None,
    sort: Annotated[str, typer.Option(help="relevance, newest or oldest.")] = "relevance",
    limit: Annotated[int, typer.Option(min=1, help="Results to show (at most max_page_size).")] = 10,
    cursor: Annotated[str | None, typer.Option(help="next_cursor of a previous --json run.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Search feedback with the query language and filters.

    Example: voclens search "物流" --brand Voltra --sentiment negative
    """
    from index.base import SearchQuery
    from index.errors import SearchBackendError

    settings = _settings()
    _bounded(settings, query, limit)
    filters = _filters(brand, product, source, channel, lang, sentiment, topic, since, until)
    with _backend(settings) as backend:
        try:
            result = backend.search(SearchQuery(q=query, filters=filters, sort=sort, limit=limit, cursor=cursor))
        except (SearchBackendError, ValueError) as exc:
            _fail(exc)
    if as_json:
        out.print_json(result.model_dump_json())
        return
    if not result.hits:
        out.print(f"{result.total} match(es)" + ("" if cursor else "; nothing matches this query and these filters"
                  + (" (a wider --since, e.g. 30d, may find some)" if since else "")), markup=False, highlight=False)
        return
    table = Table(title=f"{result.total} match(es)", show_lines=False)
    table.add_column("id", no_wrap=True)  # what `voclens get` and `voclens erase --doc` take
    for col in ("date", "source", "brand", "sentiment", "topics", "text"):
        table.add_column(col, overflow="fold")
    for hit in result.hits:
        d = hit.document
        table.add_row(d.id, d.created_at.strftime("%Y-%m-%d"), escape(d.source), escape(d.brand or ""),
                      d.sentiment.label.value if d.sentiment else "",
                      ", ".join(f"{t.topic}:{t.polarity.value[:3]}" for t in d.topics), escape(d.text[:140]))
    out.print(table)
    if result.next_cursor:
        out.print(f"more: --cursor {result.next_cursor}", markup=False)


@app.command()
def trends(
    query: Annotated[str, typer.Argument(help="Optional query restricting the documents.")] = "",
    interval: Annotated[str, typer.Option(help="hour, day, week or month.")] = "day",
    split: Annotated[str | None, typer.Option(help="One series per topic, sentiment, source or brand.")] = None,
    tz: Annotated[str, typer.Option(help="IANA time zone for bucket boundaries, e.g. Asia/Shanghai.")] = "UTC",
    brand: BrandOpt = [], product: ProductOpt = [], source: SourceOpt = [], channel: ChannelOpt = [],  # noqa: B006
    lang: LangOpt = [], sentiment: SentimentOpt = [], topic: TopicOpt = [],  # noqa: B006
    since: SinceOpt = None, until: UntilOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Volume, negative share and average rating over time.

    Example: voclens trends --interval week --split topic --tz Asia/Shanghai
    """
    from pydantic import ValidationError

    from index.base import TrendQuery
    from index.errors import SearchBackendError

    settings = _settings()
    _bounded(settings, query)
    filters = _filters(brand, product, source, channel, lang, sentiment, topic, since, until)
    try:
        tq = TrendQuery(q=query, filters=filters, interval=interval, split=split, tz=tz)
    except ValidationError as exc:
        _fail(exc.errors()[0]["msg"])
    with _backend(settings) as backend:
        try:
            result = backend.trends(tq)
        except SearchBackendError as exc:
            _fail(exc)
    if as_json:
        out.print_json(result.model_dump_json())
        return
    for series in result.series:
        table = Table(title=escape(f"{series.key or 'all'} per {result.interval.value} ({result.tz})"))
        for col in ("start", "volume", "negative", "negative share", "avg rating"):
            table.add_column(col, justify="right")
        for b in series.buckets:
            table.add_row(b.start.strftime("%Y-%m-%d %H:%M"), str(b.volume), str(b.negative),
                          "" if b.negative_share is None else f"{b.negative_share:.0%}",
                          "" if b.avg_rating is None else f"{b.avg_rating:.2f}")
        out.print(table)


@app.command()
def top(
    what: Annotated[What, typer.Argument(help="topics or keywords.")] = What.topics,
    query: Annotated[str, typer.Option("--q", help="Optional query restricting the documents.")] = "",
    polarity: Annotated[Polarity | None, typer.Option(help="topics only: count only this polarity (negative = complaints).")] = None,
    brand: BrandOpt = [], product: ProductOpt = [], source: SourceOpt = [], channel: ChannelOpt = [],  # noqa: B006
    lang: LangOpt = [], sentiment: SentimentOpt = [], topic: TopicOpt = [],  # noqa: B006
    since: SinceOpt = None, until: UntilOpt = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Top topics (with their negative counts) or top keywords among matching documents."""
    from index.base import TopQuery
    from index.errors import SearchBackendError

    settings = _settings()
    _bounded(settings, query)
    tq = TopQuery(q=query, filters=_filters(brand, product, source, channel, lang, sentiment, topic, since, until),
                  polarity=polarity, limit=limit)
    with _backend(settings) as backend:
        try:
            rows = backend.top_topics(tq) if what is What.topics else backend.top_keywords(tq)
        except SearchBackendError as exc:
            _fail(exc)
    if as_json:
        out.print_json(json.dumps([r.model_dump() for r in rows], ensure_ascii=False))
        return
    _print_rows(rows, f"top {what.value}")


@app.command()
def emerging(
    what: Annotated[What, typer.Argument(help="topics or keywords.")] = What.topics,
    window: Annotated[str, typer.Option(help="Current window ending at --until: 12h, 1d, 7d...")] = "1d",
    baseline: Annotated[str, typer.Option(help="Baseline window right before it: 28d, 8w...")] = "28d",
    until: Annotated[datetime | None, typer.Option(help="End of the current window (default: now).")] = None,
    polarity: Annotated[Polarity | None, typer.Option(help="topics: this polarity (default negative); keywords: overall sentiment.")] = None,
    brand: BrandOpt = [], source: SourceOpt = [], lang: LangOpt = [],  # noqa: B006
    min_count: Annotated[int, typer.Option(min=1, max=1_000_000_000, help="Ignore items seen fewer times in the current window.")] = 3,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    as_json: JsonOpt = False,
) -> None:
    """What is rising now: topics or keywords whose rate jumped against the baseline (G² score)."""
    from index.base import EmergingQuery

    from .windows import emerging_windows, windows_empty

    settings = _settings()
    try:
        windows = emerging_windows(window, baseline, until)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    cs, cu, bs, bu = windows
    if polarity is None and what is What.topics:
        polarity = Polarity.negative
    filters = _filters(brand, (), source, (), lang)
    rows = []
    if not windows_empty(windows):  # --until at the very start of the calendar: nothing to compare
        eq = EmergingQuery(filters=filters, current_since=cs, current_until=cu, baseline_since=bs,
                           baseline_until=bu, polarity=polarity, min_count=min_count, limit=limit)
        with _backend(settings) as backend:
            rows = backend.emerging_topics(eq) if what is What.topics else backend.emerging_keywords(eq)
    if as_json:
        out.print_json(json.dumps([r.model_dump() for r in rows], ensure_ascii=False))
        return
    _print_rows(rows, f"emerging {what.value}: {cs:%Y-%m-%d %H:%M} to {cu:%Y-%m-%d %H:%M} UTC vs the {baseline} before",
                empty=f"no {what.value[:-1]} seen at least --min-count {min_count} times in the last {window} rose against "
                      f"the {baseline} before it (try a longer --window such as 7d, or a lower --min-count)")


@app.command()
def get(doc_id: Annotated[str, typer.Argument(help="Document id.")]) -> None:
    """Print one document as JSON, then the quote that shows each of its topics (on stderr).

    A topic's ``evidence`` is [start, end) in the text; the quotes go to stderr so that
    standard output stays one JSON document for scripts.
    """
    from index.errors import DocumentNotFound

    with _backend(_settings()) as backend:
        try:
            doc = backend.get(doc_id)
        except DocumentNotFound as exc:
            _fail(exc)
    out.print_json(doc.model_dump_json())
    for t in doc.topics:
        if t.evidence:
            err.print(f"{t.topic} ({t.polarity.value}): {doc.text[t.evidence[0]:t.evidence[1]]}",
                      markup=False, highlight=False)  # fmt: skip


# -- erasure ------------------------------------------------------------------------
@app.command()
def erase(
    doc: Annotated[str | None, typer.Option("--doc", help="The document id to erase (as `voclens get` and the API show it).")] = None,
    author: Annotated[str | None, typer.Option("--author", help="The author's handle on --source; hashed here exactly as ingest hashes it, never stored.")] = None,
    author_id: Annotated[str | None, typer.Option("--author-id", help="The platform's id of the author (a Weibo uid...) on --source, hashed like ingest does.")] = None,
    author_hash: Annotated[str | None, typer.Option("--author-hash", help="An author hash (a_ + 24 hex digits) as documents carry it.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Where the author wrote (jd, weibo, zendesk...): hashes are per source. Required with --author / --author-id.")] = None,
    force: Annotated[bool, typer.Option("--force", help="With --doc: refuse the id from now on even if it is not stored (a takedown before the crawl, or re-applying the log after restoring a backup).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Erase a document or an author for good (a PIPL / GDPR takedown).

    Removes the document (or every document of the author) from the index,
    refuses it on every later import, crawl or POST /documents, and writes one
    line to the erasure log (what, when, who = "cli", how many; never text).
    Exactly one of --doc, --author, --author-id, --author-hash. See
    docs/operations.md#erasure-takedown-requests.
    """
    from index.base import ErasureKind
    from index.errors import DocumentNotFound

    from .erasure import author_hash_for
    from .erasure import erase as erase_one

    given = [name for name, v in (("--doc", doc), ("--author", author), ("--author-id", author_id),
                                  ("--author-hash", author_hash)) if v is not None]
    if len(given) != 1:
        raise typer.BadParameter("give exactly one of --doc, --author, --author-id, --author-hash")
    if (author is not None or author_id is not None) and not source:
        raise typer.BadParameter("--author and --author-id need --source: an author's hash depends on the source")
    settings = _settings()
    if doc is not None:
        kind, key = ErasureKind.document, doc.strip().lower()
    else:
        kind = ErasureKind.author
        key = author_hash.strip() if author_hash is not None else author_hash_for(
            source, handle=author, author_id=author_id, salt=settings.author_salt)
    with _backend(settings) as backend:
        try:
            record = erase_one(backend, kind, key, actor="cli", must_exist=not force)
        except DocumentNotFound as exc:
            _fail(exc)
    if as_json:
        out.print_json(record.model_dump_json())
        return
    what = f"document {record.key}" if kind is ErasureKind.document else f"author {record.key}"
    out.print(f"erased {what}: {record.documents} document(s) removed; future copies will be refused", highlight=False)


@app.command()
def erasures(
    limit: Annotated[int, typer.Option(help="How many entries, newest first.")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Print the erasure log: what was erased, when, by whom, how many documents (never content)."""
    with _backend(_settings()) as backend:
        rows = backend.erasures(limit)
    if as_json:
        out.print_json(json.dumps([r.model_dump(mode="json") for r in rows]))
        return
    table = Table(title="erasure log (newest first)")
    for col in ("at (UTC)", "kind", "key", "actor", "documents"):
        table.add_column(col)
    for r in rows:
        table.add_row(f"{r.at:%Y-%m-%d %H:%M:%S}", r.kind.value, r.key, r.actor, str(r.documents))
    out.print(table)


# -- classification -----------------------------------------------------------------
@app.command()
def classify(
    input: Annotated[Path, typer.Option("--input", "-i", help="JSONL with `id` and `text` on each line.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="JSONL to write: id, lang, sentiment, topics.")],
    model: Annotated[str | None, typer.Option(help="Model name (default: settings; 'transformer' = the 12-layer model; 'fast' = lexicon baseline).")] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=4096, help="Texts handed to the model together; the transformer sorts each batch by length, so larger batches pad less.")] = 512,
) -> None:
    """Classify texts without indexing them: overall sentiment and topics with their own polarity."""
    from rich.progress import Progress

    from crawlers.importers import BadRow, read_records

    from .components import load_classifier

    settings = _settings()
    try:
        classifier = load_classifier(settings, model)
    except Exception as exc:
        _fail(exc)
    if not input.is_file():
        _fail(FileNotFoundError(f"{input}: no such file"))
    bad = written = 0
    batch: list[tuple[str, str]] = []

    def flush(fh) -> None:
        nonlocal written
        if not batch:
            return
        for (doc_id, _), res in zip(batch, classifier.classify_batch([t for _, t in batch]), strict=True):
            fh.write(json.dumps({
                "id": doc_id, "lang": res.lang,
                "sentiment": res.sentiment.model_dump(mode="json"),
                "topics": [t.model_dump(mode="json") for t in res.topics],
                "model_version": res.model_version,
            }, ensure_ascii=False) + "\n")
            written += 1
        batch.clear()

    with open(output, "w", encoding="utf-8") as fh, Progress(console=err, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("classify", total=_count_lines(input))
        for item in read_records(input, "jsonl"):
            bar.advance(task)
            if isinstance(item, BadRow):
                bad += 1
                err.print(f"{input}:{item.line}: {item.reason}", markup=False, highlight=False)
                continue
            text, doc_id = item.record.get("text"), item.record.get("id")
            if not isinstance(text, str) or not text.strip() or doc_id is None:
                bad += 1
                err.print(f"{input}:{item.line}: needs a non-empty string `text` and an `id`", markup=False, highlight=False)
                continue
            batch.append((str(doc_id), text))
            if len(batch) >= batch_size:
                flush(fh)
        flush(fh)
    err.print(f"classified {written} text(s) with {classifier.version}; {bad} line(s) skipped", highlight=False)
    if bad and not written:
        raise typer.Exit(1)


@app.command()
def reclassify(
    model: Annotated[str | None, typer.Option(help="Model to label with (default: settings; 'transformer' = the 12-layer model; 'fast' = lexicon baseline).")] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=10000, help="Documents classified and written together; progress is saved after each batch.")] = 256,
    force: Annotated[bool, typer.Option("--force", help="Also re-label documents this model version has already labelled.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Re-label documents already in the index with a model, e.g. after switching to a new one.

    Each document gets the model's sentiment and topics, and its model_version
    becomes the model's version; nothing else about it changes, and search,
    trends and topic counts follow the new labels. Documents this model version
    already labelled are skipped (--force re-labels them too), so running it
    twice is harmless. Stopped half-way (Ctrl-C, a crash), it continues where it
    stopped when run again with the same model. Documents the model fails on
    keep their old labels and make the command exit with status 1; run it again
    to retry them.

    Example: voclens reclassify --model fast
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .components import load_classifier
    from .reclassify import checkpoint_file
    from .reclassify import reclassify as reclassify_documents

    settings = _settings()
    try:
        classifier = load_classifier(settings, model)
    except Exception as exc:
        _fail(exc)
    with _backend(settings) as backend, Progress(
        TextColumn("reclassify"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err, disable=as_json or not sys.stderr.isatty() and not _force_progress(),
    ) as bar:
        task = bar.add_task("documents", total=backend.count())
        report = reclassify_documents(
            backend, classifier, batch_size=batch_size, force=force,
            checkpoint_path=checkpoint_file(settings.data_dir, classifier.version),
            progress=lambda n: bar.advance(task, n),
        )
    if as_json:
        out.print_json(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        out.print(f"reclassified with {report.model_version}: {report.seen} documents seen, {report.updated} updated, "
                  f"{report.skipped_current} already current, {report.failed} failed"
                  + (f" (resumed after id {report.resumed_after})" if report.resumed_after else ""),
                  markup=False, highlight=False)
        if report.failed:
            shown = ", ".join(report.failed_ids[:20]) + (" ..." if report.failed > 20 else "")
            out.print(f"failed documents keep their old labels; run again to retry them: {shown}", markup=False, highlight=False)
    if report.failed:
        raise typer.Exit(1)


# -- serving --------------------------------------------------------------------------
@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default: settings, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: settings, 8000).")] = None,
) -> None:
    """Run the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from .app import create_app

    settings = _settings()
    from .logs import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    host, port = host or settings.host, port or settings.port
    _require_own_salt(settings, "serve", [host])
    _require_free_port(host, port)
    err.print(f"voclens on http://{host}:{port}/  (open it in a browser; API docs: http://{host}:{port}/docs)", highlight=False)
    from .http11 import ClearErrorsH11Protocol

    # h11 (not httptools, even when installed): its 400 for a raw UTF-8 URL can name the fix; a
    # request line up to max_url_bytes gets through to the app, which answers 414 beyond.
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False,
                http=ClearErrorsH11Protocol, h11_max_incomplete_event_size=settings.max_url_bytes + 64 * 1024)


def _require_free_port(host: str, port: int) -> None:
    """Stop with one line naming ``--port`` when the address is taken, instead of uvicorn's bind error."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return  # let uvicorn report an unknown host its own way
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a TIME_WAIT socket is no conflict
        try:
            s.bind(addr)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                return
            err.print(f"[red]error:[/red] port {port} on {escape(host)} is already in use (another voclens serve?); "
                      f"stop it or choose another port, e.g. --port {port + 1 if port < 65535 else 8001}")
            raise typer.Exit(1) from None


@app.command()
def demo(
    serve_api: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the API after loading.")] = True,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Load the bundled demo corpus (fictional brands Lumio, Qinghe, Voltra), classify and index it, then serve.

    Dates are shifted so the newest item is from today, so "this week" and
    "emerging" queries show something.
    """
    from .demo import load_demo

    settings = _settings()
    with _backend(settings) as backend:
        summary = load_demo(settings, backend)
        total = backend.count()
    out.print(f"demo corpus: {summary.created} new, {summary.updated} updated, {summary.rejected} rejected; "
              f"{total} documents in {settings.sqlite_path}", markup=False)
    out.print('try:  voclens search 物流 --sentiment negative   |   voclens emerging keywords   |   '
              'voclens trends --interval week --split topic')
    if serve_api:
        serve(host=host, port=port)


# -- keys -----------------------------------------------------------------------------
@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what the key is for.")],
    scope: Annotated[list[str], typer.Option("--scope", help="read and/or write (repeatable).")] = ["read"],  # noqa: B006
) -> None:
    """Make a new random API key; prints the key once and the settings entry that stores its hash."""
    import secrets

    from .settings import ApiKey, hash_api_key

    bad = [s for s in scope if s not in ("read", "write")]
    if bad:
        raise typer.BadParameter(f"unknown scope(s): {', '.join(bad)} (use read, write)")
    key = "vl_" + secrets.token_urlsafe(24)
    entry = ApiKey(name=name, hash=hash_api_key(key), scopes=tuple(dict.fromkeys(scope)))
    out.print(f"API key (shown once): {key}", highlight=False)
    out.print("add to voclens.toml:", highlight=False)
    out.print(f'[[api_keys]]\nname = "{entry.name}"\nhash = "{entry.hash}"\nscopes = {json.dumps(list(entry.scopes))}',
              markup=False, highlight=False)
    out.print(f"or set VOCLENS_API_KEYS='{json.dumps([entry.model_dump(mode='json')])}'", markup=False, highlight=False)


from .cli_model import model_app  # noqa: E402  (registered last: it imports this module lazily)

app.add_typer(model_app, name="model")
from .cli_index import index_app  # noqa: E402

app.add_typer(index_app, name="index")
from .cli_digests import digests_app  # noqa: E402

app.add_typer(digests_app, name="digests")
from .cli_crawl import crawl  # noqa: E402

app.command()(crawl)


def main() -> None:
    """Entry point: every failure ends with one clear line, not a traceback (``-v`` shows it)."""
    from crawlers.errors import CrawlerError
    from index.errors import SearchBackendError
    from nlp.errors import NLPError

    try:
        app()
    except (SearchBackendError, CrawlerError, NLPError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        sys.exit(1)
    except Exception as exc:  # anything unforeseen still gets one line; -v shows where it came from
        if "-v" in sys.argv[1:] or "--verbose" in sys.argv[1:]:
            raise
        err.print(f"[red]error:[/red] {type(exc).__name__}: {escape(str(exc))} (run with -v for the traceback)")
        sys.exit(1)


if __name__ == "__main__":
    main()
