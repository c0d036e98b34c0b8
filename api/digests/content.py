"""What a digest says, built only from ``Backend`` methods so it works on SQLite and Elasticsearch alike.

Pure in the sense that matters: given a backend, a subscription and a
period, it reads and returns data; it sends and stores nothing, so
``preview`` and the runner build the very same digest.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from index.base import (
    Backend,
    Emerging,
    EmergingQuery,
    Filters,
    Interval,
    SearchQuery,
    SortOrder,
    TopicFilter,
    TopQuery,
    TrendQuery,
)
from index.document import Document
from nlp.labels import Polarity

from .drivers import ScoreDrivers, score_drivers
from .schedule import Period
from .schemas import Subscription

#: Top complaint topics shown, and complaints quoted under each.
TOP_TOPICS = 5
EXAMPLES_PER_TOPIC = 3
#: Complaints read per topic to choose the examples from, the newest this many first.
CANDIDATES = 60
FIRST_READ = 12
#: Two complaints whose character-bigram sets overlap this much say the same thing.
NEAR_DUPLICATE = 0.6


class Example(BaseModel):
    id: str
    text: str
    url: str | None
    source: str
    brand: str | None
    product_id: str | None
    created_at: datetime
    rating: float | None


class TopicSection(BaseModel):
    topic: str
    count: int = Field(description="Negative mentions in the period.")
    previous: int = Field(description="Negative mentions in the previous period.")
    change: int
    examples: list[Example]


class TrendPoint(BaseModel):
    start: datetime
    volume: int
    negative: int


class AlertInfo(BaseModel):
    kind: str
    threshold: float
    value: float
    item: str | None = Field(default=None, description="The topic that spiked (emerging alerts).")
    window: str
    window_start: datetime
    window_end: datetime


class Digest(BaseModel):
    """Everything the renderers need; also the ``digest`` object of the generic JSON webhook."""

    subscription_id: str
    name: str
    kind: str = "digest"
    period_key: str
    period_label: str
    start: datetime
    end: datetime
    tz: str
    query: str
    volume: int
    previous_volume: int
    negative: int
    previous_negative: int
    negative_share: float | None
    previous_negative_share: float | None
    top_topics: list[TopicSection]
    emerging_topics: list[Emerging]
    emerging_keywords: list[Emerging]
    trend: list[TrendPoint]
    trend_interval: str
    link: str | None = None
    alert: AlertInfo | None = None
    score_drivers: ScoreDrivers | None = Field(default=None, description="What cost the most score points in the period (NPS, else ratings); None without scores.")


def _window(sub: Subscription, start: datetime, end: datetime) -> Filters:
    return sub.filters.model_copy(update={"since": start, "until": end})


def _share(neg: int, vol: int) -> float | None:
    return round(neg / vol, 4) if vol else None


def _bigrams(text: str) -> set[str]:
    t = re.sub(r"\s+", " ", text.lower()).strip()
    return {t[i:i + 2] for i in range(len(t) - 1)} or {t}


def pick_examples(docs: list[Document], k: int = EXAMPLES_PER_TOPIC) -> list[Document]:
    """Up to ``k`` representative complaints: no near-duplicates, spread over sources and products.

    Copy-pasted complaints and templated tickets are common; quoting the same
    text three times tells a reader nothing. Candidates come newest first;
    a first pass takes at most one per (source, product), a second fills up.
    Whether a candidate repeats an earlier one depends only on the candidates
    before it, so the first pass stops once it holds ``k``: comparing all 60
    candidates of each of a digest's five topics pair by pair was a quarter
    of its preview (60-80 ms on the bench index).
    """
    unique: list[tuple[Document, set[str]]] = []
    chosen: list[Document] = []
    seen_groups: set[tuple] = set()
    for doc in docs:
        if len(chosen) >= k:
            break
        grams = _bigrams(doc.text)
        if any(len(grams & g) / len(grams | g) >= NEAR_DUPLICATE for _, g in unique):
            continue
        unique.append((doc, grams))
        group = (doc.source, doc.product_id)
        if group not in seen_groups:
            chosen.append(doc)
            seen_groups.add(group)
    for doc, _ in unique:  # fewer (source, product) groups than k: every candidate was read
        if len(chosen) >= k:
            break
        if doc not in chosen:
            chosen.append(doc)
    return chosen


def doc_link(doc: Document, public_base_url: str | None) -> str | None:
    """The complaint at its source when known, else its page on this API."""
    if doc.url:
        return doc.url
    return f"{public_base_url.rstrip('/')}/documents/{doc.id}" if public_base_url else None


def _examples(backend: Backend, sub: Subscription, topic: str, start: datetime, end: datetime,
              public_base_url: str | None) -> list[Example]:
    filters = _window(sub, start, end)
    # Topic filters mean "any of", so a saved topic filter cannot be narrowed by adding one;
    # then read the saved query's complaints and keep those carrying this topic as negative.
    narrow = not filters.topics
    if narrow:
        filters = filters.model_copy(update={"topics": [TopicFilter(topic=topic, polarity=Polarity.negative)]})
    # The newest few usually hold the examples (pick_examples stops where they are found):
    # read those first, and the rest of the candidates only when they fall short.
    limit, read, cursor, docs = CANDIDATES if narrow else 200, 0, None, []
    while True:
        page = backend.search(SearchQuery(q=sub.q, filters=filters, sort=SortOrder.newest, cursor=cursor,
                                          limit=min(FIRST_READ if cursor is None else limit, limit - read), highlight=False))
        docs += [h.document for h in page.hits if topic in h.document.topic_keys("negative")]
        read += len(page.hits)
        if len(pick_examples(docs)) >= EXAMPLES_PER_TOPIC or not page.next_cursor or read >= limit:
            break
        cursor = page.next_cursor
    return [Example(id=d.id, text=d.text[:280] + ("…" if len(d.text) > 280 else ""), url=doc_link(d, public_base_url),
                    source=d.source, brand=d.brand, product_id=d.product_id, created_at=d.created_at, rating=d.rating)
            for d in pick_examples(docs)]


def _negative_filters(sub: Subscription, start: datetime, end: datetime) -> Filters | None:
    """The saved filters narrowed to negative documents, or None when the saved query excludes them."""
    saved = sub.filters.sentiment
    if saved and Polarity.negative not in saved:
        return None
    return _window(sub, start, end).model_copy(update={"sentiment": [Polarity.negative]})


def _span_trend(backend: Backend, sub: Subscription, period: Period, count: int = 8) -> list[TrendPoint]:
    """Cron periods have any length: count each of the last ``count`` spans exactly."""
    span = period.end - period.start
    points = []
    for i in range(count, 0, -1):
        start, end = period.end - i * span, period.end - (i - 1) * span
        negative = _negative_filters(sub, start, end)
        points.append(TrendPoint(start=start, volume=backend.count(sub.q, _window(sub, start, end)),
                                 negative=backend.count(sub.q, negative) if negative else 0))
    return points


def _trend(backend: Backend, sub: Subscription, period: Period) -> tuple[list[TrendPoint], str]:
    """Daily points for daily digests (14 days), weekly sums for weekly ones (8 periods), spans for cron."""
    if period.is_span:
        return _span_trend(backend, sub, period), "period"
    zone = ZoneInfo(sub.tz)
    days = (period.end.astimezone(zone).date() - period.start.astimezone(zone).date()).days
    count = 14 if days == 1 else 8
    first_day = period.end.astimezone(zone).date() - timedelta(days=days * count)
    since = datetime.combine(first_day, datetime.min.time(), tzinfo=zone).astimezone(UTC)
    result = backend.trends(TrendQuery(q=sub.q, filters=_window(sub, since, period.end), interval=Interval.day, tz=sub.tz))
    by_day = {b.start.astimezone(zone).date(): b for s in result.series for b in s.buckets}
    points = []
    for i in range(count):
        day0 = first_day + timedelta(days=i * days)
        chunk = [by_day.get(day0 + timedelta(days=j)) for j in range(days)]
        start = datetime.combine(day0, datetime.min.time(), tzinfo=zone).astimezone(UTC)
        points.append(TrendPoint(start=start, volume=sum(b.volume for b in chunk if b),
                                 negative=sum(b.negative for b in chunk if b)))
    return points, "day" if days == 1 else "week"


def build_digest(backend: Backend, sub: Subscription, period: Period, *, public_base_url: str | None = None,
                 alert: AlertInfo | None = None) -> Digest:
    """The digest of ``sub`` for ``period``: volume and negative share against the previous period,
    top complaint topics with their change and examples, emerging topics and keywords, a trend."""
    prev = period.previous(sub.tz)
    trend, interval = _trend(backend, sub, period)
    # The trend's last point is the period itself and the one before it the previous period.
    volume, negative = trend[-1].volume, trend[-1].negative
    prev_volume, prev_negative = trend[-2].volume, trend[-2].negative

    top = backend.top_topics(TopQuery(q=sub.q, filters=_window(sub, period.start, period.end),
                                      polarity=Polarity.negative, limit=TOP_TOPICS))
    before = {t.topic: t.count for t in backend.top_topics(TopQuery(
        q=sub.q, filters=_window(sub, prev.start, prev.end), polarity=Polarity.negative, limit=100))}
    sections = [TopicSection(topic=t.topic, count=t.count, previous=before.get(t.topic, 0),
                             change=t.count - before.get(t.topic, 0),
                             examples=_examples(backend, sub, t.topic, period.start, period.end, public_base_url))
                for t in top]

    span = period.end - period.start
    eq = EmergingQuery(q=sub.q, filters=sub.filters, current_since=period.start, current_until=period.end,
                       baseline_since=period.start - 4 * span, baseline_until=period.start,
                       polarity=Polarity.negative, min_count=2, limit=5)
    return Digest(
        subscription_id=sub.id, name=sub.name, kind="alert" if alert else "digest", period_key=period.key,
        period_label=period.label, start=period.start, end=period.end, tz=sub.tz, query=describe_query(sub),
        volume=volume, previous_volume=prev_volume, negative=negative, previous_negative=prev_negative,
        negative_share=_share(negative, volume), previous_negative_share=_share(prev_negative, prev_volume),
        top_topics=sections, emerging_topics=backend.emerging_topics(eq), emerging_keywords=backend.emerging_keywords(eq),
        trend=trend, trend_interval=interval, alert=alert,
        score_drivers=score_drivers(backend, sub.q, _window(sub, period.start, period.end)),
        link=f"{public_base_url.rstrip('/')}/docs" if public_base_url else None,
    )


def describe_query(sub: Subscription) -> str:
    """The saved query in the search language, for the digest header ("brand:Voltra topic:logistics:negative")."""
    f = sub.filters
    parts = [sub.q] if sub.q else []
    parts += [f"brand:{_quote(b)}" for b in f.brand] + [f"product:{_quote(p)}" for p in f.product_id]
    parts += [f"source:{s}" for s in f.source] + [f"channel:{c}" for c in f.channel] + [f"lang:{x}" for x in f.lang]
    parts += [f"sentiment:{s.value}" for s in f.sentiment]
    parts += [f"topic:{t.topic}" + (f":{t.polarity.value}" if t.polarity else "") for t in f.topics]
    return " ".join(parts) or "(everything)"


def _quote(value: str) -> str:
    return f'"{value}"' if " " in value else value


__all__ = ["AlertInfo", "Digest", "Example", "TopicSection", "TrendPoint", "build_digest", "doc_link", "pick_examples"]
