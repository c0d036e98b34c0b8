"""What the tune-part calibrations share: halves of the tune part, the two-fold verdict, and
writing a kept (or dropped) choice into a model folder with the figures it was judged on.

A calibration chosen on the very items it is scored on always looks better; choosing on one half
of the tune part and scoring on the other (both ways round) tells whether it carries to texts it
did not see. The test part is never read.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..model_layout import TrainedModel

log = logging.getLogger(__name__)


def text_halves(texts: Sequence[str]) -> np.ndarray:
    """The two halves of a part, by a hash of the text (as the presence head's check)."""
    return np.array([int(hashlib.sha1(t.encode()).hexdigest()[:4], 16) % 2 for t in texts])


def mean_gain(before: dict[str, float], after: dict[str, float]) -> float:
    """The mean over languages of ``after - before``."""
    return float(np.mean([after[k] - v for k, v in before.items()]))


def write_choice(model_dir: Path, key: str, value, check_key: str, report: dict, also: dict | None = None) -> None:
    """Write ``value`` under ``key`` in the model's config when the report says kept (drop the key
    otherwise), ``also``'s entries either way, and the report under ``check_key``."""
    model = TrainedModel.from_pretrained(model_dir)
    model.config.update(also or {})
    if report["kept"]:
        model.config[key] = value
    else:
        model.config.pop(key, None)
    model.config[check_key] = report
    model.save_pretrained(model_dir)
    log.info("%s: %s", check_key, report)


__all__ = ["mean_gain", "text_halves", "write_choice"]
