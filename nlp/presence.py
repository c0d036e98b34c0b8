"""Whether a text speaks of a topic: the pooled topic head and the strongest token, together.

The topic head reads the mean of a text's token states, so a topic named in one clause of a
long review is diluted by everything else the review says: recall was the weak side of the
annotated test part (0.52-0.59). A presence head scores every token instead (trained with
every absent topic as a negative, ``nlp.training.presence_head``), and its maximum over the
text's tokens does not dilute, but fires on look-alike words the pooled head sees in context.
The geometric mean of the two needs both to agree somewhat: over e5s-lite-5's encoder, on the
annotation set's tune part (thresholds chosen on one half, scored on the other), it raised
topic-polarity pair F1 by 0.9 (zh) and 2.0 (en) points over the pooled head alone, where the
token maximum alone lost 1 to 4. Training keeps it only when it wins (``nlp.training.presence_head``):
e5s-lite-6 has none (-0.2 / +0.1); e5s-lite-7, the same encoder with heads trained on more labels,
has one (+0.9 / +0.6).

Pure functions, no model: ``nlp.transformer`` applies them to the network's outputs, so the
thresholds, the scores and every caller see one presence probability.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def token_presence(logits: np.ndarray, token_starts: Sequence[int]) -> np.ndarray:
    """Per topic, the probability of its strongest token of the text itself (T,).

    Args:
        logits: the presence head's per-token logits (L, T) of one text.
        token_starts: per token, its first character in the text (-1 for special tokens and
            tokens outside it, which never count).
    """
    inside = np.asarray(token_starts[: len(logits)]) >= 0
    if not inside.any():
        return np.zeros(logits.shape[1], dtype=np.float32)
    strongest = logits[: len(inside)][inside].max(0)
    return (1.0 / (1.0 + np.exp(-strongest))).astype(np.float32)


def combine(topic_probs: np.ndarray, presence: np.ndarray) -> np.ndarray:
    """Topic-state probabilities (T, 4) whose "present" mass is the geometric mean of the pooled
    head's and the token maximum's; the polarities keep the pooled head's proportions."""
    pooled = 1.0 - topic_probs[:, 0]
    both = np.sqrt(np.clip(pooled, 0.0, 1.0) * np.clip(presence, 0.0, 1.0))
    polar = topic_probs[:, 1:] / np.clip(topic_probs[:, 1:].sum(-1, keepdims=True), 1e-9, None)
    out = np.empty_like(topic_probs)
    out[:, 0] = 1.0 - both
    out[:, 1:] = both[:, None] * polar
    return out


__all__ = ["combine", "token_presence"]
