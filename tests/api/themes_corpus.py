"""A small corpus with a planted theme, for the themes tests: ``planted()`` ids are new leaking complaints.

Two windows of seven days before ``NOW``: steady background themes in both
(slow delivery, price, rude support, good quality; Chinese and English) and,
in the current window only, eight Chinese and four English complaints about a
leaking bottle worded differently each time. Vectors are synthetic: they carry
sentiment (one direction for complaints, one for praise, plus noise), like an
encoder that groups by sentiment more than by wording, so the theme must come
from the words; and the leak complaints of both languages share a little of
one more direction, the bilingual part that lets the two languages' groups be
joined (in ``two_complaints`` the overheating power banks share another).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from index.document import Document
from index.vectors import DocumentVector
from nlp.labels import Sentiment

NOW = datetime(2026, 3, 2, tzinfo=UTC)
MODEL = "enc-themes-test"

BACKGROUND = {
    "slow": ("negative", "zh", ["物流太慢了，等了{n}天才到", "快递太慢，{n}天了物流还没更新", "物流慢得离谱，下单{n}天才收到",
                                "这次物流真慢，{n}天才送到", "发货慢，物流{n}天都没动"]),
    "price": ("negative", "zh", ["价格太贵了，{n}块不值", "比别家贵{n}块，价格不划算", "刚买就降价{n}元，价格坑人",
                                 "价格偏贵，活动能便宜{n}块", "这个价格太高，贵了{n}块"]),
    "support": ("negative", "en", ["Customer support never answered my emails for {n} days", "Support was rude and ignored me for {n} days",
                                   "I emailed support {n} times and nobody answered", "Rude support agent, waited {n} days for an answer",
                                   "Support ignored my ticket for {n} days"]),
    "quality": ("positive", "en", ["Great quality, works perfectly after {n} weeks", "Excellent build quality, still perfect after {n} weeks",
                                   "Solid quality, works great for {n} weeks now", "Quality is great, {n} weeks and works perfectly",
                                   "Really great quality, perfect for {n} weeks"]),
}
LEAKS = ["爽肤水漏液了，盒子全湿", "收到就漏液，瓶盖没拧紧，漏了一半", "瓶子漏液，快递袋里全是爽肤水", "漏液严重，整瓶爽肤水洒在盒子里",
         "两瓶都漏液了，盒子湿透", "打开快递发现漏液，爽肤水漏了大半瓶", "又是漏液，补发的爽肤水也漏", "爽肤水瓶盖漏液，盒子泡坏了"]


EN_LEAKS = ["The toner bottle arrived leaking all over the box", "Bottle leaked in transit, the cap was loose",
            "My toner leaked everywhere, half the bottle gone", "Leaking bottle again, the box was soaked"]


# the directions a complaint's documents share in both languages, as a bilingual encoder gives them
TOPIC_DIRECTIONS = {"leak": slice(48, 96), "heat": slice(96, 144)}


def _vector(rng: np.random.Generator, sentiment: str, topic: str | None = None) -> DocumentVector:
    common = np.ones(384, dtype=np.float32)
    direction = np.zeros(384, dtype=np.float32)
    direction[:48] = 1.0 if sentiment == "negative" else -1.0
    if topic is not None:
        direction[TOPIC_DIRECTIONS[topic]] = 3.0
    return DocumentVector.from_array(MODEL, common + 0.8 * direction + 0.6 * rng.standard_normal(384).astype(np.float32))


def _doc(source_id: str, text: str, lang: str, sentiment: str, at: datetime, rng, brand: str = "Acme") -> Document:
    return Document(source="jd" if lang == "zh" else "amazon", source_id=source_id, brand=brand, lang=lang, text=text,
                    created_at=at, sentiment=Sentiment(label=sentiment, score=0.9),
                    vector=_vector(rng, sentiment, next((t for t in TOPIC_DIRECTIONS if source_id.startswith(t)), None)))


def documents() -> list[Document]:
    """Background themes in both windows (more slow-delivery complaints now than before) and the planted leaks now."""
    rng = np.random.default_rng(11)
    docs = []
    counts = {"slow": (4, 8), "price": (5, 5), "support": (5, 5), "quality": (5, 5)}
    for key, (sentiment, lang, templates) in BACKGROUND.items():
        before, now = counts[key]
        for i in range(before + now):
            days = 7 + 0.5 + i % 6 if i < before else 0.5 + i % 6
            text = templates[i % len(templates)].format(n=3 + i)
            docs.append(_doc(f"{key}-{i}", text, lang, sentiment, NOW - timedelta(days=days), rng,
                             brand="Beta" if key == "quality" else "Acme"))
    for i, text in enumerate(LEAKS):
        docs.append(_doc(f"leak-{i}", text, "zh", "negative", NOW - timedelta(days=1 + i % 3, hours=i), rng))
    for i, text in enumerate(EN_LEAKS):
        docs.append(_doc(f"leaken-{i}", text, "en", "negative", NOW - timedelta(days=1 + i % 2, hours=i), rng))
    return docs


def planted(lang: str | None = None) -> set[str]:
    """The leak complaints (``lang``: of one language only)."""
    prefix = {"zh": "leak-", "en": "leaken-", None: "leak"}[lang]
    return {d.id for d in documents() if d.source_id.startswith(prefix)}


def of(key: str) -> set[str]:
    return {d.id for d in documents() if d.source_id.startswith(f"{key}-")}


HEAT = ["充电宝发烫严重，充着电烫手", "充电宝充电时很烫，不敢用了", "用了十分钟充电宝就发烫", "充电宝烫得厉害，担心会爆炸",
        "这个充电宝发烫太严重了，退货", "充电宝一充电就发烫，外壳很烫", "充电宝发热发烫，手都不敢碰", "才充一半充电宝就烫手了"]
EN_HEAT = ["The power bank gets dangerously hot while charging", "Power bank overheats after ten minutes of charging",
           "My power bank got so hot I could not hold it", "Overheating power bank, too hot to touch"]


def two_complaints() -> list[Document]:
    """Four weeks and the four before: the background themes all along, and two distinct new complaints in the last four.

    The leaks (``leak-``, ``leaken-``) and the overheating power banks
    (``heat-``, ``heaten-``), each eight Chinese and four English reviews
    spread over the current 28 days; both are negative, so their vectors
    differ only by noise and each complaint's own shared direction (the part
    that lets each complaint's two languages be joined).
    """
    rng = np.random.default_rng(5)
    docs = []
    for key, (sentiment, lang, templates) in BACKGROUND.items():
        for i in range(28):  # one every two days over 56 days
            text = templates[i % len(templates)].format(n=3 + i)
            docs.append(_doc(f"{key}-{i}", text, lang, sentiment, NOW - timedelta(days=0.5 + 2 * i), rng,
                             brand="Beta" if key == "quality" else "Acme"))
    for prefix, texts, lang in (("leak", LEAKS, "zh"), ("leaken", EN_LEAKS, "en"), ("heat", HEAT, "zh"), ("heaten", EN_HEAT, "en")):
        for i, text in enumerate(texts):
            docs.append(_doc(f"{prefix}-{i}", text, lang, "negative", NOW - timedelta(days=1 + 3 * i + len(prefix) % 3, hours=i), rng))
    return docs
