"""Choose how far the baseline's cue rules move the transformer's topic thresholds.

The network and the cue rules fail differently: the network misses topics
it saw few labels for and over-reports some in English, the cue rules are
precise where they fire and blind elsewhere. ``shifted_thresholds`` lowers
a topic's threshold when its cue fires and raises it when the cue is silent;
this module picks the two shifts that maximise the mean topic-pair micro-F1
over the tune splits of every set with human topic labels. Dev splits are
never read here, so the dev figures in the model card stay honest.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .evaluation import DEFAULT_DATA_DIR, set_scores
from ..model_layout import SENTIMENT_LABELS

log = logging.getLogger(__name__)

#: Sets whose tune splits carry human topic labels (asap_samples has 26 tune rows: too few).
CUE_TUNE_SETS = (
    "zhijiang2019_ecommerce_opinion",
    "semeval_absa_2014_2016",
    "absa_term_en_tshirt_television",
    "ccf_bdci2018_car_aspect",
    "aichallenger2018_fsauor_subset",
    "banking77",
)
GRID_PRESENT = tuple(np.round(np.arange(0.0, 0.41, 0.05), 2))
GRID_ABSENT = tuple(np.round(np.arange(0.0, 0.41, 0.05), 2))


@dataclass
class TuneSet:
    """One set's tune rows: network outputs, cue topics and gold pairs."""

    key: str
    presence: np.ndarray  # (N, T): 1 - P(absent)
    polarity: np.ndarray  # (N, T): index into SENTIMENT_LABELS of the likeliest present state
    cues: list[set[str]]
    gold: list[set[tuple[str, str]]]
    covered: list[frozenset[str]]

    def only(self, keep: np.ndarray) -> TuneSet:
        """The rows where ``keep`` is true."""
        idx = np.flatnonzero(keep)
        return TuneSet(self.key, self.presence[idx], self.polarity[idx], [self.cues[i] for i in idx],
                       [self.gold[i] for i in idx], [self.covered[i] for i in idx])  # fmt: skip


def predicted_pairs(ts: TuneSet, thresholds: np.ndarray, topics: Sequence[str],
                    shift: tuple[float, float]) -> list[set[tuple[str, str]]]:  # fmt: skip
    """(topic, polarity) pairs per row, as ``TransformerClassifier.classify_batch`` would give them,
    restricted to the topics the row's scheme annotates (the others are unknown, not absent)."""
    from ..transformer import shifted_thresholds

    out = []
    for i, cues in enumerate(ts.cues):
        th = shifted_thresholds(thresholds, topics, cues, shift)
        out.append({(t, SENTIMENT_LABELS[ts.polarity[i, k]]) for k, t in enumerate(topics)
                    if ts.presence[i, k] >= th[k] and t in ts.covered[i]})  # fmt: skip
    return out


def choose_cue_shift(sets: Sequence[TuneSet], thresholds: np.ndarray, topics: Sequence[str],
                     grid_present: Sequence[float] = GRID_PRESENT,
                     grid_absent: Sequence[float] = GRID_ABSENT) -> tuple[tuple[float, float], dict]:  # fmt: skip
    """The shift with the best mean micro-F1 over ``sets`` (ties: the smaller shift), and every score.

    Only topics a set annotates are scored: a banking question that mentions
    the app may well be about app_website, which banking77 does not label.
    (``voclens model eval`` is stricter and counts such predictions as wrong;
    tuning on that rule would mostly teach the shift to silence topics.)
    """
    scores: dict[tuple[float, float], dict[str, float]] = {}
    for shift in itertools.product(grid_present, grid_absent):
        shift = (float(shift[0]), float(shift[1]))
        scores[shift] = {
            ts.key: set_scores(ts.gold, predicted_pairs(ts, thresholds, topics, shift)).micro.f1 for ts in sets
        }
    best = max(scores, key=lambda s: (round(float(np.mean(list(scores[s].values()))), 6), -s[0] - s[1]))
    return best, scores


def collect_tune_sets(clf, keys: Sequence[str] = CUE_TUNE_SETS, data_dir: str | Path = DEFAULT_DATA_DIR,
                      progress: Callable[[str, int], None] | None = None) -> dict[str, list[TuneSet]]:  # fmt: skip
    """Run ``clf`` (a ``TransformerClassifier``) over the tune rows with human topic labels of ``keys``.

    Returns the sets per language of their rows (``detect_lang``, as at
    inference): the cue rules are not equally good in both languages, so each
    language gets its own shift.
    """
    from ..analyser import detect_lang

    from .corpora import load_corpus
    from ..transformer import cue_topics

    out: dict[str, list[TuneSet]] = {}
    for key in keys:
        rows = [e for e in load_corpus(key, data_dir) if e.split == "tune" and e.covered and not e.weak]
        if not rows:
            continue
        texts = [e.text for e in rows]
        _, top = clf.probabilities(texts)
        whole = TuneSet(
            key=key,
            presence=1.0 - top[:, :, 0],
            polarity=np.argmax(top[:, :, 1:], axis=2),
            cues=[cue_topics(t) for t in texts],
            gold=[{(t, p.value) for t, p in e.topics.items()} for e in rows],
            covered=[frozenset(e.covered) for e in rows],
        )
        langs = np.array([detect_lang(t) for t in texts])
        for lang in ("zh", "en"):
            part = whole.only(langs == lang)
            if len(part.gold) >= 50:  # fewer rows say nothing about a shift
                out.setdefault(lang, []).append(part)
        if progress:
            progress(key, len(rows))
    return out


__all__ = ["CUE_TUNE_SETS", "TuneSet", "choose_cue_shift", "collect_tune_sets", "predicted_pairs"]
