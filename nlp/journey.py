"""The customer journey: a second, optional taxonomy of 5 stages and 13 touchpoints.

Where in the journey a piece of feedback was born (it saw an ad, asked a
pre-sale question, waited for the parcel, came back for more) is a different
question from what it is about (the default topics). voclens ships the
journey as examples, not as a trained model: ``resources/journey/<touchpoint>.jsonl``
holds examples written by the voclens team in Chinese and English, and
``voclens topics journey`` stores them as own topics, trained and applied
like any other (``nlp.own_topics``), on the index's own vectors.

A touchpoint's head learns from its examples against the other touchpoints'
(a complaint about the courier is not one about checkout); a stage's head
from the examples of all its touchpoints against the other stages'.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .own_topics import TopicExample, read_examples

JOURNEY_DIR = Path(__file__).resolve().parent / "resources" / "journey"
#: Key prefixes: stage keys are ``stage_<name>``, touchpoint keys ``touch_<name>``.
STAGE_PREFIX = "stage_"
TOUCHPOINT_PREFIX = "touch_"


@dataclass(frozen=True)
class Step:
    """A stage or a touchpoint: its key, its names, and for a touchpoint its stage."""

    key: str
    name_zh: str
    name_en: str
    stage: str | None = None


STAGES: tuple[Step, ...] = (
    Step("stage_discovery", "发现", "Discovery"),
    Step("stage_consideration", "考虑", "Consideration"),
    Step("stage_purchase", "购买", "Purchase"),
    Step("stage_fulfilment", "履约", "Fulfilment"),
    Step("stage_retention", "留存", "Retention"),
)

TOUCHPOINTS: tuple[Step, ...] = (
    Step("touch_social_media", "社交媒体", "Social media", "stage_discovery"),
    Step("touch_kol", "KOL 达人", "KOL", "stage_discovery"),
    Step("touch_search_ads", "搜索广告", "Search ads", "stage_discovery"),
    Step("touch_site_visit", "网站/App 访问", "Site/app visit", "stage_consideration"),
    Step("touch_product_detail", "商品详情与评价", "Product detail and reviews", "stage_consideration"),
    Step("touch_presale", "售前咨询", "Pre-sale consultation", "stage_consideration"),
    Step("touch_price_promotion", "价格与促销", "Price and promotion", "stage_purchase"),
    Step("touch_checkout", "下单与支付", "Checkout and payment", "stage_purchase"),
    Step("touch_order_confirmation", "订单确认", "Order confirmation", "stage_purchase"),
    Step("touch_delivery", "配送", "Delivery", "stage_fulfilment"),
    Step("touch_unboxing", "开箱与初次使用", "Unboxing and first use", "stage_fulfilment"),
    Step("touch_after_sale", "售后服务", "After-sale service", "stage_retention"),
    Step("touch_loyalty", "复购与会员", "Repurchase and loyalty programmes", "stage_retention"),
)


def touchpoint_texts(step: Step, directory: Path = JOURNEY_DIR) -> list[str]:
    """The shipped example texts of one touchpoint."""
    name = step.key.removeprefix(TOUCHPOINT_PREFIX)
    return [e.text for e in read_examples(directory / f"{name}.jsonl") if e.text and e.label == 1]


def journey_examples(directory: Path = JOURNEY_DIR) -> dict[str, list[TopicExample]]:
    """Examples of every stage and touchpoint: its own texts as 1, those of its siblings as 0."""
    texts = {t.key: touchpoint_texts(t, directory) for t in TOUCHPOINTS}
    out: dict[str, list[TopicExample]] = {}
    for t in TOUCHPOINTS:
        out[t.key] = [TopicExample(text=x, label=1 if k == t.key else 0) for k, xs in texts.items() for x in xs]
    for s in STAGES:
        out[s.key] = [TopicExample(text=x, label=1 if tp.stage == s.key else 0) for tp in TOUCHPOINTS for x in texts[tp.key]]
    return out


__all__ = ["JOURNEY_DIR", "STAGES", "STAGE_PREFIX", "TOUCHPOINTS", "TOUCHPOINT_PREFIX", "Step", "journey_examples", "touchpoint_texts"]
