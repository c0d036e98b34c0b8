"""``voclens trends``, ``top`` and ``emerging``: counts over time, the biggest and the rising."""

from __future__ import annotations

import json
from datetime import datetime
from enum import Enum
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from index.base import EmergingQuery, TopQuery, TrendQuery
from index.errors import SearchBackendError
from index.scoring import ScoreTrendQuery, ScoreTrendResult
from nlp.labels import Polarity

from ..components import open_configured_backend
from ..own_topics import JOURNEY_SPLITS, JourneyMissing, journey_split
from ..windows import emerging_windows, windows_empty
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


def trends(
    query: Annotated[str, typer.Argument(help="Optional query restricting the documents.")] = "",
    interval: Annotated[str, typer.Option(help="hour, day, week or month.")] = "day",
    split: Annotated[str | None, typer.Option(help="One series per topic, sentiment, source, brand, stage or touchpoint (the customer journey: voclens topics journey); scores: topic, brand, channel, source, stage or touchpoint.")] = None,
    tz: Annotated[str, typer.Option(help="IANA time zone for bucket boundaries, e.g. Asia/Shanghai.")] = "UTC",
    brand: BrandOpt = [], product: ProductOpt = [], source: SourceOpt = [], channel: ChannelOpt = [],  # noqa: B006
    lang: LangOpt = [], sentiment: SentimentOpt = [], topic: TopicOpt = [],  # noqa: B006
    since: SinceOpt = None, until: UntilOpt = None,
    metric: Annotated[str | None, typer.Option(help="A score instead of counts: nps, csat, ces, rating or a named score, with intervals.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Volume, negative share and average rating over time, or a score (--metric nps) with intervals.

    Example: voclens trends --interval week --split topic --tz Asia/Shanghai
    """
    settings = load_settings()
    check_bounds(settings, query)
    filters = query_filters(brand, product, source, channel, lang, sentiment, topic, since, until)
    if metric is not None:
        keys: list[str] = []
        if split in JOURNEY_SPLITS:  # a score per journey stage: the stages are own topics
            with open_configured_backend(settings) as backend:
                try:
                    keys = journey_split(backend, split)
                except JourneyMissing as exc:
                    fail(exc)
        try:
            sq = ScoreTrendQuery(metric=metric, q=query, filters=filters, interval=interval, tz=tz,
                                 split="topic" if keys else split, topic_keys=keys, split_limit=min(len(keys), 50) or 10)
        except ValidationError as exc:
            error = exc.errors()[0]
            fail(f"--{error['loc'][0]}: " + error["msg"].removeprefix("Value error, "))
        return _score_trends(sq, as_json)
    with open_configured_backend(settings) as backend:
        keys: list[str] = []
        if split in JOURNEY_SPLITS:
            try:
                keys = journey_split(backend, split)
            except JourneyMissing as exc:
                fail(exc)
        try:
            tq = TrendQuery(q=query, filters=filters, interval=interval, split="topic" if keys else split, tz=tz,
                            topic_keys=keys, split_limit=len(keys) or 10)
        except ValidationError as exc:
            fail(exc.errors()[0]["msg"])
        try:
            result = backend.trends(tq)
        except SearchBackendError as exc:
            fail(exc)
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


def _score_trends(query: ScoreTrendQuery, as_json: bool) -> None:
    """Run and print a score trend (``voclens trends --metric ...``)."""
    settings = load_settings()
    with open_configured_backend(settings) as backend:
        try:
            result = backend.score_trends(query)
        except SearchBackendError as exc:
            fail(exc)
    if as_json:
        out.print_json(result.model_dump_json())
        return
    _print_score_trends(result)


def _print_score_trends(result: ScoreTrendResult) -> None:
    digits = 2 if result.metric in ("rating", "ces") else 1
    for series in result.series:
        title = (f"{result.metric} of {series.key or 'all'} per {result.interval.value} ({result.tz}): "
                 f"{fmt_value(series.value, digits)} [{fmt_interval(series.low, series.high, digits)}], {series.responses} responses")
        table = Table(title=escape(title))
        for col in ("start", "responses", result.unit, f"{result.confidence:.0%} interval", "change"):
            table.add_column(col, justify="right")
        for b in series.buckets:
            change = ""
            if b.significant:  # a change is shown only when it is significant
                change = f"{'▲' if b.change > 0 else '▼'} {b.change:+.{digits}f} (p={b.p_value:.3f})"
            table.add_row(b.start.strftime("%Y-%m-%d %H:%M"), str(b.responses), fmt_value(b.value, digits),
                          fmt_interval(b.low, b.high, digits), change)
        out.print(table)
    out.print(escape(result.method), highlight=False)


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
    settings = load_settings()
    check_bounds(settings, query)
    tq = TopQuery(q=query, filters=query_filters(brand, product, source, channel, lang, sentiment, topic, since, until),
                  polarity=polarity, limit=limit)
    with open_configured_backend(settings) as backend:
        try:
            rows = backend.top_topics(tq) if what is What.topics else backend.top_keywords(tq)
        except SearchBackendError as exc:
            fail(exc)
    if as_json:
        out.print_json(json.dumps([r.model_dump() for r in rows], ensure_ascii=False))
        return
    _print_rows(rows, f"top {what.value}")


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
    settings = load_settings()
    try:
        windows = emerging_windows(window, baseline, until)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    cs, cu, bs, bu = windows
    if polarity is None and what is What.topics:
        polarity = Polarity.negative
    filters = query_filters(brand, (), source, (), lang)
    rows = []
    if not windows_empty(windows):  # --until at the very start of the calendar: nothing to compare
        eq = EmergingQuery(filters=filters, current_since=cs, current_until=cu, baseline_since=bs,
                           baseline_until=bu, polarity=polarity, min_count=min_count, limit=limit)
        with open_configured_backend(settings) as backend:
            rows = backend.emerging_topics(eq) if what is What.topics else backend.emerging_keywords(eq)
    if as_json:
        out.print_json(json.dumps([r.model_dump() for r in rows], ensure_ascii=False))
        return
    _print_rows(rows, f"emerging {what.value}: {cs:%Y-%m-%d %H:%M} to {cu:%Y-%m-%d %H:%M} UTC vs the {baseline} before",
                empty=f"no {what.value[:-1]} seen at least --min-count {min_count} times in the last {window} rose against "
                      f"the {baseline} before it (try a longer --window such as 7d, or a lower --min-count)")
