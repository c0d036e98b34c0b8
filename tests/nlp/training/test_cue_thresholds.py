"""Cue-conditioned thresholds: the pure choice on hand-made outputs, and a real model applying them."""

from __future__ import annotations

import numpy as np
import pytest

from nlp.labels import DEFAULT_TOPICS
from nlp.training.cue_thresholds import choose, choose_pair, cue_matrix, two_fold_pair_f1
from nlp.transformer import DEFAULT_CACHE_DIR, LITE_MODEL_DIR, TransformerClassifier

SIZE = DEFAULT_TOPICS.index("size_fit")


def _toy(n: int = 40):
    """Half the texts name size and speak of it with a lukewarm network (0.3); the other half do
    not, and the network says 0.4 there, rightly one time in four."""
    present = np.r_[np.full(n // 2, 0.3), np.full(n // 2, 0.4)]
    gold = np.r_[np.full(n // 2, 1), np.tile([1, 0, 0, 0], n // 8)].astype(np.int8)
    cued = np.r_[np.ones(n // 2, bool), np.zeros(n // 2, bool)]
    return present, np.ones(n, dtype=int), gold, cued


def test_the_cued_threshold_comes_down_where_the_cue_is_right():
    present, polarity, gold, cued = _toy()
    cued_th, silent_th = choose_pair(present, polarity, gold, cued, min_precision=0.7)
    assert cued_th <= 0.3 < 0.4 < silent_th  # cued texts all fire, the uncued ones none (precision 1.0)


def test_without_the_cue_no_threshold_reaches_the_floor_and_the_most_precise_is_taken():
    present, polarity, gold, _ = _toy()
    single, same = choose_pair(present, polarity, gold, None, min_precision=0.7)
    assert single == same == 0.3  # everything fires: precision 25 / 40, better than the uncued ones alone

def _probs(present: np.ndarray) -> np.ndarray:
    top = np.zeros((len(present), len(DEFAULT_TOPICS), 4), dtype=np.float32)
    top[:, :, 0] = 1.0
    top[:, SIZE, 0], top[:, SIZE, 1] = 1.0 - present, present
    return top


def test_two_fold_check_prefers_conditioned_thresholds_when_the_cue_tells():
    present, _, gold_size, cued = _toy(80)
    top = _probs(present)
    gold = np.zeros((80, len(DEFAULT_TOPICS)), dtype=np.int8)
    gold[:, SIZE] = gold_size
    cues = np.zeros_like(gold, dtype=bool)
    cues[:, SIZE] = cued
    langs, halves = np.array(["en"] * 80), np.random.default_rng(3).integers(0, 2, 80)
    single = two_fold_pair_f1(top, gold, langs, halves, None, 0.7)["en"]
    conditioned = two_fold_pair_f1(top, gold, langs, halves, cues, 0.7)["en"]
    assert conditioned > single
    silent, cued_th = choose(top, gold, cues, 0.7)
    assert cued_th["size_fit"] < silent["size_fit"] and silent["price"] == cued_th["price"] == 0.5  # no gold price


def test_cue_matrix_reads_the_lexicons_rules():
    flags = cue_matrix(["尺码偏小，建议买大一码", "The weather is nice today."])
    assert flags.shape == (2, len(DEFAULT_TOPICS))
    assert flags[0, SIZE] and not flags[1].any()


@pytest.fixture(scope="module")
def lite():
    return TransformerClassifier(LITE_MODEL_DIR, cache_dir=DEFAULT_CACHE_DIR, runtime="onnx-fp32").load()


def test_a_real_model_uses_the_cued_threshold_only_where_the_cue_fires(lite):
    cued_text, plain_text = "尺码偏小，建议买大一码", "穿着有点紧，建议买大一号"
    saved = (dict(lite.lang_thresholds), dict(lite.cued_thresholds), dict(lite.cue_shift))
    try:
        lite.cue_shift = {}
        lite.lang_thresholds = {"zh": np.full(len(DEFAULT_TOPICS), 1.01)}  # unreachable
        lite.cued_thresholds = {}
        assert "size_fit" not in {t.topic for t in lite.predict(cued_text).topics}
        lite.cued_thresholds = {"zh": np.full(len(DEFAULT_TOPICS), 0.01)}
        assert cue_matrix([cued_text])[0, SIZE] and not cue_matrix([plain_text])[0, SIZE]
        assert "size_fit" in {t.topic for t in lite.predict(cued_text).topics}
        assert lite.predict(plain_text).topics == []  # no cue: the silent threshold (1.01) holds
        lite.cued_thresholds = {"en": np.full(len(DEFAULT_TOPICS), 0.01)}  # another language's do not apply
        assert "size_fit" not in {t.topic for t in lite.predict(cued_text).topics}
    finally:
        lite.lang_thresholds, lite.cued_thresholds, lite.cue_shift = saved


def test_add_cue_thresholds_writes_the_check_and_the_thresholds_a_model_then_reads(lite_copy_and_tune):
    from nlp.model_layout import TrainedModel
    from nlp.training.cue_thresholds import add_cue_thresholds
    from nlp.training.evaluation import DEFAULT_DATA_DIR

    model_dir, items = lite_copy_and_tune(160)
    report = add_cue_thresholds(model_dir, DEFAULT_CACHE_DIR, DEFAULT_DATA_DIR, items=items)
    config = TrainedModel.from_pretrained(model_dir).config
    assert config["cue_thresholds_check"] == report and report["tune_texts"] == 160
    assert set(report["tune_two_fold_pair_f1_cued"]) == {i.annotation.lang for i in items}
    assert set(config["topic_thresholds_by_lang"]) == {"zh", "en"}
    clf = TransformerClassifier(model_dir, cache_dir=DEFAULT_CACHE_DIR)
    if report["kept"]:
        assert set(clf.cued_thresholds) == {"zh", "en"}
    else:
        assert "cued_thresholds_by_lang" not in config and clf.cued_thresholds == {}
