"""Request and response models of the HTTP API (the document model itself is ``index.Document``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from index.base import Emerging, Hit, KeywordCount, TopicCount, TrendResult
from index.scoring import ScoreTrendResult


class SearchResponse(BaseModel):
    total: int = Field(description="Documents matching the query and filters.")
    results: list[Hit]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last page.")


Metric = Literal["volume", "negative_share", "avg_rating", "negative"]
#: Score metrics of ``/trends`` and ``/drivers`` (``index.scoring``): a trend of one of these answers a ``ScoreTrendsResponse``.
ScoreMetric = Literal["nps", "csat", "ces", "rating"]


class TrendsResponse(TrendResult):
    metric: Metric = Field(description="Which bucket field `value` carries.")
    values: list[dict[str, Any]] = Field(description="Per series: key and [start, value] pairs, ready to plot.")


class ScoreTrendsResponse(ScoreTrendResult):
    values: list[dict[str, Any]] = Field(description="Per series: key and [start, value, low, high] points, ready to plot.")


class TopTopicsResponse(BaseModel):
    total: int
    topics: list[TopicCount]


class TopKeywordsResponse(BaseModel):
    total: int
    keywords: list[KeywordCount]


class EmergingResponse(BaseModel):
    current: dict[str, str] = Field(description="since/until of the current window (UTC).")
    baseline: dict[str, str] = Field(description="since/until of the baseline window (UTC).")
    items: list[Emerging]


class IngestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: list[dict[str, Any]] = Field(
        description="Records: document fields (source, source_id, text, created_at...) plus optional raw `author` and `author_id` (stored only hashed); survey answers may add `nps`, `csat`, `ces`, `score_<name>`, `customer_id` (stored only hashed) and `order_id`."
    )


class ItemError(BaseModel):
    index: int = Field(description="Position of the rejected record in `documents`.")
    fields: list[str]
    message: str


class IngestResponse(BaseModel):
    created: int
    updated: int
    rejected: int
    erased: int = Field(default=0, description="Records refused because the document or its author was erased (see DELETE /documents/{id}).")
    ids: list[str] = Field(description="Ids of the documents written, in request order.")
    errors: list[ItemError]


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    backend: str
    model: str | None = None
    documents: int | None = None
    details: dict[str, Any] | None = None


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Check(BaseModel):
    """One dependency of the service: ``ok``, ``failing`` (with why), or ``off`` (not configured)."""

    status: Literal["ok", "failing", "off"]
    error: str | None = None
    details: dict[str, Any] | None = None


class Readiness(BaseModel):
    """``ready`` when the backend answers and the model is loaded; the queue is reported, never required."""

    status: Literal["ready", "not_ready"]
    backend: Check
    model: Check
    queue: Check
