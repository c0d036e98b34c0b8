"""Loaders for the sets labelled by aspect columns or categories: ASAP, AI Challenger, CCF cars,
and the dispute appeals. Each maps its own aspect scheme onto taxonomy topics through one
explicit table, so the model card can quote the table and a test can pin it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from .evaluation import DEFAULT_DATA_DIR
from ..labels import Polarity
from ._example import INT_POLARITY, Example, Opinions, Row, finish, read_csv

# -- Dianping restaurant reviews (ASAP, AI Challenger 2018) ---------------------------------

#: Aspect columns -> topic. Location and environment columns name no taxonomy topic, and
#: service_parking_convenience is left out: parking is not staff service, which is what
#: customer_service means. dish_* is the food itself (taste, look, portion): quality.
DIANPING_COLUMNS: dict[str, str] = {
    "service_wait_time": "customer_service", "service_waiters_attitude": "customer_service",
    "service_serving_speed": "customer_service",
    "price_level": "price", "price_cost_effective": "price", "price_discount": "price",
    "dish_portion": "quality", "dish_taste": "quality", "dish_look": "quality",
    "dish_recommendation": "quality",
}  # fmt: skip
DIANPING_COVERED = frozenset(DIANPING_COLUMNS.values())
#: ASAP stars: 3 is the "mixed, no dominant side" middle, as TAXONOMY.md defines neutral.
_STARS = {1: Polarity.negative, 2: Polarity.negative, 3: Polarity.neutral,
          4: Polarity.positive, 5: Polarity.positive}  # fmt: skip


def _dianping_topics(rec: Mapping[str, str]) -> dict[str, Polarity]:
    """Topic polarities from the aspect columns; -2 ("not mentioned") adds nothing."""
    opinions = Opinions()
    for column, topic in DIANPING_COLUMNS.items():
        polarity = INT_POLARITY.get((rec.get(column) or "").strip())
        if polarity is not None:
            opinions.add(topic, polarity)
    return opinions.topics()


def _star(value: str | None) -> Polarity | None:
    try:
        return _STARS.get(int(float(value or "")))
    except ValueError:
        return None


def load_asap_samples(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[Example]:
    """ASAP's three 100-review samples, pooled and re-split by text like every other set."""
    folder = Path(data_dir) / "asap_samples"
    rows = [
        Row(rec["reviewbody"], _star(rec.get("star")), _dianping_topics(rec), DIANPING_COVERED)
        for name in ("train_sample.csv", "dev_sample.csv", "test_sample.csv")
        for rec in read_csv(folder / name)
    ]
    return finish("asap_samples", rows, lang="zh")


#: (file, language); the English files are Google translations of Chinese training reviews,
#: labelled by the annotators of the Chinese originals.
_AIC_FILES = (("chinese_valid.csv", "zh"), ("english_valid.csv", "en"), ("english_test.csv", "en"))


def load_aichallenger2018_fsauor_subset(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[Example]:
    """AI Challenger 2018 reviews; the overall sentiment is others_overall_experience (-2: none)."""
    folder = Path(data_dir) / "aichallenger2018_fsauor_subset"
    rows = []
    for name, lang in _AIC_FILES:
        for rec in read_csv(folder / name):
            overall = INT_POLARITY.get((rec.get("others_overall_experience") or "").strip())
            rows.append(Row(rec["content"], overall, _dianping_topics(rec), DIANPING_COVERED, lang))
    return finish("aichallenger2018_fsauor_subset", rows, lang="zh")


# -- CCF BDCI 2018 car reviews --------------------------------------------------------------

#: Car subjects -> topic. Engine, fuel use, handling, safety, interior and exterior are the
#: product itself (quality); comfort is "comfort in use" (usability); cabin space is
#: "dimensions versus expectation" (size_fit); 配置 (equipment list) names no topic.
CAR_TOPICS: dict[str, str | None] = {
    "价格": "price", "动力": "quality", "油耗": "quality", "操控": "quality", "安全性": "quality",
    "内饰": "quality", "外观": "quality", "舒适性": "usability", "空间": "size_fit", "配置": None,
}  # fmt: skip
CAR_COVERED = frozenset(t for t in CAR_TOPICS.values() if t)


def load_ccf_bdci2018_car_aspect(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[Example]:
    """One example per text from its (subject, sentiment_value) rows, all rows for the overall."""
    path = Path(data_dir) / "ccf_bdci2018_car_aspect" / "train_2.csv"
    by_text: dict[str, Opinions] = {}
    for rec in read_csv(path):
        polarity = INT_POLARITY.get((rec.get("sentiment_value") or "").strip())
        if polarity is None:
            continue
        opinions = by_text.setdefault(rec["content"].strip(), Opinions())
        opinions.add(CAR_TOPICS.get(rec["subject"].strip()), polarity)
    rows = [Row(t, o.sentiment(), o.topics(), CAR_COVERED) for t, o in by_text.items()]
    return finish("ccf_bdci2018_car_aspect", rows, lang="zh")


# -- e-commerce dispute appeals ------------------------------------------------------------

#: Top-level dispute type -> topic. Installation disputes are about the merchant's after-sale
#: installation service (scope, who pays), so customer_service rather than usability.
DISPUTE_TOPICS: dict[str, str | None] = {
    "物流异常": "logistics", "超期发货": "logistics", "无法发货": "logistics",
    "正常时效发货": "logistics", "签收问题": "logistics",
    "退换货": "returns_refunds", "售前退款": "returns_refunds", "维修": "returns_refunds",
    "少错件": "not_as_described", "发票": "payment", "运费": "price",
    "安装": "customer_service", "服务类": "customer_service", "其他": None, "其它": None,
}  # fmt: skip
#: Second-level types that name a topic more precisely than their top level (其他-描述不符 ...).
DISPUTE_SUBTYPES: dict[str, str] = {
    "描述不符": "not_as_described", "假二水": "authenticity", "价保": "price",
}  # fmt: skip
#: Replies such as "谢谢" or "已退款" say nothing about the dispute they are filed under.
DISPUTE_MIN_CHARS = 10
#: The platform's own requests to the merchant ("尊敬的商家，您好！您申诉的交易纠纷单...").
_PLATFORM_TEMPLATE = re.compile(r"尊敬的商家(，|,|你好)")


def load_ecommerce_dispute_appeals_zh(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[Example]:
    """Merchant appeals: the dispute's type as one negative topic, weak, with no sentiment.

    The label describes the customer's dispute, not the appeal text, which is the merchant
    arguing its side: so no overall sentiment, ``weak=True``, and ``covered`` holds only the
    example's own topic (a text often speaks about more than its one dispute type).
    """
    path = Path(data_dir) / "ecommerce_dispute_appeals_zh" / "appeal_catagory.csv"
    rows = []
    for rec in read_csv(path):
        text = rec["content"].strip()
        if len(text) < DISPUTE_MIN_CHARS or _PLATFORM_TEMPLATE.match(text):
            continue
        levels = rec["outline"].strip().split("-")
        subtype = levels[1] if len(levels) > 1 else ""
        topic = DISPUTE_SUBTYPES.get(subtype) or DISPUTE_TOPICS.get(levels[0])
        if topic:
            rows.append(Row(text, None, {topic: Polarity.negative}, frozenset({topic})))
    return finish("ecommerce_dispute_appeals_zh", rows, lang="zh", weak=True)
