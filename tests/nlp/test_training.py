import numpy as np
import pytest
import torch

from nlp.corpora import Example
from nlp.evaluate import DEFAULT_DATA_DIR
from nlp.labels import Polarity
from nlp.training import TrainingArguments, balanced_weights, decode_topics, targets

TOPICS = ("logistics", "quality", "price")


def _ex(sentiment=None, topics=None, covered=(), weak=False):
    return Example("x", "zh", "t", "train", sentiment, topics or {}, frozenset(covered), weak)


def test_targets_mask_what_a_set_does_not_annotate():
    examples = [
        _ex(Polarity.positive),  # sentiment only: every topic unknown
        _ex(None, {"logistics": Polarity.negative}, covered=("logistics", "quality")),
        _ex(Polarity.neutral, {}, covered=TOPICS, weak=True),
    ]
    sent, top, weight = targets(examples, TOPICS, weak_weight=0.3)
    assert sent.tolist() == [2, -100, 1]
    assert top.tolist() == [[-100, -100, -100], [1, 0, -100], [0, 0, 0]]  # 1 = negative, 0 = absent
    assert weight.tolist() == [pytest.approx([1.0, 1.0])] * 2 + [pytest.approx([0.3, 0.3])]


def test_baseline_topics_are_weak_but_gold_sentiment_is_not():
    from dataclasses import replace

    review = replace(_ex(Polarity.negative, {"quality": Polarity.negative}, covered=TOPICS), source="waimai_10k")
    _, _, weight = targets([review], TOPICS, weak_weight=0.3)
    assert weight.tolist() == [pytest.approx([1.0, 0.3])]  # [sentiment, topics]


def test_balanced_weights_favour_rare_classes_and_ignore_masked():
    w = balanced_weights(torch.tensor([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, -100, -100]), 2)
    assert w[1] > w[0] and float(w.mean()) == pytest.approx(1.0)


def test_decode_topics_threshold_and_polarity():
    probs = np.array([
        [0.9, 0.05, 0.03, 0.02],  # absent
        [0.2, 0.7, 0.05, 0.05],  # present, negative
        [0.45, 0.1, 0.1, 0.35],  # present (0.55), positive
    ])
    assert [(t, p) for t, p, _ in decode_topics(probs, TOPICS)] == [
        ("quality", Polarity.negative), ("price", Polarity.positive)]
    assert decode_topics(probs, TOPICS, threshold=0.6)[0][0] == "quality"


def test_training_arguments_validate(tmp_path):
    with pytest.raises(ValueError, match="frozen_layers=13.*epochs=0"):
        TrainingArguments(output_dir=tmp_path, cache_dir=tmp_path, frozen_layers=13, epochs=0)


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.skipif(not DEFAULT_DATA_DIR.exists(), reason="shared data folder not present")
def test_tiny_training_run_saves_a_model_that_loads(tmp_path):
    """A few examples per set, a few steps: the whole path from data to a loadable model."""
    from nlp.training import DEFAULT_LIMITS, train
    from nlp.transformer import DEFAULT_CACHE_DIR, TransformerClassifier

    args = TrainingArguments(output_dir=tmp_path / "m", cache_dir=DEFAULT_CACHE_DIR, version="tiny-1",
                             limits={k: 6 for k in DEFAULT_LIMITS}, tune_limit=6, epochs=1, eval_every=2,
                             frozen_layers=11, max_length=32, tail=8)  # fmt: skip
    report = train(args)
    assert report["steps"] >= 2 and report["best_step"] >= 2 and report["history"]
    assert sum(report["train_examples"].values()) > 40 and report["weak_examples"] > 0
    clf = TransformerClassifier(tmp_path / "m", cache_dir=DEFAULT_CACHE_DIR, runtime="torch")
    (res,) = clf.classify_batch(["物流太慢了"])
    assert res.model_version == "tiny-1/torch"
    assert (tmp_path / "m" / "weights.safetensors").stat().st_size < 5_000_000  # one layer + heads, fp16


def test_calibrated_thresholds_maximise_each_topics_f1_on_annotated_examples():
    from nlp.training import calibrate_topic_thresholds

    # logistics: gold on rows 0 and 1 (present probs 0.9, 0.65), absent on rows 2, 3 (0.6, 0.2)
    probs = np.zeros((5, 3, 4))
    for i, present in enumerate([0.9, 0.65, 0.6, 0.2, 0.99]):
        probs[i, 0] = [1 - present, present, 0, 0]  # negative when present
    examples = [
        _ex(None, {"logistics": Polarity.negative}, covered=("logistics",)),
        _ex(None, {"logistics": Polarity.negative}, covered=("logistics",)),
        _ex(None, {}, covered=("logistics",)),
        _ex(None, {}, covered=("logistics",)),
        _ex(None, {}, covered=("logistics",), weak=True),  # weak rows never calibrate
    ]
    th = calibrate_topic_thresholds(probs, examples, TOPICS)
    assert 0.6 < th["logistics"] <= 0.65  # keeps 0.65 in, 0.6 out
    assert th["quality"] == 0.5 and th["price"] == 0.5  # nothing annotates them: default
