"""``voclens themes``: the themes of a window, as ``GET /themes`` finds them, kept for ``--from-theme``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from index.errors import SearchBackendError

from ..bounds import InvalidParameter
from ..components import analyser_for, open_configured_backend
from ..themes import ThemeStore, discover_themes
from ._common import (
    BrandOpt,
    ChannelOpt,
    JsonOpt,
    LangOpt,
    ProductOpt,
    SentimentOpt,
    SourceOpt,
    TopicOpt,
    check_bounds,
    fail,
    load_settings,
    out,
    parse_when,
    query_filters,
)


def themes(
    query: Annotated[str, typer.Argument(help="Optional query restricting the documents.")] = "",
    window: Annotated[str, typer.Option(help="Current window ending at --until: 12h, 1d, 7d, 2w...; growth compares it with the window as long before it.")] = "7d",
    until: Annotated[datetime | None, typer.Option(parser=parse_when, metavar="WHEN", help="End of the current window: ISO date/time or a duration back from now (default: now).")] = None,
    brand: BrandOpt = [], product: ProductOpt = [], source: SourceOpt = [], channel: ChannelOpt = [],  # noqa: B006
    lang: LangOpt = [], sentiment: SentimentOpt = [], topic: TopicOpt = [],  # noqa: B006
    limit: Annotated[int, typer.Option(min=1, max=50, help="Most themes, the largest first.")] = 10,
    examples: Annotated[int, typer.Option(min=0, max=20, help="Example documents per theme.")] = 3,
    min_size: Annotated[int | None, typer.Option(min=2, max=1_000_000, help="Fewest current-window documents a theme has (default: 3, or 0.5% of the window's documents).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Themes nobody named: the window's documents clustered by their words and vectors, with terms, size and growth.

    Example: voclens themes --window 7d --sentiment negative --brand Qinghe
    """
    settings = load_settings()
    check_bounds(settings, query)
    filters = query_filters(brand, product, source, channel, lang, sentiment, topic)
    with open_configured_backend(settings) as backend:
        try:
            result = discover_themes(backend, analyser_for(settings), q=query, filters=filters, window=window,
                                     until=until, limit=limit, examples=examples, min_size=min_size)
        except InvalidParameter as exc:
            raise typer.BadParameter(str(exc), param_hint=f"--{exc.field}") from None
        except SearchBackendError as exc:
            fail(exc)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = ThemeStore(settings.state_url)
    try:
        store.save(result)
    finally:
        store.close()
    if as_json:
        out.print_json(result.model_dump_json())
        return
    span = f"{result.current.since:%Y-%m-%d %H:%M} to {result.current.until:%Y-%m-%d %H:%M} UTC"
    if not result.themes:
        out.print(f"themes {span}: none; {result.documents} documents with a vector in the window, no group of at least "
                  f"{result.min_size} (try a longer --window or a lower --min-size)", markup=False, highlight=False)
        return
    table = Table(title=escape(f"themes {span}: {result.documents} documents, {result.previous_documents} in the "
                               f"{window} before"))
    table.add_column("id", no_wrap=True, min_width=16)  # whole: `topics add --from-theme` takes it
    for col in ("size", "before", "growth"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("terms")
    table.add_column("examples")
    for t in result.themes:
        growth = "new" if t.growth is None else f"{t.growth:+.0%}"
        shown = "\n".join(e.text.replace("\n", " ")[:60] for e in t.examples)
        table.add_row(t.id, str(t.size), str(t.previous), growth, escape(", ".join(t.terms)), escape(shown))
    out.print(table)
