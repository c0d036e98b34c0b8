"""Head retraining helpers: thresholds on tune items and the evidence head's token targets."""

import numpy as np

from nlp.annotations.store import AnnotatedText, Annotation, TopicLabel
from nlp.training.evidence_head import _token_targets
from nlp.training.heads import choose_thresholds
from nlp.labels import DEFAULT_TOPICS, Polarity

NEG = Polarity.negative
Q = DEFAULT_TOPICS.index("quality")


def _item(text, topics=(), lang="zh"):
    ann = Annotation("s", text, "0", lang, "d", "tune", "a", NEG, tuple(topics))
    return AnnotatedText(text, ann)


def _probs(present: list[float]) -> np.ndarray:
    """Topic-state probabilities where quality is present (negative) with the given probability."""
    p = np.zeros((len(present), len(DEFAULT_TOPICS), 4), dtype=np.float32)
    p[:, :, 0] = 1.0
    for k, v in enumerate(present):
        p[k, Q] = [1 - v, v, 0, 0]
    return p


def test_thresholds_maximise_f1_and_respect_a_precision_floor():
    gold = [TopicLabel("quality", NEG, 0, 1)]
    # four true quality items scored 0.92-0.62, one item without it scored 0.67 (off the 0.05 grid)
    items = [_item(f"t{k}", gold) for k in range(4)] + [_item("n")]
    probs = _probs([0.92, 0.82, 0.72, 0.62, 0.67])
    assert choose_thresholds(probs, items)["zh"]["quality"] == 0.6  # F1 8/9 with the false alarm
    assert choose_thresholds(probs, items, min_precision=0.9)["zh"]["quality"] == 0.7  # F1 6/7, no false alarm
    few = [items[0], items[1], items[4]]
    assert choose_thresholds(probs[[0, 1, 4]], few)["zh"]["quality"] == 0.5  # < 3 gold: too few to choose


def test_evidence_targets_mark_tokens_inside_the_quote_for_present_topics_only():
    item = _item("物流很快质量很差", [TopicLabel("quality", NEG, 4, 8)])
    rows, y = _token_targets([item, _item("很好")], [[-1, 0, 2, 4, 6, -1], [-1, 0, -1]])
    assert rows == [(0, 1), (0, 2), (0, 3), (0, 4)]  # text tokens of the item with a topic
    assert list(y[:, Q]) == [0.0, 0.0, 1.0, 1.0]
    assert (np.delete(y, Q, axis=1) == -1).all()  # other topics: unknown, not "outside"


def test_binary_accuracy_leaves_neutral_items_out():
    from types import SimpleNamespace

    from nlp.labels import Polarity
    from nlp.training.heads import binary_accuracy

    items = [SimpleNamespace(annotation=SimpleNamespace(sentiment=p))
             for p in (Polarity.negative, Polarity.positive, Polarity.neutral, Polarity.positive)]  # fmt: skip
    probs = np.array([[0.7, 0.2, 0.1], [0.2, 0.1, 0.7], [0.1, 0.1, 0.8], [0.6, 0.1, 0.3]])
    assert binary_accuracy(probs, items) == round(2 / 3, 4)  # the neutral one is not counted
    assert binary_accuracy(probs[2:3], items[2:3]) is None
