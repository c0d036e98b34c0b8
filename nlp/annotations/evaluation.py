"""Score a classifier on the annotation set: per language, per domain, per topic.

These are the figures that predict unseen feedback: the items come from many shops and
platforms, are labelled under one set of rules, and the test part is never used to choose
anything. Scored the same way for every model (lexicon, transformer):

- topic-polarity pairs: micro precision, recall and F1 over (topic, polarity) pairs;
- where the pairs are lost: topic detection (the topic, any polarity) and, on the annotated topics
  the model found, how often it gave the annotated polarity (pair F1 is close to their product);
- per topic: precision and recall of the pair, with gold and predicted counts, so a topic
  that over-fires shows at once;
- sentiment: 3-class accuracy and macro-F1, on all items and on items whose set has stars;
- evidence: for correctly found topics, how often the model's span overlaps the annotated one
  (only for models that return spans).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..training.evaluation import accuracy, macro_f1
from ..labels import Polarity
from .store import AnnotatedText

POLARITIES = [Polarity.negative, Polarity.neutral, Polarity.positive]


@dataclass
class PairCounts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class GroupScore:
    """Scores of one group of items (a language, a domain)."""

    name: str
    n: int = 0
    pairs: PairCounts = field(default_factory=PairCounts)
    #: topics found whatever their polarity, and of the annotated ones found, those with its polarity
    detection: PairCounts = field(default_factory=PairCounts)
    polarity_right: int = 0

    @property
    def polarity_accuracy(self) -> float:
        return self.polarity_right / self.detection.tp if self.detection.tp else 0.0
    sentiment_accuracy: float = 0.0
    sentiment_macro_f1: float = 0.0
    starred_n: int = 0
    starred_macro_f1: float | None = None

    def as_dict(self) -> dict:
        return {"name": self.name, "n": self.n, "pair_precision": round(self.pairs.precision, 4),
                "pair_recall": round(self.pairs.recall, 4), "pair_f1": round(self.pairs.f1, 4),
                "topic_f1": round(self.detection.f1, 4), "polarity_accuracy": round(self.polarity_accuracy, 4),
                "sentiment_accuracy": round(self.sentiment_accuracy, 4),
                "sentiment_macro_f1": round(self.sentiment_macro_f1, 4), "starred_n": self.starred_n,
                "starred_macro_f1": None if self.starred_macro_f1 is None else round(self.starred_macro_f1, 4)}  # fmt: skip


@dataclass
class AnnotatedReport:
    """A model's scores on one part of the annotation set."""

    model: str
    split: str
    languages: list[GroupScore]
    domains: list[GroupScore]
    topics: dict[str, dict[str, dict]]  # lang -> topic -> {gold, predicted, precision, recall}
    evidence_overlap: dict[str, float | None]  # lang -> share of correct topics whose spans overlap

    def as_dict(self) -> dict:
        return {"model": self.model, "split": self.split,
                "languages": [g.as_dict() for g in self.languages],
                "domains": [g.as_dict() for g in self.domains], "topics": self.topics,
                "evidence_overlap": self.evidence_overlap}  # fmt: skip


def _pairs(topics) -> set[tuple[str, Polarity]]:
    return {(t.topic, t.polarity) for t in topics}


def _score(name: str, items: Sequence[AnnotatedText], preds: Sequence) -> GroupScore:
    g = GroupScore(name, len(items))
    for item, pred in zip(items, preds):
        gold, got = _pairs(item.annotation.topics), _pairs(pred.topics)
        g.pairs.tp += len(gold & got)
        g.pairs.fp += len(got - gold)
        g.pairs.fn += len(gold - got)
        gold_t, got_t = dict(gold), dict(got)
        found = gold_t.keys() & got_t.keys()
        g.detection.tp += len(found)
        g.detection.fp += len(got_t.keys() - found)
        g.detection.fn += len(gold_t.keys() - found)
        g.polarity_right += sum(gold_t[t] == got_t[t] for t in found)
    gold_s = [i.annotation.sentiment for i in items]
    pred_s = [p.sentiment.label for p in preds]
    if items:
        g.sentiment_accuracy = accuracy(gold_s, pred_s)
        g.sentiment_macro_f1 = macro_f1(gold_s, pred_s, POLARITIES)
    starred = [(a, b) for i, a, b in zip(items, gold_s, pred_s) if "stars" in i.meta]
    g.starred_n = len(starred)
    if starred:
        g.starred_macro_f1 = macro_f1([a for a, _ in starred], [b for _, b in starred], POLARITIES)
    return g


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score_annotated(model: str, split: str, items: Sequence[AnnotatedText], preds: Sequence) -> AnnotatedReport:
    """Compare predictions (one ``Classification`` per item, same order) with the gold labels."""
    by_lang: dict[str, list[int]] = defaultdict(list)
    by_domain: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        by_lang[item.annotation.lang].append(i)
        by_domain[f"{item.annotation.lang}/{item.annotation.domain}"].append(i)

    def group(name: str, idx: Iterable[int]) -> GroupScore:
        idx = list(idx)
        return _score(name, [items[i] for i in idx], [preds[i] for i in idx])

    topics: dict[str, dict[str, dict]] = {}
    evidence: dict[str, float | None] = {}
    for lang, idx in sorted(by_lang.items()):
        gold_n, pred_n, hit = Counter(), Counter(), Counter()
        overlap, spanned = 0, 0
        for i in idx:
            gold = {t.topic: t for t in items[i].annotation.topics}
            for t in preds[i].topics:
                pred_n[t.topic] += 1
                g = gold.get(t.topic)
                if g is not None and g.polarity == t.polarity:
                    hit[t.topic] += 1
                    span = getattr(t, "evidence", None)
                    if span is not None:
                        spanned += 1
                        overlap += _overlaps((span[0], span[1]), (g.start, g.end))
            gold_n.update(gold.keys())
        topics[lang] = {
            t: {"gold": gold_n[t], "predicted": pred_n[t], "correct": hit[t],
                "precision": round(hit[t] / pred_n[t], 4) if pred_n[t] else None,
                "recall": round(hit[t] / gold_n[t], 4) if gold_n[t] else None}
            for t in sorted(set(gold_n) | set(pred_n))
        }  # fmt: skip
        evidence[lang] = overlap / spanned if spanned else None
    return AnnotatedReport(
        model=model, split=split,
        languages=[group(lang, idx) for lang, idx in sorted(by_lang.items())],
        domains=[group(d, idx) for d, idx in sorted(by_domain.items())],
        topics=topics, evidence_overlap=evidence,
    )  # fmt: skip


def evaluate_annotated(clf, items: Sequence[AnnotatedText], split: str) -> AnnotatedReport:
    """Classify the items' texts with ``clf`` and score them."""
    preds = clf.classify_batch([i.text for i in items]) if items else []
    return score_annotated(getattr(clf, "version", getattr(clf, "name", "model")), split, items, preds)


def format_annotated(report: AnnotatedReport) -> str:
    """Plain-text tables for the CLI and the model card."""
    head = (f"{'':<30}{'n':>5}  {'pair P':>6}  {'pair R':>6}  {'pair F1':>7}  {'topic F1':>8}  {'pol acc':>7}  "
            f"{'sent acc':>8}  {'sent mF1':>8}  {'stars mF1':>9}")  # fmt: skip

    def row(g: GroupScore) -> str:
        stars = f"{g.starred_macro_f1:>9.3f}" if g.starred_macro_f1 is not None else f"{'-':>9}"
        return (f"{g.name:<30}{g.n:>5}  {g.pairs.precision:>6.3f}  {g.pairs.recall:>6.3f}  {g.pairs.f1:>7.3f}  "
                f"{g.detection.f1:>8.3f}  {g.polarity_accuracy:>7.3f}  "
                f"{g.sentiment_accuracy:>8.3f}  {g.sentiment_macro_f1:>8.3f}  {stars}")  # fmt: skip

    lines = [f"model {report.model}, annotation set, {report.split} part", "", head]
    lines += [row(g) for g in report.languages] + [""] + [row(g) for g in report.domains]
    for lang, per in report.topics.items():
        lines += ["", f"{lang} topics (gold / predicted / correct pairs, precision, recall):"]
        for t, c in per.items():
            p = "-" if c["precision"] is None else f"{c['precision']:.2f}"
            r = "-" if c["recall"] is None else f"{c['recall']:.2f}"
            lines.append(f"  {t:<18}{c['gold']:>5}{c['predicted']:>6}{c['correct']:>6}   P {p:>4}  R {r:>4}")
        ev = report.evidence_overlap.get(lang)
        lines.append(f"  evidence spans overlapping the annotated quote: {'-' if ev is None else f'{ev:.3f}'}")
    return "\n".join(lines)


def agreement(annotations: Iterable) -> dict[str, dict[str, float]]:
    """Inter-annotator agreement on items labelled twice, independently, per language.

    The first and second annotators' labels are compared as gold and prediction (pair F1 is
    symmetric): pair micro-F1 over (topic, polarity), topic-detection F1 ignoring polarity,
    and sentiment accuracy. Adjudicated lines are not annotators and are left out.
    """
    from .store import ADJUDICATED

    by_pointer: dict[tuple, list] = defaultdict(list)
    for a in annotations:
        if a.annotator != ADJUDICATED:
            by_pointer[a.pointer].append(a)
    out: dict[str, dict[str, float]] = {}
    for lang in ("zh", "en"):
        twice = [v[:2] for v in by_pointer.values() if len(v) >= 2 and v[0].lang == lang]
        pairs, detect = PairCounts(), PairCounts()
        same = 0
        for a, b in twice:
            pa, pb = a.pairs(), b.pairs()
            pairs.tp, pairs.fp, pairs.fn = pairs.tp + len(pa & pb), pairs.fp + len(pb - pa), pairs.fn + len(pa - pb)
            ta, tb = {t for t, _ in pa}, {t for t, _ in pb}
            detect.tp, detect.fp, detect.fn = detect.tp + len(ta & tb), detect.fp + len(tb - ta), detect.fn + len(ta - tb)
            same += a.sentiment == b.sentiment
        if twice:
            out[lang] = {"items": len(twice), "pair_f1": round(pairs.f1, 4), "topic_detection_f1": round(detect.f1, 4),
                         "sentiment_accuracy": round(same / len(twice), 4)}  # fmt: skip
    return out
