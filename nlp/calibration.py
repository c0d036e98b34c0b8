"""Calibration applied on top of a model's probabilities: pure functions, no model.

The choices are made in training (``nlp.training.sentiment_bias``, on the annotation set's tune
part); the runtime (``nlp.transformer``) only applies what a model's config holds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def biased(sentiment_probs: np.ndarray, bias: Sequence[float]) -> np.ndarray:
    """Sentiment probabilities (N, 3) with ``bias`` (negative, neutral, positive) added to their
    logarithms, renormalised: the borders between classes move, the order within a class does not."""
    logits = np.log(np.clip(sentiment_probs, 1e-9, None)) + np.asarray(bias, dtype=np.float64)
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)).astype(np.float32)


__all__ = ["biased"]
