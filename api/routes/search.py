from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from index.base import MAX_PAGE_SIZE, SearchQuery, SortOrder

from ..bounds import check_page_size
from ..deps import BackendDep, FiltersDep, QueryDep, ReadAccess, SettingsDep
from ..openapi import problems
from ..schemas import SearchResponse

router = APIRouter(tags=["search"], dependencies=[ReadAccess], responses=problems(400, 503, 504))


@router.get("/search", response_model=SearchResponse)
def search(
    backend: BackendDep,
    settings: SettingsDep,
    filters: FiltersDep,
    q: QueryDep,
    sort: SortOrder = SortOrder.relevance,
    limit: Annotated[int, Query(ge=1, json_schema_extra={"maximum": MAX_PAGE_SIZE},
                                description="Page size (at most max_page_size).")] = 20,
    cursor: Annotated[str | None, Query(max_length=2000, description="`next_cursor` of the previous page.")] = None,
    highlight: bool = True,
) -> SearchResponse:
    """Full-text search over feedback with filters, sorting, highlights and cursor pagination."""
    check_page_size(limit, settings)
    result = backend.search(
        SearchQuery(q=q, filters=filters, sort=sort, limit=limit, cursor=cursor, highlight=highlight)
    )
    return SearchResponse(total=result.total, results=result.hits, next_cursor=result.next_cursor)
