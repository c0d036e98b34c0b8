"""The polarity of each topic, read where the text speaks of it.

The topic head gives every topic's polarity from the mean of all the text's token states, so in
"fast delivery, but the seams came apart" logistics and quality both lean to the text's overall
tone. On the annotation set's tune part (e5s-lite-10), polarity was wrong for 13% (zh) and 16%
(en) of the topics the model found, and it was the weak side of the precision misses: neutral
mentions read as positive, the minus of a mixed review given to every topic.

The mention head reads, for each topic, the token states pooled with the evidence head's
attention over the text (where the annotators' quote of the topic would lie), beside the mean
pool, the topic head's own polarity log-probabilities and the text's sentiment log-probabilities:
one multinomial logistic layer shared by the topics, with a bias per topic
(``nlp.training.polarity_head``). Over e5s-lite-10's heads, polarity on the tune topics the model
found rose from 0.871 to 0.882 (zh) and from 0.836 to 0.855 (en), pair F1 with the thresholds
unchanged by 0.9 and 1.5 points; over e5s-lite-13's heads, trained on more labels, two-fold pair F1
on tune rose by 0.3 (zh) and 0.9 (en).

Pure NumPy over the network's outputs (the ONNX graph of such a model also returns its last
token states), so both runtimes and every caller see one set of probabilities. Only the
polarity proportions change: whether a topic is present stays the topic head's (and the
presence head's) decision.
"""

from __future__ import annotations

import numpy as np


def attention_pool(hidden: np.ndarray, evidence: np.ndarray) -> np.ndarray:
    """Per topic, the token states (L, H) weighed by the softmax of its evidence logits (L, T): (T, H)."""
    scores = evidence - evidence.max(0, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(0, keepdims=True)
    return weights.T @ hidden


def mention_features(hidden: np.ndarray, evidence: np.ndarray, pooled: np.ndarray, topic_probs: np.ndarray,
                     sentiment: np.ndarray) -> np.ndarray:  # fmt: skip
    """The head's input for every topic of one text: (T, 2H + 6).

    Args:
        hidden: the text's last token states (L, H), special tokens included, no padding.
        evidence: the evidence head's per-token logits (L, T) of the same tokens.
        pooled: the mean-pooled states (H,).
        topic_probs: the topic head's state probabilities (T, 4): absent, negative, neutral, positive.
        sentiment: the sentiment head's probabilities (3,), before any per-language offsets.
    """
    topics = topic_probs.shape[0]
    return np.hstack([
        attention_pool(hidden.astype(np.float32, copy=False), evidence.astype(np.float32, copy=False)),
        np.broadcast_to(pooled, (topics, pooled.shape[0])),
        np.log(topic_probs[:, 1:] + 1e-6),
        np.broadcast_to(np.log(sentiment + 1e-6), (topics, 3)),
    ]).astype(np.float32, copy=False)  # fmt: skip


def polarity_probabilities(features: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Negative / neutral / positive probabilities per topic (T, 3) from ``mention_features``.

    ``weight`` (3, F) is shared by the topics; ``bias`` (T, 3) is each topic's own.
    """
    logits = features @ weight.T + bias
    logits -= logits.max(-1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(-1, keepdims=True)


def with_polarity(topic_probs: np.ndarray, polarity: np.ndarray) -> np.ndarray:
    """Topic-state probabilities (T, 4) whose "present" mass is split by ``polarity`` (T, 3)."""
    out = np.empty_like(topic_probs)
    out[:, 0] = topic_probs[:, 0]
    out[:, 1:] = (1.0 - topic_probs[:, :1]) * polarity
    return out


def drop_mention_head(config: dict, weights: dict) -> bool:
    """Remove a model folder's mention head (config and tensors, in place); True if it had one.

    The head is fitted to the evidence head's attention and the topic and sentiment heads'
    probabilities: whatever retrains one of those leaves it stale, so they drop it, and
    ``voclens model add-polarity-head`` fits it again.
    """
    had = config.pop("polarity", None) is not None
    config.pop("polarity_check", None)
    for name in [n for n in weights if n.startswith("polarity_head.")]:
        del weights[name]
    return had


class MentionPolarity:
    """A model folder's mention head (``polarity_head.weight`` and ``polarity_head.bias``)."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray):
        self.weight = np.asarray(weight, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)

    def __call__(self, hidden, evidence, pooled, topic_probs, sentiment) -> np.ndarray:
        """The text's topic-state probabilities (T, 4) with the head's polarities."""
        feats = mention_features(hidden, evidence, pooled, topic_probs, sentiment)
        return with_polarity(topic_probs, polarity_probabilities(feats, self.weight, self.bias))


__all__ = ["MentionPolarity", "attention_pool", "drop_mention_head", "mention_features", "polarity_probabilities", "with_polarity"]
