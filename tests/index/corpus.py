"""A small bilingual corpus with labels set by hand, shared by the contract tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from index.document import Document
from nlp.labels import Sentiment, TopicLabel

#: A Monday, so week buckets are easy to reason about.
NOW = datetime(2026, 3, 2, tzinfo=UTC)


def doc(source_id: str, text: str, *, source: str = "jd", channel: str = "review", brand: str | None = "Acme",
        lang: str = "zh", rating: float | None = None, sentiment: str | None = None, topics: dict | None = None,
        keywords: list[str] | None = None, title: str | None = None, product_id: str | None = None,
        created_at: datetime | None = None) -> Document:
    return Document(
        source=source, source_id=source_id, channel=channel, brand=brand, lang=lang, rating=rating,
        title=title, text=text, product_id=product_id, created_at=created_at or NOW,
        sentiment=Sentiment(label=sentiment, score=0.9) if sentiment else None,
        topics=[TopicLabel(topic=t, polarity=p, score=0.8) for t, p in (topics or {}).items()],
        keywords=keywords or [],
    )


def corpus() -> list[Document]:
    """Ten documents; tests refer to them by ``source_id``."""
    day = timedelta(days=1)
    return [
        doc("zh1", "物流太慢了，等了一个星期才到", rating=2, sentiment="negative", product_id="P1",
            topics={"logistics": "negative"}, keywords=["物流", "太慢"], created_at=NOW - 1 * day),
        doc("zh2", "太慢的物流，包装也破了", rating=1, sentiment="negative", product_id="P1",
            topics={"logistics": "negative", "packaging": "negative"}, keywords=["物流", "包装"], created_at=NOW - 2 * day),
        doc("zh3", "质量很好，物流也快", source="tmall", brand="Beta", rating=5, sentiment="positive", product_id="P2",
            topics={"quality": "positive", "logistics": "positive"}, keywords=["质量", "物流"], created_at=NOW - 3 * day),
        doc("en1", "I asked for a refund twice and they refused. Customer service was rude.", title="Refund refused",
            source="amazon", lang="en", rating=1, sentiment="negative",
            topics={"returns_refunds": "negative", "customer_service": "negative"}, keywords=["refund", "rude"],
            created_at=NOW - 1 * day + timedelta(hours=2)),
        doc("en2", "Refunded quickly, great customer service", source="amazon", brand="Beta", lang="en", rating=5,
            sentiment="positive", topics={"returns_refunds": "positive", "customer_service": "positive"},
            keywords=["refund", "service"], created_at=NOW - 4 * day),
        doc("en3", "The phone case looks great and fits well", source="amazon", brand="Acme Inc", lang="en",
            channel="social", rating=4, sentiment="positive", topics={"quality": "positive"},
            keywords=["phone", "case"], created_at=NOW - 5 * day),
        doc("zh4", "客服态度很差，一直不回复", source="weibo", channel="social", sentiment="negative",
            topics={"customer_service": "negative"}, keywords=["客服", "态度"], created_at=NOW - 2 * day + timedelta(hours=5)),
        doc("zh5", "买的手机壳很好看，价格便宜", source="zendesk", channel="ticket", brand="Beta", rating=4,
            sentiment="positive", topics={"price": "positive"}, keywords=["手机壳", "价格"], created_at=NOW - 6 * day),
        doc("zh6", "电池漏液了，非常失望", rating=1, sentiment="negative", product_id="P3",
            topics={"quality": "negative"}, keywords=["漏液", "电池"], created_at=NOW - 1 * day + timedelta(hours=6)),
        doc("en4", "Slow delivery, but the product quality is fine", source="amazon", lang="en", rating=3,
            sentiment="neutral", topics={"logistics": "negative", "quality": "positive"},
            keywords=["delivery", "quality"], created_at=NOW - 3 * day + timedelta(hours=3)),
    ]


#: The encoder name the contract suite's vectors claim.
VECTOR_MODEL = "enc-test"


def with_vectors(docs: list[Document], *, model: str = VECTOR_MODEL, seed: int = 7) -> list[Document]:
    """Copies of ``docs`` with vectors: random ones, except the planted neighbours of ``zh1``.

    ``zh2`` is ``zh1``'s vector plus a little noise (cosine about 0.99: the near-duplicate),
    ``en4`` plus much more (about 0.7); random 384-dimensional vectors are nearly orthogonal
    (cosines within about 0.15 of 0), so ``similar:zh1`` ranks zh2, en4, then the rest.
    """
    import numpy as np

    from index.vectors import DIMS, DocumentVector

    rng = np.random.default_rng(seed)
    raw = {d.source_id: rng.standard_normal(DIMS).astype(np.float32) for d in docs}
    if "zh1" in raw:
        if "zh2" in raw:
            raw["zh2"] = raw["zh1"] + 0.1 * rng.standard_normal(DIMS).astype(np.float32)
        if "en4" in raw:
            raw["en4"] = raw["zh1"] + 1.0 * rng.standard_normal(DIMS).astype(np.float32)
    return [d.model_copy(update={"vector": DocumentVector.from_array(model, raw[d.source_id])}) for d in docs]
