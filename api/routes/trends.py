from __future__ import annotations

from typing import Annotated, get_args

from fastapi import APIRouter, Query
from pydantic import ValidationError

from index.base import Interval, Split, TrendQuery
from index.scoring import ScoreSplit, ScoreTrendQuery

from ..deps import BackendDep, FiltersDep, QueryDep, ReadAccess
from ..errors import ApiError
from ..openapi import problems
from ..schemas import Metric, ScoreMetric, ScoreTrendsResponse, TrendsResponse

router = APIRouter(tags=["analytics"], dependencies=[ReadAccess], responses=problems(400, 503, 504))


@router.get("/trends", response_model=TrendsResponse | ScoreTrendsResponse)
def trends(
    backend: BackendDep,
    filters: FiltersDep,
    q: QueryDep,
    interval: Interval = Interval.day,
    metric: Annotated[Metric | ScoreMetric, Query(description="A bucket count, or a score: nps, csat, ces, rating (answers with intervals).")] = "volume",
    split: Annotated[Split | ScoreSplit | None, Query(description="Score metrics split by topic, brand, channel or source; counts by topic, sentiment, source or brand.")] = None,
    tz: Annotated[str, Query(max_length=64, description="IANA time zone the buckets are aligned to.")] = "UTC",
    split_limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> TrendsResponse | ScoreTrendsResponse:
    """Date histogram of volume, negative share and average rating, or of a score (NPS, CSAT, CES, rating) with intervals."""
    if metric in get_args(ScoreMetric):
        return _score_trends(backend, filters, q, interval, metric, split, tz, split_limit)
    if split is not None and not isinstance(split, Split):
        raise ApiError(422, "Invalid request", f"split={split.value} is only available for score metrics "
                       "(nps, csat, ces, rating); counts split by topic, sentiment, source or brand", field="split")
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


def _score_trends(backend, filters, q, interval, metric, split, tz, split_limit) -> ScoreTrendsResponse:
    if split is not None:
        if split.value not in ScoreSplit.__members__:
            raise ApiError(422, "Invalid request", f"split={split.value} is not available for score metrics; "
                           "use topic, brand, channel or source", field="split")
        split = ScoreSplit(split.value)
    try:
        query = ScoreTrendQuery(metric=metric, q=q, filters=filters, interval=interval, tz=tz, split=split,
                                split_limit=split_limit)
    except ValidationError as exc:
        raise ApiError(422, "Invalid request", exc.errors()[0]["msg"].removeprefix("Value error, "), field="tz") from None
    result = backend.score_trends(query)
    values = [{"key": s.key, "points": [[b.start.isoformat(), b.value, b.low, b.high] for b in s.buckets]}
              for s in result.series]
    return ScoreTrendsResponse(**result.model_dump(), values=values)
