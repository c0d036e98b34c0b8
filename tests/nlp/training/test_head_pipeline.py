"""`voclens model train-heads`: every head rebuilt over a frozen encoder, in order, recorded."""

from __future__ import annotations

import json
import shutil

import pytest

from nlp.training.evaluation import DEFAULT_DATA_DIR


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.skipif(not DEFAULT_DATA_DIR.exists(), reason="shared data folder not present")
def test_the_whole_chain_runs_on_a_slice_of_the_annotation_set_and_records_each_step(tmp_path, monkeypatch):
    """The real steps on the real model and data, cut to the first items of each part (seconds, not
    the 15 minutes of a release): the folder loads, keeps its encoder and names every step."""
    from nlp.annotations import store
    from nlp.training.head_pipeline import STEPS, build_heads
    from nlp.training.heads import HeadTrainingArguments
    from nlp.transformer import DEFAULT_CACHE_DIR, LITE_MODEL_DIR, TransformerClassifier

    full_gold, full_train = store.load_gold, store.load_train
    monkeypatch.setattr(store, "load_gold", lambda data_dir, labels_dir=store.LABELS_DIR, split=None:
                        full_gold(data_dir, labels_dir, split)[:120])  # fmt: skip
    monkeypatch.setattr(store, "load_train", lambda data_dir, labels_dir=store.LABELS_DIR:
                        full_train(data_dir, labels_dir)[:200])  # fmt: skip
    base = tmp_path / "base"
    shutil.copytree(LITE_MODEL_DIR, base)
    args = HeadTrainingArguments(base_model=base, output_dir=tmp_path / "new", version="heads-test", data_dir=DEFAULT_DATA_DIR,
                                 cache_dir=DEFAULT_CACHE_DIR, epochs=2, limit_per_set=4)  # fmt: skip
    seen = []
    report = build_heads(args, on_step=lambda name, seconds, summary: seen.append(name))

    assert seen == ["train-heads", *(s.name for s in STEPS)]
    assert report["commands"] == [f"voclens model train-heads {base} --output {tmp_path / 'new'} --version heads-test "
                                  f"--data-dir {DEFAULT_DATA_DIR} --epochs 2 --annotation-repeat 4 --other-weight 0.5 "
                                  "--min-precision 0.7"]  # fmt: skip
    assert [s["step"] for s in report["steps"]] == seen and all(s["seconds"] >= 0 for s in report["steps"])
    config = json.loads((tmp_path / "new" / "config.json").read_text())
    base_config = json.loads((base / "config.json").read_text())
    assert config["version"] == "heads-test" and config["vectors_of"] == base_config.get("vectors_of", base_config["version"])
    for check in ("presence_check", "cue_thresholds_check", "sentiment_bias_check"):
        assert config[check]["tune_texts"] == 120, check  # each step judged itself on this run's tune slice
    if config.get("evidence") == "head":  # the mention head is fitted only over an evidence head
        assert config["polarity_check"]["tune_texts"] == 120
    else:
        assert "polarity" not in config and "skipped: no evidence head" in report["steps"][3]["summary"]
    assert config["evidence_check"]["tune_texts"] <= 120 and "kept" in config["evidence_check"]
    assert config["thresholds_chosen_on"] == {"part": "annotation set tune", "items": 120, "min_precision": 0.7,
                                              "by": "add-cue-thresholds"}  # fmt: skip
    from safetensors import safe_open

    with safe_open(str(tmp_path / "new" / "weights.safetensors"), "np") as f:
        tensors = set(f.keys())
    for head, key, value in (("evidence_head", "evidence", "head"), ("presence_head", "presence", "token_head")):
        # a head the run did not keep is gone, not the base's left in place
        kept = config[f"{key}_check"]["kept"]
        assert config.get(key) == (value if kept else None) and (f"{head}.weight" in tensors) == kept
    assert json.loads((tmp_path / "new" / "training.json").read_text())["commands"] == report["commands"]
    (res,) = TransformerClassifier(tmp_path / "new", cache_dir=DEFAULT_CACHE_DIR, runtime="onnx-fp32").classify_batch(
        ["物流太慢了，包装也破了"])
    assert res.model_version.startswith("heads-test")
