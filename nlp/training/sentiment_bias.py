"""Per-language offsets on the sentiment head's log-probabilities, chosen on the tune part.

The sentiment head is trained on a mix where the existing sets' labels are binary (a review is
positive or negative) and star ratings map 3 to neutral, so neutral is rarer in training than in
the annotation set, where an overall verdict of "one plus, one minus" is neutral. On e5s-lite-7's
tune part the head said neutral too rarely in Chinese: macro-F1 0.741, and 0.765 with neutral
moved up by 1.5-1.75 (chosen on one half, scored on the other). Moving a class's log-probability
by a constant changes no ranking within the class; it only moves the borders between classes.

Offsets are chosen per language to maximise macro-F1 on the annotation set's tune part and kept
only when they win there two-fold (chosen on one half, scored on the other, both ways round). The
test part is never read.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..calibration import biased
from .two_fold import mean_gain, text_halves, write_choice

GRID = tuple(np.round(np.arange(-1.5, 3.01, 0.25), 2))
_CLASS = {"negative": 0, "neutral": 1, "positive": 2}


def macro_f1(gold: np.ndarray, predicted: np.ndarray) -> float:
    """Macro-F1 over the three classes (a class absent from both counts as 0, as scikit-learn's)."""
    scores = []
    for c in range(3):
        tp = int(((gold == c) & (predicted == c)).sum())
        denom = int((gold == c).sum() + (predicted == c).sum())
        scores.append(2 * tp / denom if denom else 0.0)
    return float(np.mean(scores))


def choose(sentiment_probs: np.ndarray, gold: np.ndarray, grid: Sequence[float] = GRID) -> tuple[float, float, float]:
    """The (0, neutral, positive) offsets with the best macro-F1; ties to the smallest offsets."""
    logp = np.log(np.clip(sentiment_probs, 1e-9, None))
    best = max(itertools.product(grid, grid),
               key=lambda b: (macro_f1(gold, np.argmax(logp + np.r_[0.0, b], -1)), -abs(b[0]) - abs(b[1])))  # fmt: skip
    return 0.0, float(best[0]), float(best[1])


def two_fold_macro_f1(sentiment_probs: np.ndarray, gold: np.ndarray, langs: np.ndarray, halves: np.ndarray,
                      with_bias: bool) -> dict[str, float]:  # fmt: skip
    """Per language, macro-F1 with offsets chosen on one half and scored on the other (or none)."""
    out = {}
    for lang in sorted(set(langs.tolist())):
        golds, preds = [], []
        for fold in (0, 1):
            pick = (langs == lang) & (halves != fold)
            score = (langs == lang) & (halves == fold)
            bias = choose(sentiment_probs[pick], gold[pick]) if with_bias else (0.0, 0.0, 0.0)
            golds.append(gold[score])
            preds.append(np.argmax(biased(sentiment_probs[score], bias), -1))
        out[lang] = round(macro_f1(np.concatenate(golds), np.concatenate(preds)), 4)
    return out


def add_sentiment_bias(model_dir: Path, cache_dir: Path, data_dir: Path, items: Sequence | None = None) -> dict:
    """Choose per-language sentiment offsets on the tune part (or ``items``) and write them into
    ``model_dir`` when they beat none two-fold (mean of the languages' macro-F1)."""
    from ..annotations.store import load_gold
    from ..transformer import TransformerClassifier

    items = load_gold(data_dir, split="tune") if items is None else items
    texts = [i.text for i in items]
    clf = TransformerClassifier(model_dir, cache_dir=cache_dir, runtime="onnx-fp32")
    sent, _ = clf.probabilities(texts)
    gold = np.array([_CLASS[i.annotation.sentiment.value] for i in items])
    langs, halves = np.array([i.annotation.lang for i in items]), text_halves(texts)
    report = {"tune_two_fold_macro_f1_plain": two_fold_macro_f1(sent, gold, langs, halves, False),
              "tune_two_fold_macro_f1_biased": two_fold_macro_f1(sent, gold, langs, halves, True),
              "tune_texts": len(items)}  # fmt: skip
    report["kept"] = mean_gain(report["tune_two_fold_macro_f1_plain"], report["tune_two_fold_macro_f1_biased"]) > 0
    bias = {lang: dict(zip(_CLASS, choose(sent[langs == lang], gold[langs == lang]), strict=True))
            for lang in sorted(set(langs.tolist()))}  # fmt: skip
    write_choice(model_dir, "sentiment_bias_by_lang", bias, "sentiment_bias_check", report)
    return report

__all__ = ["add_sentiment_bias", "choose", "macro_f1", "two_fold_macro_f1"]
