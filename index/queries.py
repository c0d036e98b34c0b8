"""The query and result models of searches, trends, top lists and emerging topics.

Every backend answers these same models (``Backend`` in ``index.base``, which re-exports them
all), so the API, the CLI and the crawlers build one query for either backend. Kept apart from
the interface itself so that each stays a module one can read at once.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nlp.labels import Polarity

from .document import Document, as_utc, clamp_utc

#: Longest query string accepted; longer ones are almost always a paste error or an attack.
MAX_QUERY_CHARS = 1000
#: Largest page a search returns.
MAX_PAGE_SIZE = 200



class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TopicFilter(_Model):
    """Match documents carrying ``topic``, optionally only with that topic's ``polarity``."""

    topic: str = Field(min_length=1, max_length=64)
    polarity: Polarity | None = None


class Filters(_Model):
    """Structured filters; every list means "any of", different fields combine with AND.

    ``since`` is inclusive and ``until`` exclusive, both on ``created_at``.
    """

    brand: list[str] = Field(default_factory=list, max_length=100)
    product_id: list[str] = Field(default_factory=list, max_length=100)
    source: list[str] = Field(default_factory=list, max_length=100)
    channel: list[str] = Field(default_factory=list, max_length=10)
    lang: list[str] = Field(default_factory=list, max_length=10)
    sentiment: list[Polarity] = Field(default_factory=list, max_length=3)
    topics: list[TopicFilter] = Field(default_factory=list, max_length=50)
    rating_min: float | None = Field(default=None, ge=0, le=5)
    rating_max: float | None = Field(default=None, ge=0, le=5)
    since: datetime | None = None
    until: datetime | None = None

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return clamp_utc(value) if value is not None else None

    @model_validator(mode="after")
    def _ranges(self) -> Filters:
        if self.since and self.until and self.since >= self.until:
            raise ValueError("since must be earlier than until")
        if self.rating_min is not None and self.rating_max is not None and self.rating_min > self.rating_max:
            raise ValueError("rating_min must not exceed rating_max")
        return self

    def merged(self, other: Filters) -> Filters:
        """Combine two filter sets (for example filters parsed out of the query string)."""
        data = self.model_dump()
        for key, value in other.model_dump().items():
            if isinstance(value, list):
                data[key] = data[key] + [v for v in value if v not in data[key]]
            elif value is not None:
                data[key] = value if data[key] is None else (
                    max(data[key], value) if key in ("since", "rating_min") else min(data[key], value)
                )
        return Filters.model_validate(data)


class SortOrder(str, Enum):
    relevance = "relevance"
    newest = "newest"
    oldest = "oldest"


class SearchQuery(_Model):
    """A search: query string (see ``index.query`` for the syntax) plus filters."""

    q: str = Field(default="", max_length=MAX_QUERY_CHARS)
    filters: Filters = Field(default_factory=Filters)
    sort: SortOrder = SortOrder.relevance
    limit: int = Field(default=20, ge=1, le=MAX_PAGE_SIZE)
    cursor: str | None = Field(default=None, max_length=2000)
    highlight: bool = True


class Hit(_Model):
    document: Document
    score: float | None = Field(default=None, description="Relevance (higher is better); None when sorted by date.")
    highlights: dict[str, str] = Field(default_factory=dict, description="Field -> snippet, matches wrapped in <mark>.")


class SearchResult(_Model):
    total: int
    hits: list[Hit]
    next_cursor: str | None = None


class Interval(str, Enum):
    hour = "hour"
    day = "day"
    week = "week"
    month = "month"


class Split(str, Enum):
    topic = "topic"
    sentiment = "sentiment"
    source = "source"
    brand = "brand"


class TrendQuery(_Model):
    """A date histogram of the documents matching ``q`` and ``filters``.

    Buckets are aligned to local midnight (weeks start on Monday) in ``tz``,
    an IANA name, so "per day" means the brand team's day, not UTC's.
    """

    q: str = Field(default="", max_length=MAX_QUERY_CHARS)
    filters: Filters = Field(default_factory=Filters)
    interval: Interval = Interval.day
    tz: str = Field(default="UTC", max_length=64)
    split: Split | None = None
    split_limit: int = Field(default=10, ge=1, le=50, description="Largest number of series when split.")
    #: Split by topic, only these topics make series (``split=stage``: the journey's stage keys); empty: every topic.
    topic_keys: list[str] = Field(default_factory=list, max_length=100)

    @field_validator("tz")
    @classmethod
    def _known_tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class TrendBucket(_Model):
    start: datetime = Field(description="Bucket start, in the query's time zone.")
    volume: int
    negative: int
    negative_share: float | None = Field(description="negative / volume; None for an empty bucket.")
    avg_rating: float | None = Field(description="Mean of the ratings present; None when no rating.")


class TrendSeries(_Model):
    key: str | None = Field(default=None, description="Split value (topic, sentiment, source or brand); None when not split.")
    buckets: list[TrendBucket]


class TrendResult(_Model):
    interval: Interval
    tz: str
    series: list[TrendSeries]


class TopQuery(_Model):
    """Top topics or keywords of the documents matching ``q`` and ``filters``."""

    q: str = Field(default="", max_length=MAX_QUERY_CHARS)
    filters: Filters = Field(default_factory=Filters)
    polarity: Polarity | None = Field(default=None, description="Count only topics with this polarity (negative = complaints).")
    limit: int = Field(default=10, ge=1, le=100)


class TopicCount(_Model):
    topic: str
    count: int
    negative: int
    share: float = Field(description="count / number of matching documents.")


class KeywordCount(_Model):
    keyword: str
    count: int


class EmergingQuery(_Model):
    """Compare a current window against a baseline window (both on ``created_at``).

    The baseline is usually longer than the current window; counts are
    compared relative to each window's total volume (see ``index.stats``).
    """

    q: str = Field(default="", max_length=MAX_QUERY_CHARS)
    filters: Filters = Field(default_factory=Filters)
    current_since: datetime
    current_until: datetime
    baseline_since: datetime
    baseline_until: datetime
    polarity: Polarity | None = None
    min_count: int = Field(default=3, ge=1, le=1_000_000_000)
    limit: int = Field(default=10, ge=1, le=100)

    @field_validator("current_since", "current_until", "baseline_since", "baseline_until")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return as_utc(value)

    @model_validator(mode="after")
    def _windows(self) -> EmergingQuery:
        if self.current_since >= self.current_until:
            raise ValueError("current_since must be earlier than current_until")
        if self.baseline_since >= self.baseline_until:
            raise ValueError("baseline_since must be earlier than baseline_until")
        return self


class Emerging(_Model):
    key: str = Field(description="Topic key or keyword.")
    current: int = Field(description="Documents with it in the current window.")
    baseline: int = Field(description="Documents with it in the baseline window.")
    expected: float = Field(description="Count expected in the current window at the baseline rate.")
    ratio: float = Field(description="(current + 1) / (expected + 1).")
    score: float = Field(description="Signed log-likelihood ratio (G²); higher = more surprising rise.")


__all__ = [
    "MAX_PAGE_SIZE", "MAX_QUERY_CHARS", "Emerging", "EmergingQuery", "Filters", "Hit", "Interval", "KeywordCount",
    "SearchQuery", "SearchResult", "SortOrder", "Split", "TopQuery", "TopicCount", "TopicFilter", "TrendBucket",
    "TrendQuery", "TrendResult", "TrendSeries",
]
