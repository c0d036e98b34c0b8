from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from index.base import SearchQuery, SortOrder

from ..deps import BackendDep, FiltersDep, ReadAccess, SettingsDep, check_query_length
from ..errors import ApiError
from ..schemas import SearchResponse

router = APIRouter(tags=["search"], dependencies=[ReadAccess])


@router.get("/search", response_model=SearchResponse)
def search(
    backend: BackendDep,
    settings: SettingsDep,
    filters: FiltersDep,
    q: Annotated[str, Query(description='Query: terms, "phrases", -exclusions, OR, field:value filters.')] = "",
    sort: SortOrder = SortOrder.relevance,
    limit: Annotated[int, Query(ge=1, description="Page size.")] = 20,
    cursor: Annotated[str | None, Query(max_length=2000, description="`next_cursor` of the previous page.")] = None,
    highlight: bool = True,
) -> SearchResponse:
    """Full-text search over feedback with filters, sorting, highlights and cursor pagination."""
    check_query_length(q, settings)
    if limit > settings.max_page_size:
        raise ApiError(400, "Page too large", f"limit is {limit}; the most is {settings.max_page_size}", field="limit")
    result = backend.search(
        SearchQuery(q=q, filters=filters, sort=sort, limit=limit, cursor=cursor, highlight=highlight)
    )
    return SearchResponse(total=result.total, results=result.hits, next_cursor=result.next_cursor)
