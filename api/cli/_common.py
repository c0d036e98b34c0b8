"""What every ``voclens`` command group shares: the consoles, settings, filters and error exits.

Command modules import this one and never each other or the package, so
the package can import them all without a cycle. Every failure a command
foresees ends here in one line on stderr and a non-zero exit, not a traceback.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from index.base import Filters
from nlp.extras import missing_extra

from ..bounds import InvalidParameter, build_filters, check_page_size, check_query
from ..settings import Settings, default_salt_refusal, get_settings
from ..windows import parse_duration

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

# -- shared options ---------------------------------------------------------------
BrandOpt = Annotated[list[str], typer.Option("--brand", help="Only this brand (repeatable).")]
ProductOpt = Annotated[list[str], typer.Option("--product", help="Only this product id (repeatable).")]
SourceOpt = Annotated[list[str], typer.Option("--source", help="Only this source: jd, amazon, weibo... (repeatable).")]
ChannelOpt = Annotated[list[str], typer.Option("--channel", help="review, social, ticket, survey or other (repeatable).")]
LangOpt = Annotated[list[str], typer.Option("--lang", help="zh, en or other (repeatable).")]
SentimentOpt = Annotated[list[str], typer.Option("--sentiment", help="negative, neutral or positive (repeatable).")]
TopicOpt = Annotated[list[str], typer.Option("--topic", help="Topic, optionally with polarity: logistics or logistics:negative.")]


def parse_when(value: str) -> datetime:
    """An ISO date/time (2026-11-16, 2026-11-16T09:00) or a duration back from now (12h, 7d, 2w)."""
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


SinceOpt = Annotated[datetime | None, typer.Option("--since", parser=parse_when, metavar="WHEN",
                                                   help="Created at or after: ISO date/time, or a duration back from now (7d = the last 7 days; 12h, 2w).")]
UntilOpt = Annotated[datetime | None, typer.Option("--until", parser=parse_when, metavar="WHEN",
                                                   help="Created before: ISO date/time, or a duration back from now (1d = before this time yesterday).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def load_settings() -> Settings:
    """The settings object, or exit 2 with the reason when an env var or voclens.toml is wrong."""
    try:
        return get_settings()
    except Exception as exc:  # a bad env var or voclens.toml: say which, then stop
        err.print(f"[red]configuration error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None


class _AnyOwnKey:
    """Before the backend is open any key may be an own topic's: the backend checks it (``InvalidQuery``)."""

    def __contains__(self, key: object) -> bool:
        return True


def query_filters(brand=(), product=(), source=(), channel=(), lang=(), sentiment=(), topic=(), since=None,
                  until=None) -> Filters:
    """The same checks and messages as the API's filter parameters (``api.bounds``).

    A topic that is no default topic passes here and is checked by the backend
    against its own topics when the query runs.
    """
    try:
        return build_filters(brand=brand, product_id=product, source=source, channel=channel, lang=lang,
                             sentiment=sentiment, topic=topic, since=since, until=until, known_topics=_AnyOwnKey())
    except InvalidParameter as exc:
        raise typer.BadParameter(str(exc), param_hint=f"--{exc.field.replace('_id', '')}") from None


def check_bounds(settings: Settings, query: str = "", limit: int | None = None) -> None:
    """``q`` and page size within the limits the API applies, with its messages."""
    try:
        check_query(query, settings)
        if limit is not None:
            check_page_size(limit, settings)
    except InvalidParameter as exc:
        raise typer.BadParameter(str(exc), param_hint="QUERY" if exc.field == "q" else "--limit") from None


def fmt_value(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def fmt_interval(low: float | None, high: float | None, digits: int = 1) -> str:
    return "" if low is None or high is None else f"{low:.{digits}f} to {high:.{digits}f}"


def fail(exc: Exception | str) -> None:
    """Print ``error: <exc>`` on stderr and exit 1 (a missing ``train`` extra says what to install)."""
    missing = missing_extra(exc) if isinstance(exc, Exception) else None
    err.print(f"[red]error:[/red] {escape(str(missing or exc))}")
    raise typer.Exit(1)


def require_own_salt(settings: Settings, command: str, hosts: list[str]) -> None:
    """Stop ``command`` before it starts when the default author salt would leave this machine."""
    refusal = default_salt_refusal(settings, command, hosts)
    if refusal:
        err.print(f"[red]configuration error:[/red] {escape(refusal)}")
        raise typer.Exit(2)


def progress_forced() -> bool:
    """``VOCLENS_PROGRESS=1`` shows progress bars on a stderr that is no terminal (tests, logs)."""
    return os.environ.get("VOCLENS_PROGRESS") == "1"


def count_lines(path: Path) -> int:
    """Records in a file, for a progress bar's total: lines, less a CSV/TSV header."""
    with open(path, "rb") as fh:
        n = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
    return max(n - (1 if path.suffix.lower() in (".csv", ".tsv") else 0), 0)
