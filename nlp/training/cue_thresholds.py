"""A second presence threshold per topic for the texts whose words name it.

The network finds the topics it saw many labels for and misses the rare ones: on e5s-lite-7's
tune part it found 38% of English size_fit mentions (precision 0.98), while the lexicon's cue
rules (``nlp.baseline``) found 67% at precision 0.96. The two fail differently: the cue rules
are blind to paraphrase and fire on look-alike words, the network's probability for a rare
topic stays low even where the text names it plainly. So each topic gets two thresholds, one
for texts where its cue fires and one for the rest, chosen together per language on the
annotation set's tune part under the same pair-precision floor as the single threshold.

It replaces the single threshold only when it wins: thresholds chosen on one half of the tune
part are scored on the other, both ways round, against single thresholds chosen the same way
(``two_fold_pair_f1``). The test part is never read. Unlike the older ``cue_shift`` (one shift
per language, chosen on other sets' tune splits), every topic finds its own pair of thresholds.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..labels import DEFAULT_TOPICS
from .two_fold import mean_gain, text_halves, write_choice

GRID = tuple(np.round(np.arange(0.05, 0.96, 0.05), 2))
_POLARITY = {"negative": 1, "neutral": 2, "positive": 3}


def gold_states(items) -> np.ndarray:
    """(N, T) gold topic states of annotated items: 0 absent, 1-3 negative / neutral / positive."""
    gold = np.zeros((len(items), len(DEFAULT_TOPICS)), dtype=np.int8)
    for n, item in enumerate(items):
        for t in item.annotation.topics:
            gold[n, DEFAULT_TOPICS.index(t.topic)] = _POLARITY[t.polarity.value]
    return gold


def cue_matrix(texts: Sequence[str]) -> np.ndarray:
    """(N, T) whether the lexicon's cue rules name each topic in each text."""
    from ..transformer import cue_topics

    return np.array([[t in cues for t in DEFAULT_TOPICS] for cues in map(cue_topics, texts)], dtype=bool).reshape(
        len(texts), len(DEFAULT_TOPICS))  # fmt: skip


def _counts(present: np.ndarray, polarity: np.ndarray, gold: np.ndarray, cued: np.ndarray, pair) -> tuple[int, int]:
    fire = present >= np.where(cued, pair[0], pair[1])
    return int((fire & (polarity == gold)).sum()), int(fire.sum())


def choose_pair(present: np.ndarray, polarity: np.ndarray, gold: np.ndarray, cued: np.ndarray | None,
                min_precision: float, grid: Sequence[float] = GRID) -> tuple[float, float]:  # fmt: skip
    """One topic's (cued, silent) thresholds with the best pair F1 whose pair precision reaches
    ``min_precision`` (ties to the higher thresholds); with ``cued`` None, one threshold for both.

    Args:
        present: (N,) the topic's presence probability; polarity: (N,) its predicted polarity
            (1-3); gold: (N,) its gold state (0 absent); cued: (N,) whether its cue fires.
    """
    cued = np.zeros(len(present), dtype=bool) if cued is None else cued
    pairs = itertools.product(grid, grid) if cued.any() else ((t, t) for t in grid)
    n_gold = int((gold > 0).sum())
    scored = []
    for pair in pairs:
        tp, n_pred = _counts(present, polarity, gold, cued, pair)
        scored.append((2 * tp / (n_pred + n_gold) if n_pred + n_gold else 0.0, tp / n_pred if n_pred else 0.0,
                       float(pair[0]) + float(pair[1]), pair))  # fmt: skip
    allowed = [s for s in scored if s[1] >= min_precision]
    best = max(allowed, key=lambda s: (s[0], s[2])) if allowed else max(scored, key=lambda s: (s[1], s[2]))
    return float(best[3][0]), float(best[3][1])


def choose(topic_probs: np.ndarray, gold: np.ndarray, cues: np.ndarray | None, min_precision: float,
           min_gold: int = 3) -> tuple[dict[str, float], dict[str, float]]:  # fmt: skip
    """Per topic, the silent-cue and the cued thresholds on one language's items (``cues`` None:
    one threshold, returned as both). A topic with fewer than ``min_gold`` gold items keeps 0.5."""
    silent, cued = {}, {}
    for k, topic in enumerate(DEFAULT_TOPICS):
        if int((gold[:, k] > 0).sum()) < min_gold:
            silent[topic] = cued[topic] = 0.5
            continue
        present = 1.0 - topic_probs[:, k, 0]
        polarity = np.argmax(topic_probs[:, k, 1:], -1) + 1
        cued[topic], silent[topic] = choose_pair(present, polarity, gold[:, k], None if cues is None else cues[:, k],
                                                 min_precision)  # fmt: skip
    return silent, cued


def _score(topic_probs, gold, cues, silent: dict, cued: dict) -> tuple[int, int, int]:
    tp = n_pred = 0
    for k, topic in enumerate(DEFAULT_TOPICS):
        present = 1.0 - topic_probs[:, k, 0]
        polarity = np.argmax(topic_probs[:, k, 1:], -1) + 1
        flags = np.zeros(len(present), dtype=bool) if cues is None else cues[:, k]
        t, n = _counts(present, polarity, gold[:, k], flags, (cued[topic], silent[topic]))
        tp, n_pred = tp + t, n_pred + n
    return tp, n_pred, int((gold > 0).sum())


def two_fold_pair_f1(topic_probs: np.ndarray, gold: np.ndarray, langs: np.ndarray, halves: np.ndarray,
                     cues: np.ndarray | None, min_precision: float) -> dict[str, float]:  # fmt: skip
    """Per language, pair F1 with thresholds chosen on one half and scored on the other, both
    ways round; with ``cues``, cue-conditioned thresholds."""
    out = {}
    for lang in sorted(set(langs.tolist())):
        tp = n_pred = n_gold = 0
        for fold in (0, 1):
            choose_rows = (langs == lang) & (halves != fold)
            score_rows = (langs == lang) & (halves == fold)
            pick = (lambda a: None if a is None else a[choose_rows])(cues)
            silent, cued = choose(topic_probs[choose_rows], gold[choose_rows], pick, min_precision)
            t, p, g = _score(topic_probs[score_rows], gold[score_rows], None if cues is None else cues[score_rows],
                             silent, cued)  # fmt: skip
            tp, n_pred, n_gold = tp + t, n_pred + p, n_gold + g
        out[lang] = round(2 * tp / max(1, n_pred + n_gold), 4)
    return out


def add_cue_thresholds(model_dir: Path, cache_dir: Path, data_dir: Path, min_precision: float = 0.70,
                       items: Sequence | None = None) -> dict:  # fmt: skip
    """Choose cue-conditioned thresholds on the tune part (or ``items``) and write them into
    ``model_dir`` when they beat single thresholds two-fold (mean of the languages' pair F1);
    either way the thresholds are chosen again on all of it and the check is kept in the config."""
    from ..annotations.store import load_gold
    from ..transformer import TransformerClassifier

    items = load_gold(data_dir, split="tune") if items is None else items
    texts = [i.text for i in items]
    clf = TransformerClassifier(model_dir, cache_dir=cache_dir, runtime="onnx-fp32")
    _, top = clf.probabilities(texts)
    gold, cues, halves = gold_states(items), cue_matrix(texts), text_halves(texts)
    langs = np.array([i.annotation.lang for i in items])
    report = {"tune_two_fold_pair_f1_single": two_fold_pair_f1(top, gold, langs, halves, None, min_precision),
              "tune_two_fold_pair_f1_cued": two_fold_pair_f1(top, gold, langs, halves, cues, min_precision),
              "min_precision": min_precision, "tune_texts": len(items)}  # fmt: skip
    gain = mean_gain(report["tune_two_fold_pair_f1_single"], report["tune_two_fold_pair_f1_cued"])
    report["kept"] = gain > 0
    silent_by_lang, cued_by_lang = {}, {}
    for lang in sorted(set(langs.tolist())):
        rows = langs == lang
        silent_by_lang[lang], cued_by_lang[lang] = choose(top[rows], gold[rows], cues[rows] if gain > 0 else None,
                                                          min_precision)  # fmt: skip
    chosen_on = {"part": "annotation set tune", "items": len(items), "min_precision": min_precision,
                 "by": "add-cue-thresholds"}  # fmt: skip
    write_choice(model_dir, "cued_thresholds_by_lang", cued_by_lang, "cue_thresholds_check", report,
                 also={"topic_thresholds_by_lang": silent_by_lang, "thresholds_chosen_on": chosen_on})  # fmt: skip
    return report

__all__ = ["add_cue_thresholds", "choose", "choose_pair", "cue_matrix", "gold_states", "two_fold_pair_f1"]
