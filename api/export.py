"""CSV export of a search: every match, page after page through the Backend's cursor paging.

Backend-neutral: it asks ``Backend.search`` for pages of ``EXPORT_PAGE`` with
the cursor of the page before, as any client would, so SQLite and
Elasticsearch export the same rows and the export is as complete as paging is
(no cap). Rows go out as they are read, so memory stays flat however many
documents match.

Cells are for spreadsheets first (that is where brand teams open exports):
the text starts with a UTF-8 byte-order mark so Excel on Chinese Windows reads
it as UTF-8, and a customer's text that starts with ``= + - @`` gets a leading
apostrophe so a spreadsheet shows it instead of running it as a formula (OWASP
"CSV injection").
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from index.base import MAX_PAGE_SIZE, Backend, SearchQuery, SearchResult
from index.document import Document

#: Documents per backend page while exporting: the largest page the index serves.
EXPORT_PAGE = MAX_PAGE_SIZE
#: Columns of the export, in order.
COLUMNS: tuple[str, ...] = (
    "id", "created_at", "source", "source_id", "channel", "brand", "product_id", "product_name", "lang", "rating",
    "sentiment", "sentiment_score", "topics", "keywords", "title", "text", "url", "author_hash", "model_version", "meta",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Byte-order mark at the start of the file: Excel then reads UTF-8 (Chinese text) correctly.
BOM = "\ufeff"


def safe_cell(value: str) -> str:
    """``value`` as a spreadsheet shows it as text: a leading apostrophe before a formula character."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def document_row(doc: Document) -> list[str]:
    """One CSV row of ``COLUMNS``; topics as ``topic:polarity`` joined by ``;``."""
    topics = ";".join(f"{t.topic}:{t.polarity.value}" for t in doc.topics)
    row = [
        doc.id, doc.created_at.isoformat(), doc.source, doc.source_id, doc.channel.value, doc.brand or "",
        doc.product_id or "", doc.product_name or "", doc.lang or "", "" if doc.rating is None else f"{doc.rating:g}",
        doc.sentiment.label.value if doc.sentiment else "", f"{doc.sentiment.score:.3f}" if doc.sentiment else "",
        topics, ";".join(doc.keywords), doc.title or "", doc.text, doc.url or "", doc.author_hash or "",
        doc.model_version or "", json.dumps(doc.meta, ensure_ascii=False) if doc.meta else "",
    ]
    return [safe_cell(cell) for cell in row]


def csv_text(rows: Iterable[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def search_pages(backend: Backend, query: SearchQuery, first: SearchResult | None = None) -> Iterator[list[Document]]:
    """The documents of every page of ``query``, following ``next_cursor`` to the end.

    ``first`` is the first page when the caller has already asked for it (the
    API does, so a bad query answers with an error before the stream starts).
    """
    page = first or backend.search(query)
    while True:
        yield [hit.document for hit in page.hits]
        if not page.next_cursor or not page.hits:
            return
        page = backend.search(query.model_copy(update={"cursor": page.next_cursor}))


def export_csv(pages: Iterable[list[Document]]) -> Iterator[str]:
    """The CSV file in chunks: BOM and header first, then one chunk per page."""
    yield BOM + csv_text([list(COLUMNS)])
    for docs in pages:
        if docs:
            yield csv_text(document_row(d) for d in docs)


def export_query(q: str, filters, sort) -> SearchQuery:
    """The query an export pages through: no highlights, the largest pages."""
    return SearchQuery(q=q, filters=filters, sort=sort, limit=EXPORT_PAGE, highlight=False)


__all__ = ["BOM", "COLUMNS", "EXPORT_PAGE", "document_row", "export_csv", "export_query", "safe_cell", "search_pages"]
