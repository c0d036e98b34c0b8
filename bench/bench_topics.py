"""Teaching topics from examples: F1 on held-back annotations, training seconds, and apply speed.

    python bench/bench_topics.py [--data ../shared/data] [--examples 30] [--apply-docs 20000] [--cache PATH]

The issue's target (19, own topics): each of the 12 default topics, taught as
an own topic from 30 examples, should reach F1 >= 0.75 on a held-back part of
the annotation set for at least 8 of them, each trained in under 5 s.

How it is measured, so that nothing it scores was seen while teaching:

* The annotation set's ``train`` items are the index the analyst teaches in:
  their vectors (the shipped lite encoder's pooled vectors, as ``voclens
  reclassify`` stores them) are the background a head contrasts with, their
  labels unused, except that for each topic 30 items carrying it are drawn
  (seeded) as the analyst's examples (``label`` 1; no counter-examples).
* Only the ``test`` items are scored: the head's verdict against the gold
  label "this text has the topic" (any polarity), F1 per topic.
* Training time is ``train_head`` (fit plus 5-fold cross-validation) per topic.
* Apply speed: a SQLite index of ``--apply-docs`` documents with vectors,
  labelled by ``index_apply`` (read vectors, score 12 heads, write labels), documents per second.

Encoding the annotation set takes minutes on two cores; ``--cache`` keeps the vectors (an .npz).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp.annotations.store import load_gold  # noqa: E402
from nlp.labels import DEFAULT_TOPICS  # noqa: E402
from nlp.own_topics import HeadStack, TrainingArgs, train_head  # noqa: E402


def encoded(data: Path, cache: Path) -> tuple[str, dict[str, np.ndarray], dict[str, list[set[str]]]]:
    """Per split (train, test): the lite model's vectors and each item's gold topics; cached in ``cache``."""
    if cache.exists():
        z = np.load(cache, allow_pickle=False)
        topics = {s: [set(t.split(",")) - {""} for t in z[f"{s}_topics"]] for s in ("train", "test")}
        return str(z["model"]), {s: z[f"{s}_x"] for s in ("train", "test")}, topics
    from nlp.models import get_classifier

    lite = get_classifier("lite")
    xs, topics = {}, {}
    for split in ("train", "test"):
        items = load_gold(data, split=split)
        started = time.perf_counter()
        _, pooled = lite.classify_with_vectors([i.text for i in items])
        print(f"encoded {len(items)} {split} items in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        xs[split] = pooled.astype(np.float32)
        topics[split] = [{t.topic for t in i.annotation.topics} for i in items]
    np.savez(cache, model=lite.vector_model, **{f"{s}_x": xs[s] for s in xs},
             **{f"{s}_topics": np.array([",".join(sorted(t)) for t in topics[s]]) for s in topics})
    return lite.vector_model, xs, topics


def teach(model: str, xs: dict, topics: dict, examples: int, background: int, seed: int,
          args: TrainingArgs) -> list[dict]:  # fmt: skip
    """Per default topic: taught from ``examples`` train items, scored on every test item."""
    rng = np.random.default_rng(seed)
    train_x, test_x = xs["train"], xs["test"]
    rows = []
    for topic in DEFAULT_TOPICS:
        has = np.array([topic in t for t in topics["train"]])
        chosen = rng.choice(np.flatnonzero(has), size=min(examples, int(has.sum())), replace=False)
        rest = np.setdiff1d(np.arange(len(train_x)), chosen)
        bg = rng.choice(rest, size=min(background, len(rest)), replace=False)
        head = train_head(model, train_x[chosen], train_x[:0], train_x[bg], args)
        pred = HeadStack.of({topic: head}).scores(test_x)[:, 0] >= head.threshold
        gold = np.array([topic in t for t in topics["test"]])
        tp = int((pred & gold).sum())
        p, r = tp / max(int(pred.sum()), 1), tp / max(int(gold.sum()), 1)
        rows.append({"topic": topic, "f1": 2 * p * r / (p + r) if p + r else 0.0, "precision": p, "recall": r,
                     "test_positives": int(gold.sum()), "seconds": head.seconds, "cv_f1": head.f1,
                     "threshold": head.threshold})
    return rows
