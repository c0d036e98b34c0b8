"""Every labelled set in the shared data folder, loaded onto one example type for training.

The multi-task model learns an overall sentiment and a polarity per topic, but no set labels
both in the taxonomy's terms. Each loader therefore says what its set does label: a
sentiment or None, the topics it found, and ``covered``, the topics its scheme annotates, so
a covered topic missing from ``topics`` is a gold "absent" and any other topic is masked.
Mapping decisions live next to each loader and, as one line per set, in ``CORPORA``, which
``mapping_table`` renders for the model card. Splits come from ``nlp.training.evaluation.split_of`` on
the text, with the same percentages as the baseline benchmark, so dev figures compare.

The data is read in place and never copied: several sets are research-only.

Example::

    from nlp.training.corpora import CORPORA, load_all, mapping_table
    sets = load_all()
    train = [ex for key, exs in sets.items() if not CORPORA[key].held_out
             for ex in exs if ex.split == "train"]
    card_table = mapping_table(examples=sets)
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .evaluation import DEFAULT_DATA_DIR, ZHIJIANG_TOPICS, load_online_shopping, load_zhijiang
from ..labels import Polarity
from ._absa_sets import (
    load_absa_term_en_tshirt_television,
    load_absa_term_zh_pyabsa,
    load_semeval_absa_2014_2016,
)
from ._aspect_sets import (
    load_aichallenger2018_fsauor_subset,
    load_asap_samples,
    load_ccf_bdci2018_car_aspect,
    load_ecommerce_dispute_appeals_zh,
)
from ._example import DEFAULT_SPLIT, HELD_OUT, SPLIT_PERCENT, Example, Row, finish, read_csv

NEG, NEU, POS = Polarity.negative, Polarity.neutral, Polarity.positive
_BINARY = {"0": NEG, "1": POS}

# -- sentiment-only sets --------------------------------------------------------------------


def load_online_shopping_10_cats(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[Example]:
    """Product reviews in 10 categories, label 0/1; read by ``nlp.training.evaluation`` as the bench does."""
    rows = [Row(r.text, _BINARY[str(r.label)]) for r in load_online_shopping(data_dir)]
    return finish("online_shopping_10_cats", rows, lang="zh")


def load_waimai_10k(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[Example]:
    """Food-delivery reviews, label 0/1."""
    path = Path(data_dir) / "waimai_10k" / "waimai_10k.csv"
    rows = [Row(r["review"], _BINARY[r["label"].strip()]) for r in read_csv(path)
            if r["label"].strip() in _BINARY]  # fmt: skip
    return finish("waimai_10k", rows, lang="zh")


#: Weibo emoticon codes such as [哈哈], [泪], [good]: bracketed, short, no spaces.
EMOTICON = re.compile(r"\[[^\[\]\s]{1,8}\]")


def load_weibo_senti_100k_partial(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[Example]:
    """Weibo posts whose 0/1 labels were derived from their emoticons, which are stripped here.

    Left in, the emoticons would let a model learn the labelling rule instead of the text.
    Posts empty after stripping are dropped, and so are texts that were told apart only by
    their emoticons and now carry both labels. The labels are heuristic: ``weak=True``.
    """
    path = Path(data_dir) / "weibo_senti_100k_partial" / "weibo_senti_100k_partial_union.csv"
    labels: dict[str, set[Polarity]] = {}
    for rec in read_csv(path):
        if rec["label"].strip() in _BINARY:
            text = " ".join(EMOTICON.sub(" ", rec["review"]).split())
            labels.setdefault(text, set()).add(_BINARY[rec["label"].strip()])
    rows = [Row(text, next(iter(p))) for text, p in labels.items() if len(p) == 1]
    return finish("weibo_senti_100k_partial", rows, lang="zh", weak=True)


#: Emotions -> sentiment. Surprise can be glad or shocked, so it is neutral rather than a guess.
SMP_EMOTIONS = {"happy": POS, "angry": NEG, "sad": NEG, "fear": NEG, "neutral": NEU,
                "surprise": NEU}  # fmt: skip


def load_smp2020_ewect(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[Example]:
    """SMP2020-EWECT usual and virus Weibo posts (every labelled JSON file) as sentiment."""
    folder = Path(data_dir) / "smp2020_ewect"
    rows = [
        Row(rec.get("content") or "", SMP_EMOTIONS[rec["label"]])
        for path in sorted(folder.glob("*.txt"))
        for rec in json.loads(path.read_text(encoding="utf-8"))
        if rec.get("label") in SMP_EMOTIONS
    ]
    return finish("smp2020_ewect", rows, lang="zh")


def load_tweeteval_sentiment(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[Example]:
    """TweetEval sentiment (the validation split held here), 0/1/2 -> negative/neutral/positive."""
    folder = Path(data_dir) / "tweeteval_sentiment"
    polarity = {"0": NEG, "1": NEU, "2": POS}
    rows = []
    for part in ("val", "test", "train"):
        if not (folder / f"{part}_text.txt").exists():
            continue
        texts = (folder / f"{part}_text.txt").read_text(encoding="utf-8").splitlines()
        labels = (folder / f"{part}_labels.txt").read_text(encoding="utf-8").splitlines()
        if len(texts) != len(labels):
            raise ValueError(f"tweeteval {part}: {len(texts)} texts but {len(labels)} labels")
        rows += [Row(t, polarity[lab.strip()]) for t, lab in zip(texts, labels)
                 if lab.strip() in polarity]  # fmt: skip
    return finish("tweeteval_sentiment", rows, lang="en")


def load_uci_sentiment_labelled_sentences(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[Example]:
    """Amazon, Yelp and IMDb sentences, 0/1; held out, so every example is in "dev"."""
    folder = Path(data_dir) / "uci_sentiment_labelled_sentences"
    rows = []
    for name in ("amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt"):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            text, _, label = line.rpartition("\t")
            if label.strip() in _BINARY:
                rows.append(Row(text, _BINARY[label.strip()]))
    return finish("uci_sentiment_labelled_sentences", rows, lang="en")


def load_cfpb_consumer_complaints_sample(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[Example]:
    """CFPB complaint narratives as negative texts (weak: a filed complaint, not a rating).

    The product/issue labels are about credit reports and loans and none matches a taxonomy
    topic closely enough, so no topic is covered.
    """
    path = Path(data_dir) / "cfpb_consumer_complaints_sample" / "Consumer_Complaints_sample.csv"
    rows = [Row(r.get("Consumer_complaint_narrative") or "", NEG) for r in read_csv(path)]
    return finish("cfpb_consumer_complaints_sample", rows, lang="en", weak=True)


# -- sets with topics -----------------------------------------------------------------------

ZHIJIANG_COVERED = frozenset(t for t in ZHIJIANG_TOPICS.values() if t)


def load_zhijiang2019_ecommerce_opinion(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[Example]:
    """Zhijiang cosmetics reviews through ``nlp.training.evaluation.load_zhijiang`` (the bench's gold)."""
    rows = [
        Row(r.text, r.sentiment, dict(r.topics), ZHIJIANG_COVERED) for r in load_zhijiang(data_dir)
    ]
    return finish("zhijiang2019_ecommerce_opinion", rows, lang="zh")


#: Banking intents -> (topic, polarity): problems negative, plain questions neutral.
BANKING_INTENTS: dict[str, tuple[str, Polarity]] = {
    "card_arrival": ("logistics", NEG), "card_delivery_estimate": ("logistics", NEU),
    "Refund_not_showing_up": ("returns_refunds", NEG), "request_refund": ("returns_refunds", NEU),
    "card_payment_not_recognised": ("payment", NEG), "transaction_charged_twice": ("payment", NEG),
    "declined_card_payment": ("payment", NEG), "card_payment_fee_charged": ("payment", NEG),
    "direct_debit_payment_not_recognised": ("payment", NEG),
    "extra_charge_on_statement": ("payment", NEG), "reverted_card_payment?": ("payment", NEG),
    "card_payment_wrong_exchange_rate": ("payment", NEG),
}  # fmt: skip
#: Topics whose mentions the intents above capture nearly whole, so every other intent is a
#: gold "absent" for them. Payment and app talk run through most of the 77 intents (transfers,
#: top-ups, "in the app"), so payment is covered only where an intent names it, and no intent
#: maps to app_website.
BANKING_COVERED = frozenset({"logistics", "returns_refunds"})


def load_banking77(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[Example]:
    """BANKING77 customer queries: no sentiment, a topic from a few intents."""
    folder = Path(data_dir) / "banking77"
    rows = []
    for name in ("train.csv", "test.csv"):
        for rec in read_csv(folder / name):
            topic = BANKING_INTENTS.get(rec["category"].strip())
            topics = dict([topic]) if topic else {}
            rows.append(Row(rec["text"], None, topics, BANKING_COVERED | set(topics)))
    return finish("banking77", rows, lang="en")


# -- the annotation set and the star-rated sets ------------------------------------------------

#: The annotation set's own parts map onto the training splits: its frozen test part is "dev"
#: (scored, never trained on or tuned with), its tune part "tune".
_ANNOTATION_SPLIT = {"train": "train", "tune": "tune", "test": "dev"}
ANNOTATIONS = "annotations"


def load_annotations(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[Example]:
    """The team's annotation set (``nlp/annotations``): every topic covered, gold sentiment.

    A text annotated under two pointers (the same short review in two sets) is kept once, in
    its most protected part (test before tune before train), so it can never be trained on
    while it is scored.
    """
    from ..annotations.store import load_gold
    from ..labels import DEFAULT_TOPICS

    order = {"test": 0, "tune": 1, "train": 2}
    items = sorted(load_gold(Path(data_dir)), key=lambda i: order[i.annotation.split])
    seen: set[str] = set()
    out = []
    for i in items:
        if i.text in seen:
            continue
        seen.add(i.text)
        out.append(Example(text=i.text, lang=i.annotation.lang, source=ANNOTATIONS,
                           split=_ANNOTATION_SPLIT[i.annotation.split], sentiment=i.annotation.sentiment,
                           topics={t.topic: t.polarity for t in i.annotation.topics},
                           covered=frozenset(DEFAULT_TOPICS)))  # fmt: skip
    return out


def annotated_texts(data_dir: str | Path = DEFAULT_DATA_DIR) -> frozenset[str]:
    """Texts of the annotation set's tune and test parts: kept out of every set's training rows.

    Pointers whose set folder is absent from ``data_dir`` (or whose row differs) add nothing:
    a text that is not there cannot leak. The answer is cached per folder and label files.
    """
    from ..annotations.store import LABELS_DIR

    stamp = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(LABELS_DIR.glob("*.jsonl")))
    return _annotated_texts(str(Path(data_dir)), stamp)


@lru_cache(maxsize=4)
def _annotated_texts(data_dir: str, _stamp: tuple) -> frozenset[str]:
    from ..annotations.sources import READERS
    from ..annotations.store import gold, read_annotations

    wanted: dict[str, dict[str, str]] = {}
    for a in gold(read_annotations()):
        if a.split != "train":
            wanted.setdefault(a.set, {})[a.key] = a.sha
    texts = set()
    for name, keys in wanted.items():
        if name in READERS and (Path(data_dir) / name).is_dir():
            texts.update(row.text for row in READERS[name](Path(data_dir)) if keys.get(row.key) == row.sha)
    return frozenset(texts)


#: Star ratings -> three classes, wherever a set has stars.
STARS = {1: NEG, 2: NEG, 3: NEU, 4: POS, 5: POS}


def _star_rows(reader, data_dir) -> list[Row]:
    return [Row(row.text, STARS[row.meta["stars"]]) for row in reader(Path(data_dir))]


def load_amazon_alexa_reviews_en(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[Example]:
    """Echo reviews (duplicates dropped), sentiment from their 1-5 stars."""
    from ..annotations.sources import amazon_alexa

    return finish("amazon_alexa_reviews_en", _star_rows(amazon_alexa, data_dir), lang="en")


def load_womens_clothing_reviews_en(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[Example]:
    """Clothing reviews, sentiment from their 1-5 stars."""
    from ..annotations.sources import womens_clothing

    return finish("womens_clothing_reviews_en", _star_rows(womens_clothing, data_dir), lang="en")


# -- registry -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CorpusSpec:
    """How one set is loaded and used; ``mapping`` is its line in the model card."""

    key: str
    lang: str
    loader: Callable[[str | Path], list[Example]]
    sentiment_mapping: str
    topic_mapping: str
    dev_percent: int = DEFAULT_SPLIT[0]
    tune_percent: int = DEFAULT_SPLIT[1]
    held_out: bool = False

    @property
    def mapping(self) -> str:
        """One line: how labels become sentiment and topics."""
        return f"sentiment: {self.sentiment_mapping}; topics: {self.topic_mapping}"


def _spec(key: str, lang: str, loader: Callable, *, sentiment: str, topics: str) -> CorpusSpec:
    dev, tune = SPLIT_PERCENT.get(key, DEFAULT_SPLIT)
    return CorpusSpec(key, lang, loader, sentiment, topics, dev, tune, key in HELD_OUT)


_DIANPING = (
    "service_wait_time/waiters_attitude/serving_speed -> customer_service; price_* -> price; "
    "dish_* -> quality (1/0/-1; -2 absent; parking, location_*, environment_* ignored)"
)
_TERMS = "aspect-term polarities resolved (majority, ties neu)"

#: Every set in the shared data folder, by folder name, in model-card order.
CORPORA: dict[str, CorpusSpec] = {spec.key: spec for spec in (
    _spec("online_shopping_10_cats", "zh", load_online_shopping_10_cats,
          sentiment="0/1 -> neg/pos", topics="none"),
    _spec("waimai_10k", "zh", load_waimai_10k, sentiment="0/1 -> neg/pos", topics="none"),
    _spec("weibo_senti_100k_partial", "zh", load_weibo_senti_100k_partial,
          sentiment="0/1 -> neg/pos, weak: emoticon-derived (emoticons stripped, texts left "
                    "with both labels dropped)",
          topics="none"),
    _spec("smp2020_ewect", "zh", load_smp2020_ewect,
          sentiment="happy -> pos; angry/sad/fear -> neg; neutral and surprise -> neu",
          topics="none"),
    _spec("zhijiang2019_ecommerce_opinion", "zh", load_zhijiang2019_ecommerce_opinion,
          sentiment="opinion polarities resolved (majority, ties neu), as in the bench",
          topics="categories via nlp.training.evaluation.ZHIJIANG_TOPICS (整体/其他 none); covered: "
                 + ", ".join(sorted(ZHIJIANG_COVERED))),
    _spec("asap_samples", "zh", load_asap_samples,
          sentiment="stars 1-2 neg, 3 neu, 4-5 pos", topics=_DIANPING),
    _spec("aichallenger2018_fsauor_subset", "zh+en", load_aichallenger2018_fsauor_subset,
          sentiment="others_overall_experience 1/0/-1 (-2 none); en rows machine-translated",
          topics=_DIANPING),
    _spec("ccf_bdci2018_car_aspect", "zh", load_ccf_bdci2018_car_aspect,
          sentiment="subject polarities resolved (majority, ties neu)",
          topics="价格 -> price; 动力/油耗/操控/安全性/内饰/外观 -> quality; 舒适性 -> usability; "
                 "空间 -> size_fit; 配置 none"),
    _spec("ecommerce_dispute_appeals_zh", "zh", load_ecommerce_dispute_appeals_zh,
          sentiment="none (merchant-side appeals)",
          topics="weak: the dispute type as one negative topic, covered = that topic "
                 "(物流/发货/签收 -> logistics; 退换货/售前退款/维修 -> returns_refunds; 少错件, "
                 "描述不符 -> not_as_described; 发票 -> payment; 运费, 价保 -> price; 安装/服务类 -> "
                 "customer_service; 假二水 -> authenticity); replies < 10 chars and platform "
                 "notices dropped"),
    _spec("absa_term_zh_pyabsa", "zh", load_absa_term_zh_pyabsa, sentiment=_TERMS,
          topics="term cues 物流/快递/发货/配送 -> logistics, 包装 -> packaging, "
                 "价格/价钱/价位/性价比 -> price, 尺寸/大小 -> size_fit, 客服/服务 -> "
                 "customer_service; covered = the topics found"),
    _spec("semeval_absa_2014_2016", "en", load_semeval_absa_2014_2016,
          sentiment="opinion polarities resolved (conflict = neu); none without opinions",
          topics="food, *#QUALITY, *#OPERATION_PERFORMANCE -> quality; price, *#PRICE(S) -> "
                 "price; service, SERVICE#*, SUPPORT#* -> customer_service; *#USABILITY -> "
                 "usability; SHIPPING#* -> logistics; WARRANTY#* -> returns_refunds"),
    _spec("absa_term_en_tshirt_television", "en", load_absa_term_en_tshirt_television,
          sentiment=_TERMS,
          topics="term cues delivery/shipping -> logistics, packaging -> packaging, "
                 "price/value/cost -> price, fit/size -> size_fit, quality/material/fabric -> "
                 "quality, service/seller/support -> customer_service (colour ignored); "
                 "covered = the topics found"),
    _spec("tweeteval_sentiment", "en", load_tweeteval_sentiment,
          sentiment="0/1/2 -> neg/neu/pos", topics="none"),
    _spec("uci_sentiment_labelled_sentences", "en", load_uci_sentiment_labelled_sentences,
          sentiment="0/1 -> neg/pos", topics="none"),
    _spec("banking77", "en", load_banking77, sentiment="none",
          topics="card_arrival (neg), card_delivery_estimate (neu) -> logistics; "
                 "Refund_not_showing_up (neg), request_refund (neu) -> returns_refunds; "
                 "8 payment-problem intents -> payment (neg); covered: logistics, "
                 "returns_refunds, and payment where an intent names it"),
    _spec("cfpb_consumer_complaints_sample", "en", load_cfpb_consumer_complaints_sample,
          sentiment="narratives only, all neg, weak (a filed complaint, not a rating)",
          topics="none"),
    _spec("amazon_alexa_reviews_en", "en", load_amazon_alexa_reviews_en,
          sentiment="stars 1-2 neg, 3 neu, 4-5 pos", topics="none"),
    _spec("womens_clothing_reviews_en", "en", load_womens_clothing_reviews_en,
          sentiment="stars 1-2 neg, 3 neu, 4-5 pos", topics="none"),
    _spec(ANNOTATIONS, "zh+en", load_annotations,
          sentiment="annotated (docs/annotation.md); test part = dev, tune part = tune",
          topics="annotated, every topic covered"),
)}  # fmt: skip


def load_corpus(key: str, data_dir: str | Path = DEFAULT_DATA_DIR) -> list[Example]:
    """The examples of the set ``key`` (a key of ``CORPORA``), safe to split for training.

    A held-out set must never be trained on, not even through a copy of its text in another
    set (a few UCI sentences are also SemEval sentences), so a trainable set comes without
    the texts of any held-out set; the ``load_<key>`` functions return sets unfiltered.

    Raises:
        KeyError: for an unknown key.
    """
    spec = CORPORA[key]
    examples = spec.loader(data_dir)
    if spec.held_out:
        return examples
    held = held_out_texts(data_dir)
    if key != ANNOTATIONS:  # an annotated tune or test text is never a training row of its own set
        held = held | annotated_texts(data_dir)
    return [ex for ex in examples if ex.text not in held]


def held_out_texts(data_dir: str | Path = DEFAULT_DATA_DIR) -> frozenset[str]:
    """Texts of every held-out set; one missing from ``data_dir`` cannot leak and adds none."""
    texts: set[str] = set()
    for spec in CORPORA.values():
        if spec.held_out:
            try:
                texts.update(ex.text for ex in spec.loader(data_dir))
            except FileNotFoundError:
                continue
    return frozenset(texts)


def load_all(
    data_dir: str | Path = DEFAULT_DATA_DIR, keys: Sequence[str] | None = None
) -> dict[str, list[Example]]:
    """``load_corpus`` for each of ``keys`` (default: every set), by key."""
    return {key: load_corpus(key, data_dir) for key in (keys or CORPORA)}


def mapping_table(
    data_dir: str | Path = DEFAULT_DATA_DIR,
    examples: Mapping[str, Sequence[Example]] | None = None,
) -> str:
    """A Markdown table of every set for the model card: rows used, mappings and role.

    Pass ``examples`` (key -> examples, as from ``load_all``) to count what a training run
    actually used; sets missing from it are loaded from ``data_dir``.
    """
    lines = ["| set | lang | rows used | sentiment mapping | topic mapping | role |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    sets = dict(examples or {})
    if missing := [key for key in CORPORA if key not in sets]:
        everything = load_all(data_dir)
        sets.update({key: everything[key] for key in missing})
    for key, spec in CORPORA.items():
        loaded = sets[key]
        n = Counter(ex.split for ex in loaded)
        used = f"{len(loaded):,}"
        role = "held-out (evaluated whole)"
        if not spec.held_out:
            used += f" (train {n['train']:,}, tune {n['tune']:,}, dev {n['dev']:,})"
            role = f"train (dev {spec.dev_percent}%, tune {spec.tune_percent}%)"
        if any(ex.weak for ex in loaded):
            role += ", weak labels"
        cells = [key, spec.lang, used, spec.sentiment_mapping, spec.topic_mapping, role]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


__all__ = [
    "CORPORA", "CorpusSpec", "EMOTICON", "Example", "held_out_texts",
    "load_absa_term_en_tshirt_television", "load_absa_term_zh_pyabsa",
    "load_aichallenger2018_fsauor_subset", "load_all", "load_asap_samples", "load_banking77",
    "load_ccf_bdci2018_car_aspect", "load_cfpb_consumer_complaints_sample", "load_corpus",
    "load_ecommerce_dispute_appeals_zh", "load_online_shopping_10_cats",
    "load_semeval_absa_2014_2016", "load_smp2020_ewect", "load_tweeteval_sentiment",
    "load_uci_sentiment_labelled_sentences", "load_waimai_10k", "load_weibo_senti_100k_partial",
    "load_zhijiang2019_ecommerce_opinion", "mapping_table",
]  # fmt: skip
