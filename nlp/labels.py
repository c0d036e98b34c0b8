"""Label types shared by every classifier and by the document model.

They live in ``nlp`` (not ``index``) because a classifier must be usable on
its own, on plain texts, without any storage around it.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Polarity(str, Enum):
    """Sentiment of a whole text or of one topic inside it."""

    negative = "negative"
    neutral = "neutral"
    positive = "positive"


#: Topic keys of the default taxonomy (shared/TAXONOMY.md, v1), in table order.
DEFAULT_TOPICS: tuple[str, ...] = (
    "logistics",
    "packaging",
    "quality",
    "not_as_described",
    "authenticity",
    "size_fit",
    "price",
    "customer_service",
    "returns_refunds",
    "payment",
    "usability",
    "app_website",
)

#: Chinese names of the default topics, for display and for digests.
TOPIC_NAMES_ZH: dict[str, str] = {
    "logistics": "物流配送",
    "packaging": "包装",
    "quality": "质量",
    "not_as_described": "描述不符",
    "authenticity": "真伪",
    "size_fit": "尺码",
    "price": "价格",
    "customer_service": "客服",
    "returns_refunds": "退换货",
    "payment": "支付",
    "usability": "使用体验",
    "app_website": "网站与App",
}


class Sentiment(BaseModel):
    """Overall sentiment of a text; ``score`` is the classifier's confidence in ``label``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: Polarity
    score: float = Field(ge=0.0, le=1.0)


class TopicLabel(BaseModel):
    """One topic a text speaks about, with that topic's own polarity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    polarity: Polarity
    score: float = Field(ge=0.0, le=1.0)
    #: Character offsets [start, end) of the part of the text that shows this topic: the
    #: clause that weighs most for it in the model (None for models that do not locate it).
    evidence: tuple[int, int] | None = None

    @field_validator("evidence")
    @classmethod
    def _evidence_is_a_span(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not 0 <= value[0] < value[1]:
            raise ValueError(f"evidence must be [start, end) with 0 <= start < end, got {list(value)}")
        return value


class Classification(BaseModel):
    """What a classifier says about one text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lang: str
    sentiment: Sentiment
    topics: list[TopicLabel] = Field(default_factory=list)
    model_version: str
