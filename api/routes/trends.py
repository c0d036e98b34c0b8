from __future__ import annotations

from enum import Enum
from typing import Annotated, get_args

from fastapi import APIRouter, Query
from pydantic import ValidationError

from index.base import Interval, Split, TrendQuery
from index.scoring import ScoreSplit, ScoreTrendQuery

from ..deps import BackendDep, FiltersDep, QueryDep, ReadAccess
from ..errors import ApiError
from ..openapi import problems
from ..own_topics import JOURNEY_SPLITS, JourneyMissing, journey_split
from ..schemas import Metric, ScoreMetric, ScoreTrendsResponse, TrendsResponse

#: The backend's splits, and the customer journey's stages and touchpoints (own topics, ``voclens topics journey``).
TrendSplit = Enum("TrendSplit", {v: v for v in [*(s.value for s in Split), *JOURNEY_SPLITS]}, type=str)

router = APIRouter(tags=["analytics"], dependencies=[ReadAccess], responses=problems(400, 503, 504))


@router.get("/trends", response_model=TrendsResponse | ScoreTrendsResponse)
def trends(
    backend: BackendDep,
    filters: FiltersDep,
    q: QueryDep,
    interval: Interval = Interval.day,
    metric: Annotated[Metric | ScoreMetric, Query(description="A bucket count, or a score: nps, csat, ces, rating (answers with intervals).")] = "volume",
    split: Annotated[TrendSplit | ScoreSplit | None, Query(description="Counts: one series per topic, sentiment, source, brand, journey stage or journey touchpoint; score metrics: per topic, brand, channel, source, stage or touchpoint.")] = None,
    tz: Annotated[str, Query(max_length=64, description="IANA time zone the buckets are aligned to.")] = "UTC",
    split_limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> TrendsResponse | ScoreTrendsResponse:
    """Date histogram of volume, negative share and average rating, or of a score (NPS, CSAT, CES, rating) with intervals."""
    if metric in get_args(ScoreMetric):
        return _score_trends(backend, filters, q, interval, metric, split, tz, split_limit)
    if split is not None and not isinstance(split, TrendSplit):
        raise ApiError(422, "Invalid request", f"split={split.value} is only available for score metrics "
                       "(nps, csat, ces, rating); counts split by topic, sentiment, source, brand, stage or touchpoint",
                       field="split")  # fmt: skip
    keys = _journey_keys(backend, split)
    try:
        query = TrendQuery(q=q, filters=filters, interval=interval, tz=tz,
                           split=Split.topic if keys else (Split(split.value) if split is not None else None),
                           split_limit=split_limit, topic_keys=keys)  # fmt: skip
    except ValidationError as exc:
        raise ApiError(422, "Invalid request", exc.errors()[0]["msg"].removeprefix("Value error, "), field="tz") from None
    result = backend.trends(query)
    values = [
        {"key": s.key, "points": [[b.start.isoformat(), getattr(b, metric)] for b in s.buckets]}
        for s in result.series
    ]
    return TrendsResponse(**result.model_dump(), metric=metric, values=values)


def _journey_keys(backend, split) -> list[str]:
    """The journey's stage or touchpoint keys for ``split=stage|touchpoint`` (a topic split kept to them), else none."""
    if split is None or split.value not in JOURNEY_SPLITS:
        return []
    try:
        return journey_split(backend, split.value)
    except JourneyMissing as exc:
        raise ApiError(422, "Invalid request", str(exc), field="split") from None


def _score_trends(backend, filters, q, interval, metric, split, tz, split_limit) -> ScoreTrendsResponse:
    keys = _journey_keys(backend, split)
    if keys:
        split, split_limit = ScoreSplit.topic, max(split_limit, min(len(keys), 50))
    elif split is not None:
        if split.value not in ScoreSplit.__members__:
            raise ApiError(422, "Invalid request", f"split={split.value} is not available for score metrics; "
                           "use topic, brand, channel, source, stage or touchpoint", field="split")
        split = ScoreSplit(split.value)
    try:
        query = ScoreTrendQuery(metric=metric, q=q, filters=filters, interval=interval, tz=tz, split=split,
                                split_limit=split_limit, topic_keys=keys)
    except ValidationError as exc:
        raise ApiError(422, "Invalid request", exc.errors()[0]["msg"].removeprefix("Value error, "), field="tz") from None
    result = backend.score_trends(query)
    values = [{"key": s.key, "points": [[b.start.isoformat(), b.value, b.low, b.high] for b in s.buckets]}
              for s in result.series]
    return ScoreTrendsResponse(**result.model_dump(), values=values)
