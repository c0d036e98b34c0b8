"""CSV export of a search: every match, streamed (see ``api.export``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from index.base import SortOrder

from ..deps import BackendDep, FiltersDep, QueryDep, ReadAccess
from ..export import COLUMNS, export_csv, export_query, search_pages
from ..openapi import problems

router = APIRouter(tags=["search"], dependencies=[ReadAccess])

_CSV_RESPONSE = {
    200: {
        "description": f"CSV (UTF-8 with a byte-order mark), one row per document; columns: {', '.join(COLUMNS)}. "
                       "`X-Total-Count` says how many rows follow the header.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "headers": {"X-Total-Count": {"description": "Documents in the export.", "schema": {"type": "integer"}}},
    },
    **problems(400, 503, 504),
}


@router.get("/search/export", response_class=StreamingResponse, responses=_CSV_RESPONSE)
def export_search(backend: BackendDep, filters: FiltersDep, q: QueryDep,
                  sort: SortOrder = SortOrder.newest) -> StreamingResponse:
    """Every document matching the query and filters as CSV, streamed page by page (no cap)."""
    query = export_query(q, filters, sort)
    first = backend.search(query)  # a bad query or a down backend answers as a problem, before the stream starts
    return StreamingResponse(
        export_csv(search_pages(backend, query, first)), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="voclens-export.csv"', "X-Total-Count": str(first.total)},
    )
