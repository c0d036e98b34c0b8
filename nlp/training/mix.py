"""The training mix: which labelled rows a run learns from, and their label tensors.

Every set in ``nlp.training.corpora`` that is not held out is capped per set
(``limits``) so the big binary-sentiment sets do not drown the topic sets.
Sets without topic gold (online_shopping, waimai) get weak topic labels from
the lexicon baseline, marked weak and weighted down. Losses are masked: a set
only teaches the topics its scheme covers.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

from ..labels import DEFAULT_TOPICS, Polarity

if TYPE_CHECKING:
    from .trainer import TrainingArguments

log = logging.getLogger(__name__)

#: Training examples taken per set (train split, deterministic sample).
DEFAULT_LIMITS: dict[str, int] = {
    "online_shopping_10_cats": 5000, "waimai_10k": 1200, "weibo_senti_100k_partial": 1200,
    "smp2020_ewect": 3500, "zhijiang2019_ecommerce_opinion": 3000, "asap_samples": 300,
    "aichallenger2018_fsauor_subset": 1500, "ccf_bdci2018_car_aspect": 1200,
    "ecommerce_dispute_appeals_zh": 800, "absa_term_zh_pyabsa": 1200,
    "semeval_absa_2014_2016": 2500, "absa_term_en_tshirt_television": 1200,
    "tweeteval_sentiment": 1600, "banking77": 1000, "cfpb_consumer_complaints_sample": 200,
    "amazon_alexa_reviews_en": 1500, "womens_clothing_reviews_en": 1000, "annotations": 100_000,
}  # fmt: skip
#: Sets whose texts get weak topic labels from the lexicon baseline (their sentiment stays gold).
#: TweetEval adds English complaints that name no taxonomy topic, so English negativity alone
#: does not teach the topic head to fire (without it, banking77 taught "negative English -> payment").
WEAK_TOPIC_SETS = ("online_shopping_10_cats", "waimai_10k", "tweeteval_sentiment")
_POLARITY_INDEX = {Polarity.negative: 0, Polarity.neutral: 1, Polarity.positive: 2}


def select_examples(args: TrainingArguments) -> tuple[list, dict[str, list]]:
    """Train examples (capped per set, weak topics added) and tune examples per set."""
    from ..baseline import LexiconClassifier
    from .corpora import ANNOTATIONS, CORPORA, load_corpus

    rng = random.Random(args.seed)
    train, tune = [], {}
    for key, spec in CORPORA.items():
        if spec.held_out or args.limits.get(key, 0) <= 0:
            continue
        rows = load_corpus(key, args.data_dir)
        tr = [e for e in rows if e.split == "train"]
        rng.shuffle(tr)
        tr = tr[: args.limits[key]]
        if key in WEAK_TOPIC_SETS:
            tr = _with_weak_topics(tr, LexiconClassifier())
        train.extend(tr)
        tn = [e for e in rows if e.split == "tune"]
        rng.shuffle(tn)
        tune[key] = tn if key == ANNOTATIONS else tn[: args.tune_limit]
        log.info("set %s: %d train, %d tune", key, len(tr), len(tune[key]))
    rng.shuffle(train)
    return train, tune


def _with_weak_topics(examples, baseline) -> list:
    from dataclasses import replace

    preds = baseline.classify_batch([e.text for e in examples])
    return [
        replace(e, topics={t.topic: t.polarity for t in p.topics}, covered=frozenset(DEFAULT_TOPICS))
        for e, p in zip(examples, preds)
    ]


def targets(examples: Sequence, topics: Sequence[str], weak_weight: float):
    """Label tensors: sentiment (N,), topics (N, T) with -100 where unknown, weights (N, 2).

    Column 0 weighs the sentiment loss, column 1 the topic loss: a review with gold
    sentiment and baseline topics (``WEAK_TOPIC_SETS``) is weak only on the topic side.
    """
    t_index = {t: i for i, t in enumerate(topics)}
    sent = torch.full((len(examples),), -100, dtype=torch.long)
    top = torch.full((len(examples), len(topics)), -100, dtype=torch.long)
    weight = torch.ones(len(examples), 2)
    for i, e in enumerate(examples):
        if e.sentiment is not None:
            sent[i] = _POLARITY_INDEX[e.sentiment]
        for t in e.covered:
            top[i, t_index[t]] = 0
        for t, pol in e.topics.items():
            top[i, t_index[t]] = 1 + _POLARITY_INDEX[pol]
        if e.weak:
            weight[i] = weak_weight
        elif e.source in WEAK_TOPIC_SETS and e.covered:
            weight[i, 1] = weak_weight
    return sent, top, weight


def balanced_weights(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Inverse square-root frequency weights (mean 1) over labels that are not -100."""
    valid = labels[labels >= 0]
    counts = torch.bincount(valid, minlength=n_classes).float().clamp(min=1)
    w = (counts.sum() / counts).sqrt()
    return w / w.mean()


__all__ = ["DEFAULT_LIMITS", "WEAK_TOPIC_SETS", "balanced_weights", "select_examples", "targets"]
