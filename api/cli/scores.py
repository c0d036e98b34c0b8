"""``voclens drivers``: which topics cost a score the most points (``voclens trends --metric`` charts the score)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from index.errors import SearchBackendError
from index.scoring import DriverQuery, DriverResult

from ..components import open_configured_backend
from ._common import (
    BrandOpt,
    ChannelOpt,
    JsonOpt,
    LangOpt,
    ProductOpt,
    SentimentOpt,
    SinceOpt,
    SourceOpt,
    TopicOpt,
    UntilOpt,
    check_bounds,
    fail,
    fmt_interval,
    fmt_value,
    load_settings,
    out,
    query_filters,
)


def drivers(
    query: Annotated[str, typer.Argument(help="Optional query restricting the responses.")] = "",
    metric: Annotated[str, typer.Option(help="The score to explain: nps, csat, ces, rating or a named score.")] = "nps",
    brand: BrandOpt = [], product: ProductOpt = [], source: SourceOpt = [], channel: ChannelOpt = [],  # noqa: B006
    lang: LangOpt = [], sentiment: SentimentOpt = [], topic: TopicOpt = [],  # noqa: B006
    since: SinceOpt = None, until: UntilOpt = None,
    min_count: Annotated[int, typer.Option(min=2, max=1_000_000, help="Leave out topics on fewer responses.")] = 5,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Key drivers of a score: which topics cost it the most points, with intervals.

    Example: voclens drivers --metric rating --since 2026-11-01
    """
    settings = load_settings()
    check_bounds(settings, query)
    filters = query_filters(brand, product, source, channel, lang, sentiment, topic, since, until)
    try:
        dq = DriverQuery(metric=metric, q=query, filters=filters, min_count=min_count, limit=limit)
    except ValidationError as exc:
        raise typer.BadParameter(exc.errors()[0]["msg"].removeprefix("Value error, "), param_hint="--metric") from None
    with open_configured_backend(settings) as backend:
        try:
            result = backend.drivers(dq)
        except SearchBackendError as exc:
            fail(exc)
    if as_json:
        out.print_json(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
        return
    print_drivers(result)


def print_drivers(result: DriverResult) -> None:
    o = result.overall
    digits = 2 if result.metric in ("rating", "ces") else 1
    if not o.responses:
        out.print(f"drivers of {result.metric}: none; no response matching these filters has the score", markup=False)
        return
    title = (f"drivers of {result.metric}: {fmt_value(o.value, digits)} [{fmt_interval(o.low, o.high, digits)}] over "
             f"{o.responses} responses" + (f", R² {result.r_squared:.2f}" if result.r_squared is not None else ""))
    if not result.drivers:
        out.print(f"{title}: no topic on at least --min-count responses", markup=False)
        return
    table = Table(title=escape(title))
    for col in ("topic", "share", "with", "without", "impact", f"{result.confidence:.0%} interval", "importance"):
        table.add_column(col, justify="right")
    for d in result.drivers:  # mean scores and regression coefficients are in --json
        table.add_row(escape(f"{d.topic}:{d.polarity.value}"), f"{d.share:.0%}", fmt_value(d.with_topic.value, digits),
                      fmt_value(d.without_topic.value, digits), f"{d.impact:+.{digits + 1}f}",
                      fmt_interval(d.impact_low, d.impact_high, digits + 1),
                      "" if d.importance is None else f"{d.importance:.0%}")
    out.print(table)
    out.print(escape(result.method), highlight=False)


__all__ = ["drivers", "print_drivers"]
