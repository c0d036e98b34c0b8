"""The teaching bench's draws: the same examples with and without the topic's names, nothing from the scored split."""

from __future__ import annotations

import numpy as np

from bench.bench_topics import Names, teach
from nlp.labels import DEFAULT_TOPICS
from nlp.own_topics import TrainingArgs


def _split(rng: np.random.Generator, per_topic: int, plain: int) -> tuple[np.ndarray, list[set[str]], list[str]]:
    """Items of each default topic near its own direction (and named by its own word), then items of none."""
    directions = np.eye(len(DEFAULT_TOPICS), 16, dtype=np.float32)
    xs, topics, texts = [], [], []
    for j, topic in enumerate(DEFAULT_TOPICS):
        for i in range(per_topic):
            xs.append(directions[j] + 0.3 * rng.standard_normal(16).astype(np.float32))
            topics.append({topic})
            texts.append(f"{topic.replace('_', '')} review {i}")
    for i in range(plain):
        xs.append(rng.standard_normal(16).astype(np.float32))
        topics.append(set())
        texts.append(f"nothing special {i}")
    return np.array(xs), topics, texts


def _data():
    rng = np.random.default_rng(3)
    parts = {"train": _split(rng, 40, 300), "test": _split(rng, 10, 100)}
    return ({s: p[0] for s, p in parts.items()}, {s: p[1] for s, p in parts.items()},
            {s: p[2] for s, p in parts.items()})  # fmt: skip


def test_names_join_the_same_draw_as_two_more_examples():
    xs, topics, texts = _data()
    names = {t: Names((f"名{j}", t.replace("_", " ")), np.eye(len(DEFAULT_TOPICS), 16, dtype=np.float32)[[j, j]])
             for j, t in enumerate(DEFAULT_TOPICS)}  # fmt: skip
    args = TrainingArgs(folds=3)
    plain = teach("m", xs, topics, texts, 30, 0, 200, 0, args, "test")
    named = teach("m", xs, topics, texts, 30, 0, 200, 0, args, "test", names)
    assert [r["examples"] for r in plain] == [30] * len(DEFAULT_TOPICS)
    assert [r["examples"] for r in named] == [32] * len(DEFAULT_TOPICS)
    assert [r["background"] for r in named] == [r["background"] for r in plain] == [200] * len(DEFAULT_TOPICS)
    # separable topics: taught either way, each finds its held-back items
    assert min(r["f1"] for r in plain) > 0.8 and min(r["f1"] for r in named) > 0.8
    assert [r["test_positives"] for r in plain] == [10] * len(DEFAULT_TOPICS)
