"""The mention head: each topic's polarity from where the text speaks of it (``nlp.polarity``).

Trained on the annotation set's train part, one row per annotated topic of a text (its gold
polarity), over the trained network's outputs: nothing of the encoder changes. Kept only when it
beats the topic head's polarities on the tune part, judged with thresholds chosen on one half
of it and scored on the other (both ways round, as for the presence head), so a head that only
moves borderline labels is not written. The test part is never read.

The features are per topic, so one logistic layer serves every topic (rare topics such as
payment or authenticity have a few hundred annotated mentions, too few for a head of their
own), with a bias per topic learnt from a one-hot input.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..labels import DEFAULT_TOPICS
from ..model_layout import SENTIMENT_LABELS, TrainedModel
from ..polarity import drop_mention_head, mention_features, polarity_probabilities, with_polarity
from ..presence import combine, token_presence
from .evidence_head import token_states
from .presence_head import two_fold_pair_f1

log = logging.getLogger(__name__)

#: The one-hot topic input's scale: a larger scale regularises the per-topic biases less.
TOPIC_SCALE = 3.0


def _head(model: TrainedModel, name: str) -> tuple[np.ndarray, np.ndarray] | None:
    w = model.weights.get(f"{name}.weight")
    return None if w is None else (w.astype(np.float32), model.weights[f"{name}.bias"].astype(np.float32))


def network_outputs(model_dir: Path, cache_dir: Path, texts, chunk: int = 2000):
    """Per text, what the classifier computes before any threshold, in chunks (the token states
    of 16,000 texts do not all fit in memory at once).

    Yields ``(index, features (T, F), topic_probs (T, 4), presence (T,) or None)``.
    """
    model = TrainedModel.from_pretrained(model_dir)
    evidence, presence, sentiment = _head(model, "evidence_head"), _head(model, "presence_head"), _head(model, "sentiment_head")
    if evidence is None:
        raise ValueError(f"{model_dir} has no evidence head: the mention head reads its attention (voclens model add-evidence)")
    for c in range(0, len(texts), chunk):
        hidden, starts, probs = token_states(model_dir, cache_dir, texts[c : c + chunk])
        for j, h in enumerate(hidden):
            pooled = h.mean(0)
            s = pooled @ sentiment[0].T + sentiment[1]
            s = np.exp(s - s.max())
            feats = mention_features(h, h @ evidence[0].T + evidence[1], pooled, probs[j], s / s.sum())
            pres = None if presence is None else token_presence(h @ presence[0].T + presence[1], starts[j])
            yield c + j, feats, probs[j], pres


def fit_polarity_head(features: np.ndarray, topics: np.ndarray, y: np.ndarray, c: float = 0.1,
                      seed: int = 13) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """A multinomial logistic regression over (mention features, one-hot topic); returns the
    shared weight (3, F) and the per-topic bias (T, 3)."""
    from sklearn.linear_model import LogisticRegression

    onehot = np.eye(len(DEFAULT_TOPICS), dtype=np.float32)[topics] * TOPIC_SCALE
    clf = LogisticRegression(C=c, max_iter=3000, random_state=seed).fit(np.hstack([features, onehot]), y)
    if list(clf.classes_) != [0, 1, 2]:
        raise ValueError(f"the training mentions lack a polarity: classes {list(clf.classes_)}")
    f = features.shape[1]
    weight = clf.coef_[:, :f].astype(np.float32)
    bias = (clf.intercept_[None, :] + TOPIC_SCALE * clf.coef_[:, f:].T).astype(np.float32)
    return weight, bias


def add_polarity_head(model_dir: Path, cache_dir: Path, data_dir: Path, min_precision: float = 0.70) -> dict:
    """Train the mention head on the annotation train part; write it into ``model_dir`` when it
    beats the topic head's polarities on the tune part (mean of the languages' two-fold pair F1)."""
    from ..annotations.store import load_gold, load_train

    index = {t: k for k, t in enumerate(DEFAULT_TOPICS)}
    train_items = load_train(data_dir)
    rows, topics, y = [], [], []
    for n, feats, _, _ in network_outputs(model_dir, cache_dir, [i.text for i in train_items]):
        for t in train_items[n].annotation.topics:
            k = index[t.topic]
            rows.append(feats[k])
            topics.append(k)
            y.append(SENTIMENT_LABELS.index(t.polarity.value))  # the head's columns, as the sentiment head's
    weight, bias = fit_polarity_head(np.stack(rows), np.array(topics), np.array(y))

    tune_items = load_gold(data_dir, split="tune")
    before = np.zeros((len(tune_items), len(DEFAULT_TOPICS), 4), dtype=np.float32)
    after = np.zeros_like(before)
    for n, feats, probs, pres in network_outputs(model_dir, cache_dir, [i.text for i in tune_items]):
        mentioned = with_polarity(probs, polarity_probabilities(feats, weight, bias))
        before[n] = probs if pres is None else combine(probs, pres)
        after[n] = mentioned if pres is None else combine(mentioned, pres)
    report = {"tune_two_fold_pair_f1_topic_head": two_fold_pair_f1(before, tune_items, min_precision),
              "tune_two_fold_pair_f1_mention_head": two_fold_pair_f1(after, tune_items, min_precision),
              "min_precision": min_precision, "train_mentions": len(y), "tune_texts": len(tune_items)}  # fmt: skip
    gain = np.mean([report["tune_two_fold_pair_f1_mention_head"][k] - v
                    for k, v in report["tune_two_fold_pair_f1_topic_head"].items()])  # fmt: skip
    report["kept"] = bool(gain > 0)
    model = TrainedModel.from_pretrained(model_dir)
    drop_mention_head(model.config, model.weights)  # a head from an earlier run is not what was compared
    if report["kept"]:
        model.put_head("polarity_head", weight, bias, polarity="mention_head")
    model.config["polarity_check"] = report
    model.save_pretrained(model_dir)
    log.info("polarity: %s", report)
    return report


__all__ = ["add_polarity_head", "fit_polarity_head", "network_outputs"]
