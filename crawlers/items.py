"""What spiders yield: one ``FeedbackItem`` per review or post, read through ItemAdapter.

Items stay close to the source (raw date strings, the source's rating scale,
the author handle); ``crawlers.pipelines.DocumentPipeline`` turns them into
``index.document.Document`` with ``record_to_document``, so crawled items are
normalised exactly like imported rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from index.document import Document

#: FeedbackItem fields that are passed to ``record_to_document`` as record fields.
RECORD_FIELDS = (
    "source", "source_id", "channel", "url", "brand", "product_id", "product_name",
    "author", "author_id", "title", "text", "rating", "created_at", "lang", "meta",
)


@dataclass
class FeedbackItem:
    """One piece of feedback as a spider found it.

    Attributes:
        scope: the incremental-crawl unit this item belongs to (``jd:100012``,
            a feed URL); the crawl state keeps the newest item seen per scope.
        tz: time zone of ``created_at`` when the source writes dates without
            one (JD writes Beijing time).
        rating_scale: top of the source's rating scale; stored ratings are 0-5.
        author: the handle as the source shows it; hashed before storage.
        author_id: the platform's id of the author (a Weibo uid); hashed before
            storage, never put in ``meta``.
    """

    source: str
    source_id: str
    text: str | None
    created_at: Any
    scope: str
    channel: str = "review"
    url: str | None = None
    brand: str | None = None
    product_id: str | None = None
    product_name: str | None = None
    author: str | None = None
    author_id: str | None = None
    title: str | None = None
    rating: Any = None
    lang: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    tz: str = "UTC"
    rating_scale: float = 5.0

    def record(self) -> dict[str, Any]:
        """The fields ``record_to_document`` reads (empty meta left out)."""
        out = {name: getattr(self, name) for name in RECORD_FIELDS}
        if not out["meta"]:
            out.pop("meta")
        if out["author_id"] is None:
            out.pop("author_id")
        return out


@dataclass
class CrawledDocument:
    """A validated, privacy-safe document on its way to the index.

    Attributes:
        fingerprint: SimHash of the normalised text (None for texts too short
            to compare), persisted after the write for near-duplicate checks
            in later crawls.
        seen_at: when the spider yielded the item (for crawl stats).
    """

    document: Document
    scope: str
    fingerprint: int | None = None
    seen_at: datetime | None = None
