"""Score any classifier on the dev splits of the shared labelled sets.

``voclens model eval`` prints these reports; the model card quotes them. Every
model (the lexicon baseline, the transformer on either runtime) goes through
the same code on the same dev splits, so the figures compare directly.

Scoring rules, the same for every model:
- Binary-gold sets (online_shopping, waimai, uci): a model that exposes
  probabilities decides between negative and positive only; one that does
  not counts a neutral prediction as negative (the baseline's rule).
- Three-class sets: accuracy and macro-F1 over negative / neutral / positive.
- Topic sets: micro- and macro-F1 over (topic, polarity) pairs, counting every
  predicted pair, also topics the set's scheme does not annotate (strict).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .evaluation import DEFAULT_DATA_DIR, accuracy, confusion_matrix, macro_f1, set_scores
from ..labels import Polarity

#: Sets scored by ``voclens model eval`` and what each is for.
EVAL_SETS: dict[str, str] = {
    "online_shopping_10_cats": "zh product reviews, binary sentiment (target accuracy >= 0.93)",
    "waimai_10k": "zh food-delivery reviews, binary sentiment",
    "smp2020_ewect": "zh Weibo posts, 3-class sentiment (target macro-F1 >= 0.75)",
    "zhijiang2019_ecommerce_opinion": "zh cosmetics reviews, topic-polarity pairs (target micro-F1 >= 0.75)",
    "uci_sentiment_labelled_sentences": "en, held out from training, binary (target accuracy >= 0.90)",
    "tweeteval_sentiment": "en tweets, 3-class sentiment",
    "semeval_absa_2014_2016": "en restaurant and laptop reviews, topic-polarity pairs",
}
POLARITIES = [Polarity.negative, Polarity.neutral, Polarity.positive]


@dataclass
class SetReport:
    """Scores of one model on one set's dev split."""

    key: str
    n: int
    metrics: dict[str, float] = field(default_factory=dict)
    confusion: list[list[int]] | None = None
    topic_errors: list[tuple[str, int, int]] = field(default_factory=list)  # (topic, missed, spurious)
    seconds: float = 0.0


def _sentiment_predictions(clf, texts: Sequence[str], binary: bool):
    """Predicted polarity per text; binary sets use P(neg) vs P(pos) when available."""
    if binary and hasattr(clf, "probabilities"):
        probs, topics = clf.probabilities(texts)
        return [Polarity.positive if p[2] >= p[0] else Polarity.negative for p in probs], None
    preds = clf.classify_batch(list(texts))
    labels = [p.sentiment.label for p in preds]
    if binary:
        labels = [Polarity.positive if lab is Polarity.positive else Polarity.negative for lab in labels]
    return labels, preds


def evaluate_set(clf, key: str, data_dir: str | Path = DEFAULT_DATA_DIR, limit: int | None = None) -> SetReport:
    """Score ``clf`` on the dev split of set ``key``."""
    import time

    from .corpora import load_corpus

    rows = [e for e in load_corpus(key, data_dir) if e.split == "dev"]
    if limit and len(rows) > limit:  # spread over the file: sets are often sorted by label
        rows = rows[:: len(rows) // limit][:limit]
    report = SetReport(key, len(rows))
    started = time.perf_counter()
    with_sent = [e for e in rows if e.sentiment is not None]
    binary = bool(with_sent) and all(e.sentiment is not Polarity.neutral for e in with_sent)
    preds = None
    if with_sent:
        pred, preds = _sentiment_predictions(clf, [e.text for e in with_sent], binary)
        gold = [e.sentiment for e in with_sent]
        labels = [Polarity.negative, Polarity.positive] if binary else POLARITIES
        report.metrics["sentiment_accuracy"] = accuracy(gold, pred)
        report.metrics["sentiment_macro_f1"] = macro_f1(gold, pred, labels)
        report.confusion = confusion_matrix(gold, pred, labels)
    topical = [e for e in rows if e.covered]
    if topical:
        if preds is None or len(with_sent) != len(rows):
            preds = clf.classify_batch([e.text for e in topical])
        else:
            preds = [p for e, p in zip(with_sent, preds) if e.covered]
        gold_pairs = [set(e.topics.items()) for e in topical]
        pred_pairs = [{(t.topic, t.polarity) for t in p.topics} for p in preds]
        pairs = set_scores(gold_pairs, pred_pairs, group=lambda pair: pair[0])
        detect = set_scores([{t for t, _ in g} for g in gold_pairs], [{t for t, _ in p} for p in pred_pairs])
        report.metrics.update(topic_micro_precision=pairs.micro.precision, topic_micro_recall=pairs.micro.recall,
                              topic_micro_f1=pairs.micro.f1, topic_macro_f1=pairs.macro_f1,
                              topic_detection_f1=detect.micro.f1)  # fmt: skip
        missed, spurious = Counter(), Counter()
        for g, p in zip(gold_pairs, pred_pairs):
            missed.update(t for t, _ in g - p)
            spurious.update(t for t, _ in p - g)
        worst = sorted(set(missed) | set(spurious), key=lambda t: -(missed[t] + spurious[t]))[:5]
        report.topic_errors = [(t, missed[t], spurious[t]) for t in worst]
    report.seconds = time.perf_counter() - started
    return report


def format_report(model_version: str, reports: Sequence[SetReport]) -> str:
    """Plain-text tables: one line per set, then the confusion summaries."""
    lines = [f"model {model_version}", "",
             f"{'set':<34}{'n':>6}  {'sent acc':>8}  {'sent mF1':>8}  {'topic µF1':>9}  {'topic mF1':>9}"]  # fmt: skip
    for r in reports:
        m = r.metrics

        def cell(name, width):
            return f"{m[name]:>{width}.4f}" if name in m else " " * (width - 1) + "-"

        lines.append(f"{r.key:<34}{r.n:>6}  {cell('sentiment_accuracy', 8)}  {cell('sentiment_macro_f1', 8)}  "
                     f"{cell('topic_micro_f1', 9)}  {cell('topic_macro_f1', 9)}")  # fmt: skip
    for r in reports:
        if r.confusion:
            names = ["neg", "pos"] if len(r.confusion) == 2 else ["neg", "neu", "pos"]
            lines += ["", f"{r.key}: sentiment confusion (rows gold, columns predicted: {' '.join(names)})"]
            lines += [f"  {n:<4}" + " ".join(f"{v:>6}" for v in row) for n, row in zip(names, r.confusion)]
        if r.topic_errors:
            lines.append(f"{r.key}: topics with most errors (missed / spurious pairs): "
                         + ", ".join(f"{t} {a}/{b}" for t, a, b in r.topic_errors))  # fmt: skip
    return "\n".join(lines)


def choose_default_runtime(candidates: dict[str, Sequence[SetReport]], reference: Sequence[SetReport],
                           tolerance: float = 0.005) -> tuple[str, dict[str, float]]:  # fmt: skip
    """The first runtime of ``candidates`` (fastest first) whose scores stay within ``tolerance`` of torch.

    ``candidates`` maps a runtime to its reports on the same sets as
    ``reference`` (torch). Returns the choice ("torch" when none qualifies)
    and, per candidate, the largest fall of any metric (negative: it scored
    higher than torch).
    """
    drops: dict[str, float] = {}
    for runtime, reports in candidates.items():
        worst = -1.0
        for a, b in zip(reports, reference, strict=True):
            for name, value in b.metrics.items():
                if name in a.metrics and not name.startswith("topic_micro_p") and not name.startswith("topic_micro_r"):
                    worst = max(worst, value - a.metrics[name])
        drops[runtime] = worst
    choice = next((rt for rt, worst in drops.items() if worst <= tolerance), "torch")
    return choice, drops


__all__ = ["EVAL_SETS", "SetReport", "choose_default_runtime", "evaluate_set", "format_report"]
