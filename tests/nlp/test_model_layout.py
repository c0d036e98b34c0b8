"""A model folder saved with ``save_pretrained`` loads back the same with ``from_pretrained``."""

from pathlib import Path

import numpy as np
import pytest

from nlp.errors import ModelError
from nlp.model_layout import CONFIG_FILE, TRAINING_FILE, WEIGHTS_FILE, TrainedModel

SHIPPED = sorted(p for p in (Path(__file__).resolve().parents[2] / "nlp" / "weights").iterdir() if p.is_dir())


def _model(training: dict | None = None) -> TrainedModel:
    rng = np.random.default_rng(0)
    weights = {
        "topic_head.weight": rng.normal(size=(48, 32)).astype(np.float16),
        "topic_head.bias": rng.normal(size=48).astype(np.float16),
        "bert.encoder.layer.3.output.dense.weight.delta_q4": rng.integers(0, 256, (32, 16), dtype=np.uint8),
        "bert.encoder.layer.3.output.dense.weight.delta_scale": rng.random((32, 1)).astype(np.float16),
    }
    config = {"version": "test-1", "topics": ["logistics", "price"],
              "topic_thresholds_by_lang": {"zh": {"price": 0.55}}, "note": "物流 thresholds chosen on tune"}  # fmt: skip
    return TrainedModel(config, weights, training)


def test_a_saved_model_loads_back_with_the_same_config_weights_and_report(tmp_path):
    saved = _model(training={"tune_score": 0.71, "history": [{"step": 2, "loss": None}]})
    assert saved.save_pretrained(tmp_path / "m") == tmp_path / "m"
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == sorted([CONFIG_FILE, TRAINING_FILE, WEIGHTS_FILE])
    loaded = TrainedModel.from_pretrained(tmp_path / "m")
    assert loaded.config == saved.config and loaded.training == saved.training
    assert loaded.weights.keys() == saved.weights.keys()
    for name, array in saved.weights.items():
        assert loaded.weights[name].dtype == array.dtype and np.array_equal(loaded.weights[name], array), name
    # Chinese stays readable in the file, as every writer wrote it before
    assert "物流" in (tmp_path / "m" / CONFIG_FILE).read_text(encoding="utf-8")


def test_a_head_is_stored_in_fp16_and_loads_back(tmp_path):
    model = _model()
    model.put_head("presence_head", np.full((12, 384), 0.1, dtype=np.float32), np.zeros(12, dtype=np.float64),
                   presence="token_head")  # fmt: skip
    assert model.weights["presence_head.weight"].dtype == np.float16 and model.weights["presence_head.bias"].shape == (12,)
    assert model.config["presence"] == "token_head"
    model.save_pretrained(tmp_path)
    again = TrainedModel.from_pretrained(tmp_path)
    assert np.array_equal(again.weights["presence_head.weight"], model.weights["presence_head.weight"])


def test_a_model_without_a_training_report_writes_none_and_reads_none(tmp_path):
    _model().save_pretrained(tmp_path)
    assert not (tmp_path / TRAINING_FILE).exists()
    assert TrainedModel.from_pretrained(tmp_path).training is None


def test_a_folder_without_config_or_weights_is_no_model(tmp_path):
    with pytest.raises(ModelError, match=f"no trained model in .*{CONFIG_FILE} missing"):
        TrainedModel.from_pretrained(tmp_path)
    (tmp_path / CONFIG_FILE).write_text("{}")
    with pytest.raises(ModelError, match=f"{WEIGHTS_FILE} missing"):
        TrainedModel.from_pretrained(tmp_path)


@pytest.mark.parametrize("folder", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_model_round_trips_byte_for_byte(folder, tmp_path):
    """Config edits (thresholds, cue shift, default runtime) rewrite the whole folder: nothing else may move."""
    TrainedModel.from_pretrained(folder).save_pretrained(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in folder.iterdir())
    for name in (CONFIG_FILE, TRAINING_FILE, WEIGHTS_FILE):
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), name


def test_a_config_edit_keeps_the_weights_and_their_digest(tmp_path):
    from nlp.onnx_export import weights_digest

    TrainedModel.from_pretrained(SHIPPED[0]).save_pretrained(tmp_path)
    model = TrainedModel.from_pretrained(tmp_path)
    model.config["cue_shift"] = {"zh": {"present": 0.1, "absent": 0.0}}
    model.save_pretrained(tmp_path)
    assert TrainedModel.from_pretrained(tmp_path).config["cue_shift"]["zh"]["present"] == 0.1
    assert weights_digest(tmp_path) == weights_digest(SHIPPED[0])  # the cached ONNX files stay valid


@pytest.mark.model
def test_a_network_saved_by_save_trained_loads_back_with_the_same_outputs(tmp_path):
    """``load_network`` and ``save_trained`` go through the pair: a shipped model re-saved from its
    network keeps its config and its weights, and the classifier answers the same on it."""
    from nlp.encoder import build_base_encoder
    from nlp.network import load_network, save_trained
    from nlp.transformer import DEFAULT_CACHE_DIR, LITE_MODEL_DIR, TransformerClassifier

    base = build_base_encoder(DEFAULT_CACHE_DIR)
    net, config = load_network(LITE_MODEL_DIR, base)
    shipped = TrainedModel.from_pretrained(LITE_MODEL_DIR)
    save_trained(net, tmp_path, config, base, training=shipped.training)
    again = TrainedModel.from_pretrained(tmp_path)
    assert again.config == config and again.training == shipped.training
    assert again.weights.keys() == shipped.weights.keys()
    for name, array in shipped.weights.items():
        assert np.array_equal(again.weights[name], array), name
    texts = ["物流太慢了，等了一个星期才到", "Customer service never replied to my refund request."]
    ours = TransformerClassifier(tmp_path, DEFAULT_CACHE_DIR, runtime="torch")
    theirs = TransformerClassifier(LITE_MODEL_DIR, DEFAULT_CACHE_DIR, runtime="torch")
    for a, b in zip(ours.probabilities(texts), theirs.probabilities(texts)):
        assert np.array_equal(a, b)
    same = [(a.model_dump(), b.model_dump()) for a, b in zip(ours.classify_batch(texts), theirs.classify_batch(texts))]
    assert all(a == b for a, b in same)


@pytest.mark.model
def test_continuing_training_from_a_finished_model_leaves_its_token_level_heads_behind():
    """``voclens model train --init-from`` a shipped model: the network being trained has no evidence,
    presence or mention head, so those tensors are dropped by name rather than refused."""
    from nlp.encoder import build_base_encoder
    from nlp.labels import DEFAULT_TOPICS
    from nlp.network import VoclensNet, student_config, trained_tensors
    from nlp.transformer import DEFAULT_CACHE_DIR, LITE_MODEL_DIR

    base = build_base_encoder(DEFAULT_CACHE_DIR)
    plain = VoclensNet(student_config(base, 4), DEFAULT_TOPICS, 0).state_dict()
    with pytest.raises(ModelError, match="lacks"):
        trained_tensors(LITE_MODEL_DIR, plain)
    kept = trained_tensors(LITE_MODEL_DIR, plain, drop=("evidence_head.", "presence_head.", "polarity_head."))
    assert set(kept) <= set(plain) and "topic_head.weight" in kept and "bert.encoder.layer.3.output.dense.weight" in kept
