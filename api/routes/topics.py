from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from index.base import EmergingQuery, TopQuery
from nlp.labels import Polarity

from ..deps import BackendDep, FiltersDep, ReadAccess, SettingsDep, check_query_length
from ..errors import ApiError
from ..schemas import EmergingResponse, TopKeywordsResponse, TopTopicsResponse
from ..windows import emerging_windows

router = APIRouter(tags=["analytics"], dependencies=[ReadAccess])

WindowQ = Annotated[str, Query(description="Current window ending at `until`: 12h, 1d, 7d, 2w...")]
BaselineQ = Annotated[str, Query(description="Baseline window right before the current one: 28d, 8w...")]
UntilQ = Annotated[datetime | None, Query(description="End of the current window (default: now).")]


@router.get("/topics/top", response_model=TopTopicsResponse)
def top_topics(
    backend: BackendDep, settings: SettingsDep, filters: FiltersDep, q: str = "",
    polarity: Annotated[Polarity | None, Query(description="negative = complaints only.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> TopTopicsResponse:
    """Most frequent topics among matching documents (with how many were negative)."""
    check_query_length(q, settings)
    topics = backend.top_topics(TopQuery(q=q, filters=filters, polarity=polarity, limit=limit))
    return TopTopicsResponse(total=backend.count(q, filters), topics=topics)


@router.get("/keywords/top", response_model=TopKeywordsResponse)
def top_keywords(
    backend: BackendDep, settings: SettingsDep, filters: FiltersDep, q: str = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> TopKeywordsResponse:
    """Most frequent keywords among matching documents."""
    check_query_length(q, settings)
    keywords = backend.top_keywords(TopQuery(q=q, filters=filters, limit=limit))
    return TopKeywordsResponse(total=backend.count(q, filters), keywords=keywords)


def _emerging_query(q, filters, window, baseline, until, polarity, min_count, limit) -> EmergingQuery:
    try:
        cs, cu, bs, bu = emerging_windows(window, baseline, until)
    except ValueError as exc:
        field = str(exc).split(":", 1)[0]
        raise ApiError(422, "Invalid request", str(exc), field=field) from None
    return EmergingQuery(q=q, filters=filters, current_since=cs, current_until=cu, baseline_since=bs,
                         baseline_until=bu, polarity=polarity, min_count=min_count, limit=limit)


def _response(query: EmergingQuery, items) -> EmergingResponse:
    return EmergingResponse(
        current={"since": query.current_since.isoformat(), "until": query.current_until.isoformat()},
        baseline={"since": query.baseline_since.isoformat(), "until": query.baseline_until.isoformat()},
        items=items,
    )


@router.get("/topics/emerging", response_model=EmergingResponse)
def emerging_topics(
    backend: BackendDep, settings: SettingsDep, filters: FiltersDep, q: str = "",
    window: WindowQ = "1d", baseline: BaselineQ = "28d", until: UntilQ = None,
    polarity: Annotated[Polarity | None, Query()] = Polarity.negative,
    min_count: Annotated[int, Query(ge=1)] = 3, limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> EmergingResponse:
    """Topics rising in the current window against the baseline, ranked by signed log-likelihood (G²)."""
    check_query_length(q, settings)
    query = _emerging_query(q, filters, window, baseline, until, polarity, min_count, limit)
    return _response(query, backend.emerging_topics(query))


@router.get("/keywords/emerging", response_model=EmergingResponse)
def emerging_keywords(
    backend: BackendDep, settings: SettingsDep, filters: FiltersDep, q: str = "",
    window: WindowQ = "1d", baseline: BaselineQ = "28d", until: UntilQ = None,
    polarity: Annotated[Polarity | None, Query(description="Only documents with this overall sentiment.")] = None,
    min_count: Annotated[int, Query(ge=1)] = 3, limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> EmergingResponse:
    """Keywords rising in the current window against the baseline ("漏液", "leaking")."""
    check_query_length(q, settings)
    query = _emerging_query(q, filters, window, baseline, until, polarity, min_count, limit)
    return _response(query, backend.emerging_keywords(query))
