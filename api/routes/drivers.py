"""``GET /drivers``: which topics cost a score the most points (``index.drivers``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from index.scoring import DriverQuery, DriverResult

from ..deps import BackendDep, FiltersDep, QueryDep, ReadAccess
from ..openapi import problems
from ..schemas import ScoreMetric

router = APIRouter(tags=["analytics"], dependencies=[ReadAccess], responses=problems(400, 503, 504))


@router.get("/drivers", response_model=DriverResult)
def drivers(
    backend: BackendDep,
    filters: FiltersDep,
    q: QueryDep,
    metric: Annotated[ScoreMetric, Query(description="The score to explain: nps, csat, ces or rating (star ratings).")] = "nps",
    min_count: Annotated[int, Query(ge=2, le=1_000_000, description="Leave out topic/polarity pairs on fewer responses.")] = 5,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> DriverResult:
    """Key drivers of a score: each topic and polarity's share, the score with and without it, the points it costs, ranked."""
    return backend.drivers(DriverQuery(metric=metric, q=q, filters=filters, min_count=min_count, limit=limit))
