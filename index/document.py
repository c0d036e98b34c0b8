"""The one document model shared by crawlers, importers, the classifier, the
backends and the API.

A document's ``id`` is derived from ``source`` and ``source_id``: ingesting
the same review twice (a re-crawl, a re-import, a retried request) updates
it instead of duplicating it.
"""

from __future__ import annotations

import hashlib
import math
import re
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from nlp.labels import Sentiment, TopicLabel

from .vectors import DocumentVector

#: Survey scores voclens knows the scale of: (lowest, highest, whole numbers only). Any other
#: named score (``scores={"effort": 3.5}``) is a plain number; the star rating is the ``rating`` field,
#: which analytics read as the score named ``rating`` (``Document.score``).
SCORE_SCALES: dict[str, tuple[float, float, bool]] = {"nps": (0, 10, True), "csat": (1, 5, False), "ces": (1, 7, False)}
#: A score's name: lower-case letters, digits and underscores, so it is safe as a field name on both backends.
SCORE_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
MAX_SCORES = 16


def score_problem(name: str, value: float) -> str | None:
    """Why ``value`` is not a valid score ``name``, or None when it is (shared with importers' row errors)."""
    if not re.fullmatch(SCORE_NAME_PATTERN, name):
        return f"score name {name!r} must be lower-case letters, digits or _ (at most 32, starting with a letter)"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return f"{value!r} is not a number"
    if name == "rating":
        return None if 0 <= value <= 5 else f"{value:g} is outside 0-5"
    if name in SCORE_SCALES:
        low, high, whole = SCORE_SCALES[name]
        if not low <= value <= high:
            return f"{value:g} is outside {low:g}-{high:g}"
        if whole and value != int(value):
            return f"{value:g} is not a whole number ({name} is 0-10 in steps of 1)"
    return None

#: Longest text voclens stores; longer feedback is almost always a paste error.
MAX_TEXT_CHARS = 20_000


class Channel(str, Enum):
    """Where in the customer journey the feedback was left."""

    review = "review"
    social = "social"
    ticket = "ticket"
    survey = "survey"
    other = "other"


def document_id(source: str, source_id: str) -> str:
    """Stable id: the first 32 hex digits of SHA-256 over ``source`` and ``source_id``.

    The separator byte keeps ("ab", "c") and ("a", "bc") apart.
    """
    raw = f"{source.strip().lower()}\x1f{source_id.strip()}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]


#: The instants a date filter can name: a day inside each end of the calendar, so a bound can
#: still be shown in any time zone (UTC+14 at year 9999 would overflow).
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def clamp_utc(value: datetime) -> datetime:
    """``value`` in UTC, moved inside [``EARLIEST``, ``LATEST``].

    For date *filters*: ``since=0001-01-01T00:00:00+14:00`` means "since the
    beginning", which ``EARLIEST`` says without overflowing later arithmetic.
    """
    try:
        utc = as_utc(value)
    except ValueError:  # past either end of the calendar once in UTC: the offset says which end
        return EARLIEST if value.year < 5000 else LATEST
    return min(max(utc, EARLIEST), LATEST)


def as_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC; aware ones are converted to UTC.

    Raises:
        ValueError: the instant lies outside years 1-9999 once in UTC
            (``0001-01-01T00:00:00+14:00``), so validators answer it as a bad value.
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{value.isoformat()} is outside the years 1-9999 once converted to UTC") from None


class Document(BaseModel):
    """One piece of customer feedback, as stored and as returned by the API."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(default="", max_length=64, description="Stable id; derived from source and source_id when empty.")
    source: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$", description="Where it came from: jd, amazon, weibo, zendesk...")
    source_id: str = Field(min_length=1, max_length=256, description="The item's id at its source.")
    channel: Channel = Channel.other
    url: str | None = Field(default=None, max_length=2048)
    brand: str | None = Field(default=None, max_length=128)
    product_id: str | None = Field(default=None, max_length=128)
    product_name: str | None = Field(default=None, max_length=512)
    author_hash: str | None = Field(default=None, max_length=64, description="Salted hash of the author handle; the handle itself is never stored.")
    title: str | None = Field(default=None, max_length=1000)
    text: str = Field(max_length=MAX_TEXT_CHARS, description="What the customer wrote; empty only for a rating without words.")
    lang: str | None = Field(default=None, pattern=r"^(zh|en|other)$")
    rating: float | None = Field(default=None, ge=0, le=5, description="Star rating on a 0-5 scale; analytics read it as the score `rating`.")
    scores: dict[str, float] = Field(default_factory=dict, max_length=MAX_SCORES, description="Survey scores by name: nps (0-10), csat (1-5), ces (1-7) or any named number.")
    customer_hash: str | None = Field(default=None, max_length=64, description="Salted hash of the customer id (surveys, tickets); the id itself is never stored.")
    order_id: str | None = Field(default=None, max_length=128, description="The order the feedback is about.")
    created_at: datetime = Field(description="When the customer wrote it (UTC).")
    fetched_at: datetime = Field(default_factory=lambda: datetime.now(UTC), description="When voclens collected it (UTC).")
    sentiment: Sentiment | None = None
    topics: list[TopicLabel] = Field(default_factory=list, max_length=64)
    keywords: list[str] = Field(default_factory=list, max_length=64)
    model_version: str | None = Field(default=None, max_length=128)
    meta: dict[str, Any] = Field(default_factory=dict)
    #: The classifier encoder's pooled vector (``index.vectors``). Stored beside the document, never in
    #: its JSON: excluded from every dump, so API responses stay small and the OpenAPI schema does not
    #: show it. ``get`` and ``iter_documents`` fill it in (``index copy`` and migrations carry it);
    #: search hits leave it out.
    vector: SkipJsonSchema[DocumentVector | None] = Field(default=None, exclude=True)

    @field_validator("created_at", "fetched_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return as_utc(value)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value and not value.lower().startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value or None

    @field_validator("scores")
    @classmethod
    def _scores(cls, value: dict[str, float]) -> dict[str, float]:
        for name, score in value.items():
            if name == "rating":
                raise ValueError("the star rating is the rating field, not a score in scores")
            problem = score_problem(name, score)
            if problem:
                raise ValueError(f"{name}: {problem}")
        return {name: float(score) for name, score in sorted(value.items())}

    @model_validator(mode="after")
    def _text_or_rating(self) -> Document:
        # A star rating without words (Amazon, schema.org widgets) or a survey score without a
        # comment is feedback too: it counts in score trends and matches no text search.
        if not self.text and self.rating is None and not self.scores:
            raise ValueError("text is empty and there is no rating or score (only a rating or score may come without text)")
        return self

    @model_validator(mode="after")
    def _stable_id(self) -> Document:
        expected = document_id(self.source, self.source_id)
        if not self.id:
            self.id = expected
        elif self.id != expected:
            raise ValueError(
                f"id {self.id!r} does not match source/source_id (expected {expected!r}); "
                "leave id empty and voclens derives it"
            )
        return self

    def score(self, name: str) -> float | None:
        """The score ``name``: ``rating`` is the star rating, any other name is looked up in ``scores``."""
        return self.rating if name == "rating" else self.scores.get(name)

    def all_scores(self) -> dict[str, float]:
        """Every score of this document, the star rating included as ``rating``."""
        return {**self.scores, "rating": self.rating} if self.rating is not None else dict(self.scores)

    def topic_keys(self, polarity: str | None = None) -> list[str]:
        """Topic keys on this document, optionally only those with ``polarity``."""
        return [t.topic for t in self.topics if polarity is None or t.polarity.value == polarity]
