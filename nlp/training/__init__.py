"""Training and evaluation of the voclens classifiers: data sets, metrics, training runs.

Kept apart from the runtime at ``nlp``'s top: classifying a text never imports
this package (nor torch's training code, nor the labelled data's loaders).
Modules:

- ``corpora`` (with ``_example``, ``_aspect_sets``, ``_absa_sets``): every labelled set
  loaded onto one example type; ``evaluation``: metrics, hash splits, the bench's loaders.
- ``trainer``: ``TrainingArguments`` and ``train``, the multi-task run; ``mix`` (which rows
  it learns from), ``features`` (what it caches), ``scoring`` (tune scores, thresholds).
- ``heads``: head retraining on the annotation set; ``evidence_head``: the evidence head;
  ``head_pipeline``: every head and calibration rebuilt in order (``voclens model train-heads``).
- ``dev_scores``: any classifier on the dev splits; ``cue_shift``: the cue rules' shift.

The names below load their module on first use, so ``import nlp.training`` stays cheap.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "TrainingArguments": "trainer", "train": "trainer",
    "DEFAULT_LIMITS": "mix", "select_examples": "mix", "targets": "mix",
    "calibrate_topic_thresholds": "scoring",
    "HeadTrainingArguments": "heads", "train_heads": "heads",
    "leave_one_domain_out": "heads", "build_heads": "head_pipeline",
    "add_evidence_head": "evidence_head", "add_cue_thresholds": "cue_thresholds",
    "add_sentiment_bias": "sentiment_bias",
    "CORPORA": "corpora", "load_corpus": "corpora", "load_all": "corpora",
    "DEFAULT_DATA_DIR": "evaluation",
}  # fmt: skip


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


__all__ = sorted(_EXPORTS)
