"""The presence head: per-token topic logits whose maximum tells whether a text names a topic.

The evidence head (``nlp.training.evidence_head``) learns where, in a text known to speak of a
topic, the quote lies: it never sees a text without the topic, so its scores do not say whether
the topic is there. The presence head is the same per-token linear layer trained to say that:
a token inside an annotated quote is positive, every token of a text without the topic is
negative, and the other tokens of a text with the topic are left out (they may name it too).
``nlp.presence`` combines its strongest token with the pooled topic head.

It is kept only when the combination beats the pooled head on the annotation set's tune part,
judged with thresholds chosen on one half of it and scored on the other (both ways round), so
the choice does not reward thresholds fitted to the very items they are scored on. The test
part is never read.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

from ..labels import DEFAULT_TOPICS
from ..model_layout import TrainedModel
from .token_logistic import fit_token_logistic
from ..presence import combine, token_presence
from .evidence_head import token_states
from .heads import annotation_examples, choose_thresholds

log = logging.getLogger(__name__)


def presence_targets(items, starts) -> tuple[list[tuple[int, int]], np.ndarray]:
    """(item, token) pairs with a (T,) target row: 1 inside the topic's quote, 0 for every token
    of a text without the topic, -1 (not learnt) for the rest of a text with it."""
    index = {t: k for k, t in enumerate(DEFAULT_TOPICS)}
    rows, targets = [], []
    for n, item in enumerate(items):
        gold = item.annotation.topics
        for i, start in enumerate(starts[n]):
            if start < 0:
                continue
            row = np.zeros(len(DEFAULT_TOPICS), dtype=np.float32)
            for t in gold:
                row[index[t.topic]] = 1.0 if t.start <= start < t.end else -1.0
            rows.append((n, i))
            targets.append(row)
    return rows, np.stack(targets) if targets else np.zeros((0, len(DEFAULT_TOPICS)), np.float32)


def fit_presence_head(hidden, starts, items, epochs: int = 8, lr: float = 3e-3, seed: int = 13):
    """Logistic regression per topic on token states; returns weight (T, H) and bias (T,).

    Quote tokens are rare next to the tokens of texts without a topic: they are weighed up
    (to at most 50 times) so the head does not learn to say "absent" everywhere.
    """
    rows, y = presence_targets(items, starts)
    x = np.stack([hidden[n][i] for n, i in rows])
    return fit_token_logistic(x, y, epochs=epochs, lr=lr, seed=seed, max_pos_weight=50.0, chunk=4096)


def two_fold_pair_f1(topic_probs: np.ndarray, items, min_precision: float) -> dict[str, float]:
    """Per language, topic-polarity pair F1 with thresholds chosen on one half of ``items`` and
    scored on the other, both ways round (halves by a hash of the text)."""
    half = np.array([int(hashlib.sha1(i.text.encode()).hexdigest()[:4], 16) % 2 for i in items])
    polarities = ("negative", "neutral", "positive")
    out = {}
    for lang in sorted({i.annotation.lang for i in items}):
        tp = fp = fn = 0
        for fold in (0, 1):
            choose = [k for k, i in enumerate(items) if i.annotation.lang == lang and half[k] != fold]
            score = [k for k, i in enumerate(items) if i.annotation.lang == lang and half[k] == fold]
            th = choose_thresholds(topic_probs[choose], [items[k] for k in choose], min_precision=min_precision)[lang]
            for k in score:
                p = topic_probs[k]
                got = {(t, polarities[int(np.argmax(p[j, 1:]))]) for j, t in enumerate(DEFAULT_TOPICS)
                       if 1.0 - p[j, 0] >= th.get(t, 0.5)}  # fmt: skip
                gold = {(t.topic, t.polarity.value) for t in items[k].annotation.topics}
                tp, fp, fn = tp + len(got & gold), fp + len(got - gold), fn + len(gold - got)
        out[lang] = round(2 * tp / max(1, 2 * tp + fp + fn), 4)
    return out


def add_presence_head(model_dir: Path, cache_dir: Path, data_dir: Path, min_precision: float = 0.70) -> dict:
    """Train the presence head on the annotation train part; write it into ``model_dir`` when the
    combination beats the pooled head on the tune part (mean of the languages' pair F1)."""
    from ..annotations.store import load_gold, load_train

    train_items = load_train(data_dir)
    tune_items = load_gold(data_dir, split="tune")
    h_tr, s_tr, _ = token_states(model_dir, cache_dir, [i.text for i in train_items])
    weight, bias = fit_presence_head(h_tr, s_tr, train_items)
    del h_tr
    h_tu, s_tu, p_tu = token_states(model_dir, cache_dir, [i.text for i in tune_items])
    combined = np.stack([combine(p_tu[n], token_presence(h_tu[n] @ weight.T + bias, s_tu[n]))
                         for n in range(len(tune_items))])  # fmt: skip
    report = {"tune_two_fold_pair_f1_pooled": two_fold_pair_f1(p_tu, tune_items, min_precision),
              "tune_two_fold_pair_f1_combined": two_fold_pair_f1(combined, tune_items, min_precision),
              "min_precision": min_precision, "train_texts": len(train_items), "tune_texts": len(tune_items)}  # fmt: skip
    gain = np.mean([report["tune_two_fold_pair_f1_combined"][k] - v for k, v in report["tune_two_fold_pair_f1_pooled"].items()])
    report["kept"] = bool(gain > 0)
    model = TrainedModel.from_pretrained(model_dir)
    if report["kept"]:
        model.put_head("presence_head", weight, bias, presence="token_head")
    else:  # a presence head from an earlier run is not what was compared
        model.drop_head("presence_head", "presence")
    model.config["presence_check"] = report
    model.save_pretrained(model_dir)
    log.info("presence: %s", report)
    return report


__all__ = ["add_presence_head", "fit_presence_head", "presence_targets", "two_fold_pair_f1"]
