"""Scores on the tune splits: what early stopping watches and what the thresholds are chosen on.

The dev splits are never read here, so the dev figures in the model card stay
honest. Thresholds are chosen per topic (and per language on the annotation
set) because class-balanced training pushes "present" probabilities up.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..labels import DEFAULT_TOPICS, Polarity
from ..network import SENTIMENT_LABELS
from .evaluation import accuracy, macro_f1, set_scores
from .features import pad_hidden


def decode_topics(topic_probs: np.ndarray, topics: Sequence[str], threshold: float = 0.5):
    """(T, 4) state probabilities -> [(topic, Polarity, score)] for present topics."""
    out = []
    for i, topic in enumerate(topics):
        p = topic_probs[i]
        if 1.0 - p[0] >= threshold:
            k = int(np.argmax(p[1:]))
            out.append((topic, Polarity(SENTIMENT_LABELS[k]), float(p[1 + k])))
    return out


def score_logits(examples: Sequence, sent_probs: np.ndarray, topic_probs: np.ndarray, topics) -> dict[str, float]:
    """The primary metric of each kind of gold in ``examples`` (one set)."""
    scores: dict[str, float] = {}
    labelled = [i for i, e in enumerate(examples) if e.sentiment is not None]
    if labelled:
        gold = [examples[i].sentiment for i in labelled]
        if Polarity.neutral not in gold:  # binary gold: decide between negative and positive only
            pred = [Polarity.positive if sent_probs[i, 2] >= sent_probs[i, 0] else Polarity.negative for i in labelled]
            scores["sentiment_accuracy"] = accuracy(gold, pred)
        else:
            pred = [Polarity(SENTIMENT_LABELS[int(np.argmax(sent_probs[i]))]) for i in labelled]
            scores["sentiment_macro_f1"] = macro_f1(gold, pred, list(Polarity))
    covered = [i for i, e in enumerate(examples) if e.covered and not e.weak]
    if covered:
        gold_pairs = [set(examples[i].topics.items()) for i in covered]
        pred_pairs = [
            {(t, p) for t, p, _ in decode_topics(topic_probs[i], topics) if t in examples[i].covered} for i in covered
        ]
        scores["topic_micro_f1"] = set_scores(gold_pairs, pred_pairs).micro.f1
    return scores


def predict_features(net, features, batch_size=64):
    """Sentiment (N, 3) and topic-state (N, T, 4) probabilities from cached frozen-layer states."""
    net.eval()
    sent, top = [], []
    with torch.inference_mode():
        for start in range(0, len(features), batch_size):
            hidden, mask = pad_hidden(features[start : start + batch_size])
            s, t = net.upper(hidden, mask)
            sent.append(torch.softmax(s, -1))
            top.append(torch.softmax(t, -1))
    return torch.cat(sent).numpy(), torch.cat(top).numpy()


def tune_scores(net, tune: dict[str, list], tune_feats, select_on: Sequence[str] = ()) -> tuple[float, dict]:
    """The mean of the chosen sets' scores (every set when ``select_on`` is empty), and every set's scores.

    Leaves ``net`` in training mode: it is called between training steps.
    """
    offset, per_set = 0, {}
    for key, rows in tune.items():
        if not rows:
            continue
        s, t = predict_features(net, tune_feats[offset : offset + len(rows)])
        offset += len(rows)
        per_set[key] = score_logits(rows, s, t, DEFAULT_TOPICS)
    chosen = {k: v for k, v in per_set.items() if not select_on or k in select_on}
    values = [v for scores in chosen.values() for v in scores.values()]
    net.train()
    return (sum(values) / len(values) if values else 0.0), per_set


def thresholds_by_lang(net, tune: dict[str, list], tune_feats) -> dict[str, dict[str, float]]:
    """Per-language, per-topic thresholds on the annotation set's tune part (every topic covered)."""
    from .corpora import ANNOTATIONS

    offset = 0
    for key, rows in tune.items():
        if key == ANNOTATIONS and rows:
            _, probs = predict_features(net, tune_feats[offset : offset + len(rows)])
            out = {}
            for lang in sorted({e.lang for e in rows}):
                idx = [i for i, e in enumerate(rows) if e.lang == lang]
                out[lang] = calibrate_topic_thresholds(probs[idx], [rows[i] for i in idx], DEFAULT_TOPICS)
            return out
        offset += len(rows)
    return {}


def calibrate_topic_thresholds(topic_probs: np.ndarray, examples: Sequence, topics: Sequence[str],
                               grid: Sequence[float] = tuple(np.round(np.arange(0.30, 0.96, 0.05), 2)),
                               min_gold: int = 1, min_precision: float = 0.0) -> dict[str, float]:  # fmt: skip
    """Per-topic presence thresholds that maximise each topic's pair F1 on tune examples.

    Class-balanced training pushes "present" probabilities up, so 0.5 over-reports
    topics; each topic gets the threshold that scores best on the tune examples
    whose set annotates it (weak sets excluded). Ties go to the higher threshold.
    A topic with fewer than ``min_gold`` gold examples keeps 0.5 (too few to choose on).
    With ``min_precision``, only thresholds whose pair precision reaches it compete (a
    topic that fires wrongly misleads every filter built on it); when none does, the
    most precise one is taken.
    """
    out = {}
    for k, topic in enumerate(topics):
        rows = [i for i, e in enumerate(examples) if topic in e.covered and not e.weak]
        if not rows or sum(examples[i].topics.get(topic) is not None for i in rows) < min_gold:
            out[topic] = 0.5
            continue
        scored = []
        for th in grid:
            tp = n_pred = n_gold = 0
            for i in rows:
                gold = examples[i].topics.get(topic)
                p = topic_probs[i, k]
                pred = Polarity(SENTIMENT_LABELS[int(np.argmax(p[1:]))]) if 1.0 - p[0] >= th else None
                n_gold += gold is not None
                n_pred += pred is not None
                tp += pred is not None and pred == gold
            f1 = 2 * tp / (n_pred + n_gold) if n_pred + n_gold else 0.0
            scored.append((f1, tp / n_pred if n_pred else 0.0, float(th)))
        allowed = [t for t in scored if t[1] >= min_precision]
        out[topic] = (max(allowed, key=lambda t: (t[0], t[2])) if allowed else max(scored, key=lambda t: (t[1], t[2])))[2]
    return out


__all__ = ["calibrate_topic_thresholds", "decode_topics", "predict_features", "score_logits", "thresholds_by_lang",
           "tune_scores"]  # fmt: skip
