from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from index.base import EmergingQuery, TopQuery
from nlp.labels import Polarity

from ..bounds import MAX_COUNT, IsoDateTime
from ..deps import BackendDep, FiltersDep, QueryDep, ReadAccess
from ..errors import ApiError
from ..openapi import problems
from ..schemas import EmergingResponse, TopKeywordsResponse, TopTopicsResponse
from ..windows import DURATION_PATTERN, emerging_windows, windows_empty

router = APIRouter(tags=["analytics"], dependencies=[ReadAccess], responses=problems(400, 503, 504))

WindowQ = Annotated[str, Query(json_schema_extra={"pattern": DURATION_PATTERN}, description="Current window ending at `until`: 12h, 1d, 7d, 2w... (at most ten years).")]
BaselineQ = Annotated[str, Query(json_schema_extra={"pattern": DURATION_PATTERN}, description="Baseline window right before the current one: 28d, 8w... (at most ten years).")]
MinCountQ = Annotated[int, Query(ge=1, le=MAX_COUNT, description="Ignore items seen fewer times in the current window.")]
UntilQ = Annotated[IsoDateTime | None, Query(description="End of the current window (default: now).")]


@router.get("/topics/top", response_model=TopTopicsResponse)
def top_topics(
    backend: BackendDep, filters: FiltersDep, q: QueryDep,
    polarity: Annotated[Polarity | None, Query(description="negative = complaints only.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> TopTopicsResponse:
    """Most frequent topics among matching documents (with how many were negative)."""
    topics = backend.top_topics(TopQuery(q=q, filters=filters, polarity=polarity, limit=limit))
    return TopTopicsResponse(total=backend.count(q, filters), topics=topics)


@router.get("/keywords/top", response_model=TopKeywordsResponse)
def top_keywords(
    backend: BackendDep, filters: FiltersDep, q: QueryDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> TopKeywordsResponse:
    """Most frequent keywords among matching documents."""
    keywords = backend.top_keywords(TopQuery(q=q, filters=filters, limit=limit))
    return TopKeywordsResponse(total=backend.count(q, filters), keywords=keywords)


def _emerging(backend, kind: str, q, filters, window, baseline, until, polarity, min_count, limit) -> EmergingResponse:
    try:
        windows = emerging_windows(window, baseline, until)
    except ValueError as exc:
        field = str(exc).split(":", 1)[0]
        raise ApiError(422, "Invalid request", str(exc), field=field) from None
    cs, cu, bs, bu = windows
    span = {"current": {"since": cs.isoformat(), "until": cu.isoformat()},
            "baseline": {"since": bs.isoformat(), "until": bu.isoformat()}}
    if windows_empty(windows):  # `until` at the very start of the calendar: no time to compare
        return EmergingResponse(**span, items=[])
    query = EmergingQuery(q=q, filters=filters, current_since=cs, current_until=cu, baseline_since=bs,
                          baseline_until=bu, polarity=polarity, min_count=min_count, limit=limit)
    items = backend.emerging_topics(query) if kind == "topics" else backend.emerging_keywords(query)
    return EmergingResponse(**span, items=items)


@router.get("/topics/emerging", response_model=EmergingResponse)
def emerging_topics(
    backend: BackendDep, filters: FiltersDep, q: QueryDep,
    window: WindowQ = "1d", baseline: BaselineQ = "28d", until: UntilQ = None,
    polarity: Annotated[Polarity | None, Query()] = Polarity.negative,
    min_count: MinCountQ = 3, limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> EmergingResponse:
    """Topics rising in the current window against the baseline, ranked by signed log-likelihood (G²)."""
    return _emerging(backend, "topics", q, filters, window, baseline, until, polarity, min_count, limit)


@router.get("/keywords/emerging", response_model=EmergingResponse)
def emerging_keywords(
    backend: BackendDep, filters: FiltersDep, q: QueryDep,
    window: WindowQ = "1d", baseline: BaselineQ = "28d", until: UntilQ = None,
    polarity: Annotated[Polarity | None, Query(description="Only documents with this overall sentiment.")] = None,
    min_count: MinCountQ = 3, limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> EmergingResponse:
    """Keywords rising in the current window against the baseline ("漏液", "leaking")."""
    return _emerging(backend, "keywords", q, filters, window, baseline, until, polarity, min_count, limit)
