from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import ValidationError

from index.base import Interval, Split, TrendQuery

from ..deps import BackendDep, FiltersDep, QueryDep, ReadAccess
from ..errors import ApiError
from ..openapi import problems
from ..own_topics import JOURNEY_SPLITS, JourneyMissing, journey_split
from ..schemas import Metric, TrendsResponse

#: The backend's splits, and the customer journey's stages and touchpoints (own topics, ``voclens topics journey``).
TrendSplit = Enum("TrendSplit", {v: v for v in [*(s.value for s in Split), *JOURNEY_SPLITS]}, type=str)

router = APIRouter(tags=["analytics"], dependencies=[ReadAccess], responses=problems(400, 503, 504))


@router.get("/trends", response_model=TrendsResponse)
def trends(
    backend: BackendDep,
    filters: FiltersDep,
    q: QueryDep,
    interval: Interval = Interval.day,
    metric: Metric = "volume",
    split: Annotated[TrendSplit | None, Query(description="One series per topic, sentiment, source, brand, "
                                                          "journey stage or journey touchpoint.")] = None,
    tz: Annotated[str, Query(max_length=64, description="IANA time zone the buckets are aligned to.")] = "UTC",
    split_limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> TrendsResponse:
    """Date histogram of volume, negative share and average rating, optionally split into series."""
    keys: list[str] = []
    if split is not None and split.value in JOURNEY_SPLITS:
        try:
            keys = journey_split(backend, split.value)
        except JourneyMissing as exc:
            raise ApiError(422, "Invalid request", str(exc), field="split") from None
    try:
        query = TrendQuery(q=q, filters=filters, interval=interval, tz=tz, split=Split.topic if keys else split,
                           split_limit=split_limit, topic_keys=keys)
    except ValidationError as exc:
        raise ApiError(422, "Invalid request", exc.errors()[0]["msg"].removeprefix("Value error, "), field="tz") from None
    result = backend.trends(query)
    values = [
        {"key": s.key, "points": [[b.start.isoformat(), getattr(b, metric)] for b in s.buckets]}
        for s in result.series
    ]
    return TrendsResponse(**result.model_dump(), metric=metric, values=values)
