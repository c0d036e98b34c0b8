"""What every backend does to a request before translating it, and to a hit after.

Both backends must read a request the same way for the contract suite to
hold: the same length limit, the same parse, the same merge of the query's
field filters with the request's, the same effective sort and cursor
fingerprint, and the same highlights. Here once, so a backend only
translates (to SQL or to query DSL).
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from dataclasses import dataclass

from nlp.analyser import Analyser

from ._cursor import query_fingerprint
from .base import MAX_QUERY_CHARS, Filters, Hit, SearchQuery, SortOrder
from .document import Document
from .errors import InvalidQuery
from .query import ParsedQuery, check_topic, combine_filters, highlight, parse_query

#: ``Filters`` fields that mean "any of these values of one document field", in the order
#: backends add them (the others, topics, ratings and dates, each need their own condition).
LIST_FILTERS: tuple[str, ...] = ("brand", "product_id", "source", "channel", "lang", "sentiment")
#: Of those, the ones matched ignoring ASCII case (pinned by the contract suite).
CASELESS_FILTERS: frozenset[str] = frozenset({"brand", "product_id", "source"})


def list_filters(filters: Filters) -> Iterator[tuple[str, list[str]]]:
    """``(field, values)`` of each list filter that is set, values as stored (enums by value)."""
    for name in LIST_FILTERS:
        values = [getattr(v, "value", v) for v in getattr(filters, name)]
        if values:
            yield name, values


def parse_request(q: str, filters: Filters | None, analyser: Analyser,
                  topics: Container[str] | None = None) -> tuple[ParsedQuery, Filters]:  # fmt: skip
    """``q`` parsed (within ``MAX_QUERY_CHARS``) and its field filters merged into ``filters``.

    The request models already refuse a longer ``q``; this guards callers that
    build them with ``model_construct`` or pass ``q`` straight to ``count``.

    Raises:
        InvalidQuery: (``field="q"``) a query too long or not understood, or filters that conflict;
            (``field="topic"``) a topic filter naming a topic that is neither default nor own (``topics``).
    """
    if len(q or "") > MAX_QUERY_CHARS:
        raise InvalidQuery(f"query longer than {MAX_QUERY_CHARS} characters", field="q")
    parsed = parse_query(q, analyser, topics)
    for t in filters.topics if filters else ():
        check_topic(t.topic, topics, field="topic")
    return parsed, combine_filters(parsed, filters)


@dataclass(frozen=True)
class SearchPlan:
    """A search as both backends run it: parsed text, merged filters, the sort really used, the cursor fingerprint."""

    parsed: ParsedQuery
    filters: Filters
    sort: SortOrder
    fingerprint: str

    @property
    def relevance(self) -> bool:
        return self.sort is SortOrder.relevance


def plan_search(query: SearchQuery, analyser: Analyser, topics: Container[str] | None = None) -> SearchPlan:
    """Sorting by relevance without search text or ``similar:`` sorts newest first; the fingerprint binds cursors to all three."""
    parsed, filters = parse_request(query.q, query.filters, analyser, topics)
    if query.sort is SortOrder.relevance:
        sort = SortOrder.relevance if parsed.required or parsed.similar else SortOrder.newest
    else:
        sort = query.sort
    return SearchPlan(parsed, filters, sort, query_fingerprint(query.q, filters.model_dump_json(), sort.value))


def make_hit(doc: Document, score: float | None, tokens: frozenset[str], analyser: Analyser) -> Hit:
    """A hit with its title and text snippets (``query.highlight``) where they match ``tokens``."""
    marks: dict[str, str] = {}
    if tokens:
        for name, text in (("title", doc.title), ("text", doc.text)):
            snippet = highlight(text or "", tokens, analyser)
            if snippet is not None:
                marks[name] = snippet
    return Hit(document=doc, score=score, highlights=marks)


__all__ = ["CASELESS_FILTERS", "LIST_FILTERS", "SearchPlan", "list_filters", "make_hit", "parse_request", "plan_search"]
