"""Sentiment offsets: the pure choice on hand-made probabilities, and a real model applying them."""

from __future__ import annotations

import numpy as np

from nlp.calibration import biased
from nlp.training.sentiment_bias import choose, macro_f1, two_fold_macro_f1
from nlp.transformer import DEFAULT_CACHE_DIR, LITE_MODEL_DIR, TransformerClassifier


def _toy(n: int = 60):
    """Every third text is neutral in gold, but the head gives neutral only 0.3 (0.4 positive,
    0.3 negative) there: without an offset it never says neutral."""
    gold = np.tile([0, 1, 2], n // 3)
    probs = np.where(gold[:, None] == np.arange(3), 0.8, 0.1)
    probs[gold == 1] = [0.3, 0.3, 0.4]
    return probs.astype(np.float32), gold


def test_biased_moves_borders_and_keeps_rows_normalised():
    p = np.array([[0.3, 0.3, 0.4]], dtype=np.float32)
    assert np.argmax(p) == 2 and np.argmax(biased(p, (0.0, 0.5, 0.0))) == 1
    assert np.allclose(biased(p, (0.0, 0.5, 0.0)).sum(-1), 1.0)
    assert np.allclose(biased(p, (0.0, 0.0, 0.0)), p)


def test_the_neutral_offset_that_recovers_the_neutral_texts_is_chosen():
    probs, gold = _toy()
    assert macro_f1(gold, np.argmax(probs, -1)) < 0.6
    bias = choose(probs, gold)
    assert bias[0] == 0.0 and bias[1] - bias[2] > np.log(0.4 / 0.3)  # neutral now beats positive there
    assert macro_f1(gold, np.argmax(biased(probs, bias), -1)) == 1.0
    two = two_fold_macro_f1(probs, gold, np.array(["zh"] * 60), np.arange(60) % 2, True)
    plain = two_fold_macro_f1(probs, gold, np.array(["zh"] * 60), np.arange(60) % 2, False)
    assert two["zh"] == 1.0 > plain["zh"]


def test_a_real_model_applies_its_languages_offsets_only():
    clf = TransformerClassifier(LITE_MODEL_DIR, cache_dir=DEFAULT_CACHE_DIR, runtime="onnx-fp32").load()
    saved = dict(clf.sentiment_bias)
    zh, en = "质量非常好，做工精细，下次还会再来", "Great quality, I love it!"
    try:
        clf.sentiment_bias = {}
        assert clf.predict(zh).sentiment.label.value == "positive" and clf.predict(en).sentiment.label.value == "positive"
        clf.sentiment_bias = {"zh": (0.0, 30.0, 0.0)}  # neutral wins whatever the head says
        assert clf.predict(zh).sentiment.label.value == "neutral"
        assert clf.predict(en).sentiment.label.value == "positive"
    finally:
        clf.sentiment_bias = saved


def test_add_sentiment_bias_writes_its_check_and_offsets_a_model_reads(lite_copy_and_tune):
    from nlp.model_layout import TrainedModel
    from nlp.training.evaluation import DEFAULT_DATA_DIR
    from nlp.training.sentiment_bias import add_sentiment_bias

    model_dir, items = lite_copy_and_tune(120)
    report = add_sentiment_bias(model_dir, DEFAULT_CACHE_DIR, DEFAULT_DATA_DIR, items=items)
    config = TrainedModel.from_pretrained(model_dir).config
    assert config["sentiment_bias_check"] == report and report["tune_texts"] == 120
    clf = TransformerClassifier(model_dir, cache_dir=DEFAULT_CACHE_DIR)
    if report["kept"]:
        assert set(clf.sentiment_bias) == {i.annotation.lang for i in items}
        assert all(len(b) == 3 and b[0] == 0.0 for b in clf.sentiment_bias.values())
    else:
        assert "sentiment_bias_by_lang" not in config and clf.sentiment_bias == {}
