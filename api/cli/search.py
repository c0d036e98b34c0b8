"""``voclens search``, ``voclens similar`` and ``voclens get``: find documents and read one."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from index.base import SearchQuery, SearchResult
from index.errors import DocumentNotFound, SearchBackendError

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
    err,
    fail,
    load_settings,
    out,
    query_filters,
)


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
    settings = load_settings()
    check_bounds(settings, query, limit)
    filters = query_filters(brand, product, source, channel, lang, sentiment, topic, since, until)
    result = _run(settings, lambda b: b.search(SearchQuery(q=query, filters=filters, sort=sort, limit=limit, cursor=cursor)),
                  as_json)
    if result is None:
        return
    if not result.hits:
        out.print(f"{result.total} match(es)" + ("" if cursor else "; nothing matches this query and these filters"
                  + (" (a wider --since, e.g. 30d, may find some)" if since else "")), markup=False, highlight=False)
        return
    out.print(_hits_table(result, f"{result.total} match(es)"))
    if result.next_cursor:
        out.print(f"more: --cursor {result.next_cursor}", markup=False)


def similar(
    doc_id: Annotated[str, typer.Argument(help="Document id (the first column of `voclens search`).")],
    query: Annotated[str, typer.Option("--query", "-q", help="Only documents that also match this query.")] = "",
    brand: BrandOpt = [], product: ProductOpt = [], source: SourceOpt = [], channel: ChannelOpt = [],  # noqa: B006
    lang: LangOpt = [], sentiment: SentimentOpt = [], topic: TopicOpt = [],  # noqa: B006
    since: SinceOpt = None, until: UntilOpt = None,
    limit: Annotated[int, typer.Option(min=1, help="How many to show (at most max_page_size).")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Documents most like one document (cosine of their stored vectors), best first.

    Example: voclens similar 1740f3e06c9b49678144646ce6d032a2 --sentiment negative --since 30d
    """
    settings = load_settings()
    check_bounds(settings, query, limit)
    filters = query_filters(brand, product, source, channel, lang, sentiment, topic, since, until)
    result = _run(settings, lambda b: b.similar(doc_id, limit=limit, q=query, filters=filters), as_json)
    if result is None:
        return
    if not result.hits:
        out.print("no similar document matches these filters", markup=False, highlight=False)
        return
    out.print(_hits_table(result, f"{len(result.hits)} most like {doc_id}", score=True))


def _run(settings, ask, as_json: bool) -> SearchResult | None:
    """``ask(backend)`` on the configured backend; a bad query exits with one line, and with
    ``--json`` the answer is printed here (None returned: nothing left to print)."""
    with open_configured_backend(settings) as backend:
        try:
            result = ask(backend)
        except (SearchBackendError, ValueError) as exc:
            fail(exc)
    if as_json:
        out.print_json(result.model_dump_json())
        return None
    return result


def _hits_table(result: SearchResult, title: str, *, score: bool = False) -> Table:
    table = Table(title=title, show_lines=False)
    table.add_column("id", no_wrap=True)  # what `voclens get` and `voclens erase --doc` take
    for col in ("similarity",) * score + ("date", "source", "brand", "sentiment", "topics", "text"):
        table.add_column(col, overflow="fold")
    for hit in result.hits:
        d = hit.document
        table.add_row(d.id, *([f"{hit.score:.3f}"] if score else []), d.created_at.strftime("%Y-%m-%d"),
                      escape(d.source), escape(d.brand or ""), d.sentiment.label.value if d.sentiment else "",
                      ", ".join(f"{t.topic}:{t.polarity.value[:3]}" for t in d.topics), escape(d.text[:140]))
    return table


def get(doc_id: Annotated[str, typer.Argument(help="Document id.")]) -> None:
    """Print one document as JSON, then the quote that shows each of its topics (on stderr).

    A topic's ``evidence`` is [start, end) in the text; the quotes go to stderr so that
    standard output stays one JSON document for scripts.
    """
    with open_configured_backend(load_settings()) as backend:
        try:
            doc = backend.get(doc_id)
        except DocumentNotFound as exc:
            fail(exc)
    out.print_json(doc.model_dump_json())
    for t in doc.topics:
        if t.evidence:
            err.print(f"{t.topic} ({t.polarity.value}): {doc.text[t.evidence[0]:t.evidence[1]]}",
                      markup=False, highlight=False)  # fmt: skip
