from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import ValidationError

from index.base import Interval, Split, TrendQuery

from ..deps import BackendDep, FiltersDep, QueryDep, ReadAccess
from ..errors import ApiError
from ..openapi import problems
from ..schemas import Metric, TrendsResponse

router = APIRouter(tags=["analytics"], dependencies=[ReadAccess], responses=problems(400, 503, 504))


@router.get("/trends", response_model=TrendsResponse)
def trends(
    backend: BackendDep,
    filters: FiltersDep,
    q: QueryDep,
    interval: Interval = Interval.day,
    metric: Metric = "volume",
    split: Split | None = None,
    tz: Annotated[str, Query(max_length=64, description="IANA time zone the buckets are aligned to.")] = "UTC",
    split_limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> TrendsResponse:
    """Date histogram of volume, negative share and average rating, optionally split into series."""
    try:
        query = TrendQuery(q=q, filters=filters, interval=interval, tz=tz, split=split, split_limit=split_limit)
    except ValidationError as exc:
        raise ApiError(422, "Invalid request", exc.errors()[0]["msg"].removeprefix("Value error, "), field="tz") from None
    result = backend.trends(query)
    values = [
        {"key": s.key, "points": [[b.start.isoformat(), getattr(b, metric)] for b in s.buckets]}
        for s in result.series
    ]
    return TrendsResponse(**result.model_dump(), metric=metric, values=values)
