"""Metrics, deterministic splits and data-set loaders for evaluating classifiers.

Every voclens model (the lexicon baseline now, the transformer later) is scored
with these functions on the same dev splits, so their figures compare directly.
Metrics are pure functions over plain Python values; loaders read the shared
data folder in place (``../shared/data`` next to the repository) and never copy
it: several sets are research-only and must not ship inside the project.

Splits are by a hash of the text, not by row order or a random seed, so a row
keeps its split when a file is re-ordered or extended, and duplicated texts can
never sit on both sides of the split.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence, Sized
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ..labels import Polarity

T = TypeVar("T")
L = TypeVar("L", bound=Hashable)

#: ``../shared/data`` relative to the repository root.
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data"

# -- metrics --------------------------------------------------------------------------


@dataclass(frozen=True)
class PRF:
    """Precision, recall, F1 and the gold count (support) of one class or of a pool."""

    precision: float
    recall: float
    f1: float
    support: int


def _prf(tp: int, n_pred: int, n_gold: int) -> PRF:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return PRF(p, r, f, n_gold)


def accuracy(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> float:
    """Share of positions where ``pred`` equals ``gold``; 0.0 for empty input."""
    _same_length(gold, pred)
    return sum(g == p for g, p in zip(gold, pred)) / len(gold) if gold else 0.0


def per_class_prf(
    gold: Sequence[L], pred: Sequence[L], labels: Iterable[L] | None = None
) -> dict[L, PRF]:
    """Precision/recall/F1 of each class in single-label predictions."""
    _same_length(gold, pred)
    labels = list(labels) if labels is not None else sorted(set(gold) | set(pred), key=str)
    tp, n_pred, n_gold = Counter(), Counter(pred), Counter(gold)
    for g, p in zip(gold, pred):
        if g == p:
            tp[g] += 1
    return {c: _prf(tp[c], n_pred[c], n_gold[c]) for c in labels}


def macro_f1(gold: Sequence[L], pred: Sequence[L], labels: Iterable[L] | None = None) -> float:
    """Unweighted mean F1 over ``labels`` (default: every class seen in gold or pred)."""
    scores = per_class_prf(gold, pred, labels)
    return sum(s.f1 for s in scores.values()) / len(scores) if scores else 0.0


def confusion_matrix(
    gold: Sequence[L], pred: Sequence[L], labels: Sequence[L]
) -> list[list[int]]:
    """``matrix[i][j]`` counts items of gold class ``labels[i]`` predicted as ``labels[j]``."""
    _same_length(gold, pred)
    index = {c: i for i, c in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, pred):
        if g in index and p in index:
            matrix[index[g]][index[p]] += 1
    return matrix


@dataclass(frozen=True)
class SetScores:
    """Scores of multi-label predictions (sets of labels per item)."""

    micro: PRF
    macro_f1: float
    per_group: dict[Hashable, PRF]


def set_scores(
    gold: Sequence[Iterable[L]],
    pred: Sequence[Iterable[L]],
    group: Callable[[L], Hashable] | None = None,
) -> SetScores:
    """Micro and macro scores for multi-label outputs such as (topic, polarity) pairs.

    A predicted label counts only if it is exactly in the gold set of its item.
    ``group`` maps a label to the class it is reported under: with
    ``group=lambda pair: pair[0]`` the per-group scores are per topic, and a
    topic found with the wrong polarity is both a false positive and a false
    negative of that topic. Macro F1 averages the groups that have gold support,
    so a topic the data never mentions cannot drag it down or prop it up.
    """
    _same_length(gold, pred)
    group = group or (lambda label: label)
    tp, n_pred, n_gold = Counter(), Counter(), Counter()
    for g_items, p_items in zip(gold, pred):
        g_set, p_set = set(g_items), set(p_items)
        for label in g_set:
            n_gold[group(label)] += 1
        for label in p_set:
            n_pred[group(label)] += 1
            if label in g_set:
                tp[group(label)] += 1
    groups = sorted(set(n_gold) | set(n_pred), key=str)
    per_group = {k: _prf(tp[k], n_pred[k], n_gold[k]) for k in groups}
    micro = _prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values()))
    supported = [s.f1 for s in per_group.values() if s.support]
    return SetScores(micro, sum(supported) / len(supported) if supported else 0.0, per_group)


def _same_length(a: Sized, b: Sized) -> None:
    if len(a) != len(b):
        raise ValueError(f"gold and pred differ in length: {len(a)} != {len(b)}")


# -- splits ---------------------------------------------------------------------------


def split_of(key: str, dev_percent: int = 10, tune_percent: int = 10) -> str:
    """``"dev"``, ``"tune"`` or ``"train"`` for ``key`` (usually the text itself).

    The first 8 bytes of the MD5 of ``key`` modulo 100 give a bucket: buckets
    below ``dev_percent`` are dev (report figures here, never tune on it), the
    next ``tune_percent`` are tune (tune rules, thresholds or early stopping),
    the rest train. MD5 is stable across processes, unlike ``hash()``.
    """
    if not 0 <= dev_percent + tune_percent <= 100:
        raise ValueError("dev_percent + tune_percent must lie in [0, 100]")
    bucket = int.from_bytes(hashlib.md5(key.encode("utf-8")).digest()[:8], "big") % 100
    if bucket < dev_percent:
        return "dev"
    if bucket < dev_percent + tune_percent:
        return "tune"
    return "train"


def split_rows(
    rows: Iterable[T], key: Callable[[T], str], dev_percent: int = 10, tune_percent: int = 10
) -> dict[str, list[T]]:
    """Group ``rows`` into ``{"train": [...], "tune": [...], "dev": [...]}`` by ``split_of``."""
    out: dict[str, list[T]] = {"train": [], "tune": [], "dev": []}
    for row in rows:
        out[split_of(key(row), dev_percent, tune_percent)].append(row)
    return out


# -- loaders --------------------------------------------------------------------------


@dataclass(frozen=True)
class BinaryReview:
    """A review with a binary sentiment label (1 positive, 0 negative)."""

    text: str
    label: int
    category: str


def load_online_shopping(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[BinaryReview]:
    """Read ``online_shopping_10_cats.csv`` (cat,label,review), skipping empty reviews.

    The file's byte-order mark sits in the first review field rather than at
    the start of the file, so BOMs are stripped from every field.
    """
    path = Path(data_dir) / "online_shopping_10_cats" / "online_shopping_10_cats.csv"
    rows = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for rec in csv.DictReader(fh):
            text = (rec.get("review") or "").replace("\ufeff", "").strip()
            label = (rec.get("label") or "").strip()
            if not text or label not in ("0", "1"):
                continue
            rows.append(BinaryReview(text, int(label), (rec.get("cat") or "").strip()))
    return rows


#: Zhijiang opinion categories -> taxonomy topics; 整体 and 其他 name no aspect.
ZHIJIANG_TOPICS: dict[str, str | None] = {
    "物流": "logistics", "包装": "packaging", "价格": "price", "真伪": "authenticity",
    "服务": "customer_service", "尺寸": "size_fit", "使用体验": "usability",
    "功效": "quality", "气味": "quality", "新鲜度": "quality", "成分": "quality",
    "整体": None, "其他": None,
}  # fmt: skip
_ZH_POLARITY = {"正面": Polarity.positive, "负面": Polarity.negative, "中性": Polarity.neutral}


@dataclass(frozen=True)
class AspectReview:
    """A review with gold (topic, polarity) pairs and a derived overall sentiment."""

    id: str
    text: str
    topics: frozenset[tuple[str, Polarity]]
    sentiment: Polarity


def resolve_polarity(polarities: Iterable[Polarity]) -> Polarity:
    """One polarity from several opinions on the same thing.

    Positive and negative opinions are counted and the larger side wins; a
    tie, or only neutral opinions, gives neutral ("mixed with no dominant
    side", as shared/TAXONOMY.md defines overall neutral). Used both for a
    topic that gets conflicting polarities in one review and for the overall
    sentiment of a review, which counts all its opinions, 整体/其他 included.
    """
    counts = Counter(polarities)
    pos, neg = counts[Polarity.positive], counts[Polarity.negative]
    if pos > neg:
        return Polarity.positive
    if neg > pos:
        return Polarity.negative
    return Polarity.neutral


def load_zhijiang(data_dir: str | Path = DEFAULT_DATA_DIR) -> list[AspectReview]:
    """Read the Zhijiang 2019 reviews and their opinion rows as taxonomy gold sets."""
    folder = Path(data_dir) / "zhijiang2019_ecommerce_opinion"
    with open(folder / "Train_reviews.csv", encoding="utf-8-sig", newline="") as fh:
        texts = {r["id"].strip(): r["Reviews"].strip() for r in csv.DictReader(fh)}
    by_topic: dict[str, dict[str, list[Polarity]]] = defaultdict(lambda: defaultdict(list))
    overall: dict[str, list[Polarity]] = defaultdict(list)
    with open(folder / "Train_labels.csv", encoding="utf-8-sig", newline="") as fh:
        for rec in csv.DictReader(fh):
            rid = rec["id"].strip()
            polarity = _ZH_POLARITY.get(rec["Polarities"].strip())
            if polarity is None:
                continue
            overall[rid].append(polarity)
            topic = ZHIJIANG_TOPICS.get(rec["Categories"].strip())
            if topic:
                by_topic[rid][topic].append(polarity)
    reviews = []
    for rid, text in texts.items():
        if not text or rid not in overall:
            continue
        pairs = frozenset((t, resolve_polarity(p)) for t, p in by_topic[rid].items())
        reviews.append(AspectReview(rid, text, pairs, resolve_polarity(overall[rid])))
    return reviews


__all__ = [
    "AspectReview", "BinaryReview", "DEFAULT_DATA_DIR", "PRF", "SetScores", "ZHIJIANG_TOPICS",
    "accuracy", "confusion_matrix", "load_online_shopping", "load_zhijiang", "macro_f1",
    "per_class_prf", "resolve_polarity", "set_scores", "split_of", "split_rows",
]  # fmt: skip
