"""Scores as metrics: what ``nps``, ``csat``, ``ces`` and ``rating`` mean, and the query and result
models of score trends and key drivers (``Backend.score_trends``, ``Backend.drivers``).

Every metric is read as the mean of a per-response value, which is what makes one set of
formulas serve them all and both backends answer alike:

* ``nps``: a response counts +100 (promoter, 9-10), 0 (passive, 7-8) or -100 (detractor, 0-6);
  the mean is %promoters - %detractors.
* ``csat``: a response counts 100 when it is in the top two boxes (4-5 of 1-5), else 0; the mean
  is the top-2-box share in percent.
* ``ces``, ``rating`` and any other named score: the score itself; the mean is the average.

Backends only count: per bucket (or per response, for drivers) the number of responses,
the sum and sum of squares of the score, and how many lie at or above the metric's top and
at or below its bottom. ``index.score_stats`` turns those counts into figures and intervals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nlp.labels import Polarity

from .base import MAX_QUERY_CHARS, Filters, Interval, TrendQuery
from .document import SCORE_NAME_PATTERN

#: Two-sided level of every interval and of the test that marks a change between periods.
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Metric:
    """How one score becomes a figure.

    Attributes:
        name: the score's name (``nps``, ``rating``, ``effort``...).
        kind: ``nps`` (promoters minus detractors), ``top2`` (top-2-box share) or ``mean``.
        top: responses at or above count as promoters / top boxes (None: the metric has none).
        bottom: responses at or below count as detractors (None: none).
        scale: the score's (lowest, highest) value where known: a mean's t interval is cut to it.
    """

    name: str
    kind: str
    top: float | None = None
    bottom: float | None = None
    scale: tuple[float, float] | None = None

    @property
    def unit(self) -> str:
        return {"nps": "NPS points", "top2": "% top-2-box"}.get(self.kind, f"mean {self.name}")

    @property
    def method(self) -> str:
        """How the interval of this metric is computed (shown by the API and the CLI)."""
        level = f"{CONFIDENCE:.0%}"
        if self.kind == "nps":
            return (f"NPS = %promoters - %detractors; {level} normal interval with the trinomial variance "
                    "(p_promoters + p_detractors - (p_promoters - p_detractors)^2) / n")
        if self.kind == "top2":
            return f"top-2-box share (score >= {self.top:g}); {level} Wilson score interval"
        cut = f", cut to the scale {self.scale[0]:g}-{self.scale[1]:g}" if self.scale else ""
        return f"mean {self.name}; {level} Student t interval{cut}"

    def value(self, score: float) -> float:
        """One response's contribution to the mean (NPS: +100 / 0 / -100; top-2-box: 100 / 0)."""
        if self.kind == "nps":
            return 100.0 if score >= self.top else -100.0 if score <= self.bottom else 0.0
        if self.kind == "top2":
            return 100.0 if score >= self.top else 0.0
        return score


#: Metrics with a meaning beyond the mean; any other valid score name is a ``mean`` metric.
METRICS = {
    "nps": Metric("nps", "nps", top=9, bottom=6),
    "csat": Metric("csat", "top2", top=4, bottom=2),
    "ces": Metric("ces", "mean", top=5, bottom=3, scale=(1, 7)),
    "rating": Metric("rating", "mean", top=4, bottom=2, scale=(0, 5)),
}


def metric_for(name: str) -> Metric:
    """The metric of score ``name``.

    Raises:
        ValueError: not a valid score name.
    """
    if name in METRICS:
        return METRICS[name]
    if not re.fullmatch(SCORE_NAME_PATTERN, name):
        raise ValueError(f"unknown metric {name!r}: use nps, csat, ces, rating or a score name (a-z, 0-9, _)")
    return Metric(name, "mean")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScoreSplit(str, Enum):
    """What a score trend may be split by.

    Journey stages and touchpoints are own topics (``voclens topics journey``): a split by stage
    is a split by topic kept to the stage keys (``ScoreTrendQuery.topic_keys``).
    """

    topic = "topic"
    brand = "brand"
    channel = "channel"
    source = "source"


def _metric_name(value: str) -> str:
    metric_for(value)
    return value


class ScoreTrendQuery(_Model):
    """A score metric per time bucket, over the documents matching ``q`` and ``filters`` that have the score."""

    metric: str = Field(default="nps", max_length=32, description="nps, csat, ces, rating or a named score.")
    q: str = Field(default="", max_length=MAX_QUERY_CHARS)
    filters: Filters = Field(default_factory=Filters)
    interval: Interval = Interval.week
    tz: str = Field(default="UTC", max_length=64)
    split: ScoreSplit | None = None
    split_limit: int = Field(default=10, ge=1, le=50)
    #: Split by topic, only these topics make series (a journey split: the stage keys); empty: every topic.
    topic_keys: list[str] = Field(default_factory=list, max_length=100)

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        return _metric_name(value)

    @field_validator("tz")
    @classmethod
    def _known_tz(cls, value: str) -> str:
        return TrendQuery._known_tz(value)

    @property
    def metric_def(self) -> Metric:
        return metric_for(self.metric)


class Estimate(_Model):
    """A metric over some responses, with its interval."""

    responses: int = Field(description="Responses with the score.")
    value: float | None = Field(description="The metric (NPS points, top-2-box %, or the mean); None without responses.")
    low: float | None = Field(default=None, description="Lower end of the interval; None when it cannot be computed (fewer than 2 responses).")
    high: float | None = Field(default=None, description="Upper end of the interval.")


class ScoreBucket(Estimate):
    start: datetime = Field(description="Bucket start, in the query's time zone.")
    change: float | None = Field(default=None, description="value minus the previous bucket with responses.")
    p_value: float | None = Field(default=None, description="Two-sided p-value of that change.")
    significant: bool = Field(default=False, description="True only when the change is significant at the confidence level.")


class ScoreSeries(Estimate):
    """One series; its own ``value``, ``low`` and ``high`` cover the whole date range."""

    key: str | None = Field(default=None, description="Split value; None when not split.")
    buckets: list[ScoreBucket]


class ScoreTrendResult(_Model):
    metric: str
    unit: str
    method: str = Field(description="How the figures and intervals are computed.")
    confidence: float
    interval: Interval
    tz: str
    series: list[ScoreSeries]


class DriverQuery(_Model):
    """Key drivers of a score: which topics (with their polarity) go with lower scores, and how many points they cost."""

    metric: str = Field(default="nps", max_length=32)
    q: str = Field(default="", max_length=MAX_QUERY_CHARS)
    filters: Filters = Field(default_factory=Filters)
    min_count: int = Field(default=5, ge=2, le=1_000_000, description="Leave out topic/polarity pairs on fewer responses.")
    limit: int = Field(default=20, ge=1, le=200)

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        return _metric_name(value)

    @property
    def metric_def(self) -> Metric:
        return metric_for(self.metric)


class Driver(_Model):
    topic: str
    polarity: Polarity
    responses: int = Field(description="Responses with this topic and polarity.")
    share: float = Field(description="responses / all responses with the score.")
    with_topic: Estimate = Field(description="The metric among responses with it.")
    without_topic: Estimate = Field(description="The metric among the other responses.")
    mean_with: float = Field(description="Mean raw score among responses with it.")
    mean_without: float | None = Field(description="Mean raw score among the others.")
    impact: float = Field(description="Points the overall metric would gain if these responses scored like the rest: share x (without - with); negative when the topic lifts the score.")
    impact_low: float | None = None
    impact_high: float | None = None
    coefficient: float | None = Field(default=None, description="OLS coefficient of its indicator (points, the other topics held fixed).")
    coefficient_low: float | None = None
    coefficient_high: float | None = None
    importance: float | None = Field(default=None, description="Share of the explained variance (Pratt's measure, sums to 1 over the drivers in the model).")


class DriverResult(_Model):
    metric: str
    unit: str
    method: str
    confidence: float
    overall: Estimate
    r_squared: float | None = Field(description="R² of the regression over topic indicators; None when it could not be fitted.")
    drivers: list[Driver] = Field(description="Ranked by impact, the most costly first.")


__all__ = [
    "CONFIDENCE", "METRICS", "Driver", "DriverQuery", "DriverResult", "Estimate", "Metric", "ScoreBucket",
    "ScoreSeries", "ScoreSplit", "ScoreTrendQuery", "ScoreTrendResult", "metric_for",
]  # fmt: skip
