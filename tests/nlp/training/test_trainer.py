import numpy as np
import pytest
import torch

from nlp.training.corpora import Example
from nlp.training.evaluation import DEFAULT_DATA_DIR
from nlp.labels import Polarity
from nlp.training.mix import balanced_weights, targets
from nlp.training.scoring import decode_topics
from nlp.training.trainer import TrainingArguments

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
    # a student cannot freeze more layers than it has
    with pytest.raises(ValueError, match="frozen_layers=9"):
        TrainingArguments(output_dir=tmp_path, cache_dir=tmp_path, num_layers=4)
    with pytest.raises(ValueError, match="num_layers=0.*distill_weight=1.5"):
        TrainingArguments(output_dir=tmp_path, cache_dir=tmp_path, num_layers=0, frozen_layers=0, distill_weight=1.5)


def test_soft_cross_entropy_is_smallest_at_the_teachers_distribution():
    from nlp.training.trainer import soft_cross_entropy

    teacher = torch.tensor([[0.7, 0.2, 0.1]])
    one_hot = torch.tensor([[0.0, 1.0, 0.0]])
    logits = torch.tensor([[0.3, -1.2, 2.0]])
    # against a one-hot target it is the ordinary cross-entropy
    assert soft_cross_entropy(logits, one_hot).item() == pytest.approx(
        torch.nn.functional.cross_entropy(logits, torch.tensor([1])).item())
    at_teacher = soft_cross_entropy(teacher.log(), teacher).item()
    assert at_teacher == pytest.approx(-(teacher * teacher.log()).sum().item())  # the teacher's entropy
    assert soft_cross_entropy(logits, teacher).item() > at_teacher
    # topic states: one value per (text, topic)
    assert soft_cross_entropy(torch.zeros(2, 5, 4), torch.full((2, 5, 4), 0.25)).shape == (2, 5)


def _tiny_args(output_dir, rows: int, **overrides) -> TrainingArguments:
    """A few rows per set, short texts, an evaluation every 2 steps: a training run in seconds."""
    from nlp.training.mix import DEFAULT_LIMITS
    from nlp.transformer import DEFAULT_CACHE_DIR

    return TrainingArguments(output_dir=output_dir, cache_dir=DEFAULT_CACHE_DIR, limits={k: rows for k in DEFAULT_LIMITS},
                             tune_limit=rows, epochs=1, eval_every=2, max_length=32, tail=8, **overrides)  # fmt: skip


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.skipif(not DEFAULT_DATA_DIR.exists(), reason="shared data folder not present")
def test_tiny_training_run_saves_a_model_that_loads(tmp_path):
    """A few examples per set, a few steps: the whole path from data to a loadable model."""
    from nlp.training.trainer import train
    from nlp.transformer import DEFAULT_CACHE_DIR, TransformerClassifier

    report = train(_tiny_args(tmp_path / "m", rows=6, version="tiny-1", frozen_layers=11))
    assert report["steps"] >= 2 and report["best_step"] >= 2 and report["history"]
    # each check records every tune set's scores, so a run can be judged per set afterwards
    check = report["history"][-1]
    assert set(check["per_set"]) == set(report["tune_per_set"])
    assert all(0.0 <= v <= 1.0 for scores in check["per_set"].values() for v in scores.values())
    assert sum(report["train_examples"].values()) > 40 and report["weak_examples"] > 0
    clf = TransformerClassifier(tmp_path / "m", cache_dir=DEFAULT_CACHE_DIR, runtime="torch")
    (res,) = clf.classify_batch(["物流太慢了"])
    assert res.model_version == "tiny-1/torch"
    assert (tmp_path / "m" / "weights.safetensors").stat().st_size < 5_000_000  # one layer + heads, fp16


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.skipif(not DEFAULT_DATA_DIR.exists(), reason="shared data folder not present")
def test_tiny_distilled_student_keeps_its_depth_and_loads_on_both_runtimes(tmp_path):
    """A 2-layer student learns from the shipped model; the saved folder says so and loads as 2 layers."""
    import json

    from nlp.encoder import build_base_encoder
    from nlp.network import load_network, trained_tensors
    from nlp.training.trainer import train
    from nlp.transformer import DEFAULT_CACHE_DIR, SHIPPED_MODEL_DIR, TransformerClassifier

    report = train(_tiny_args(tmp_path / "s", rows=4, version="tiny-student", num_layers=2, frozen_layers=0,
                              teacher=SHIPPED_MODEL_DIR))  # fmt: skip
    assert report["steps"] >= 2
    config = json.loads((tmp_path / "s" / "config.json").read_text())
    assert config["num_layers"] == 2 and config["frozen_layers"] == 0 and config["distilled_from"] == SHIPPED_MODEL_DIR.name
    base = build_base_encoder(DEFAULT_CACHE_DIR)
    net, _ = load_network(tmp_path / "s", base)
    assert len(net.bert.encoder.layer) == 2
    # every matrix of both layers was trained and stored (as a delta), so it differs from the base's
    stored = trained_tensors(tmp_path / "s", net.state_dict())
    assert "bert.encoder.layer.0.attention.self.query.weight" in stored
    assert "bert.encoder.layer.1.output.dense.weight" in stored
    texts = ["物流太慢了", "Great quality for the price."]
    s_torch, t_torch = TransformerClassifier(tmp_path / "s", DEFAULT_CACHE_DIR, runtime="torch").probabilities(texts)
    s_onnx, t_onnx = TransformerClassifier(tmp_path / "s", DEFAULT_CACHE_DIR, runtime="onnx-fp32").probabilities(texts)
    assert np.abs(s_torch - s_onnx).max() < 1e-4 and np.abs(t_torch - t_onnx).max() < 1e-4


@pytest.mark.model
def test_continuing_from_a_folder_restores_its_trained_matrices():
    """``init_from`` goes through ``trained_tensors``: the 4-bit deltas come back, not only the biases."""
    import torch

    from nlp.encoder import build_base_encoder
    from nlp.network import load_network, trained_tensors
    from nlp.transformer import DEFAULT_CACHE_DIR, SHIPPED_MODEL_DIR

    base = build_base_encoder(DEFAULT_CACHE_DIR)
    net, _ = load_network(SHIPPED_MODEL_DIR, base)
    fresh = {k: v.clone() for k, v in net.state_dict().items()}
    from safetensors.torch import load_file

    for name, tensor in load_file(str(base / "model.safetensors")).items():
        if "bert." + name in fresh:
            fresh["bert." + name] = tensor.float()
    restored = trained_tensors(SHIPPED_MODEL_DIR, fresh)
    name = "bert.encoder.layer.11.intermediate.dense.weight"
    assert torch.equal(restored[name], net.state_dict()[name])
    assert not torch.equal(restored[name], fresh[name])  # training moved it away from the base


def test_calibrated_thresholds_maximise_each_topics_f1_on_annotated_examples():
    from nlp.training.scoring import calibrate_topic_thresholds

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


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.skipif(not DEFAULT_DATA_DIR.exists(), reason="shared data folder not present")
def test_a_continuation_scores_its_starting_point_as_step_0_unless_told_not_to(tmp_path):
    """``start_competes``: the folder it starts from is checkpoint 0 (kept if nothing beats it), or not a candidate."""
    from dataclasses import replace

    from nlp.training.trainer import build_network, read_data, run_epochs
    from nlp.transformer import SHIPPED_MODEL_DIR

    args = _tiny_args(tmp_path / "c", rows=4, version="tiny-c", frozen_layers=9, init_from=SHIPPED_MODEL_DIR)
    net, base = build_network(args)
    data = read_data(args, net, base)
    competes = run_epochs(args, net, data)
    assert competes.history[0]["step"] == 0 and competes.history[0]["loss"] is None
    fresh = replace(args, start_competes=False)
    net, _ = build_network(fresh)
    alone = run_epochs(fresh, net, data)
    assert alone.history and all(h["step"] > 0 for h in alone.history) and alone.step > 0
