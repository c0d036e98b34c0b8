"""The ONNX graph written from NumPy arrays (``nlp.onnx_graph``) against the torch network.

The runtime builds its graph without torch; these tests hold that graph to
``nlp.network.VoclensNet`` (torch, from the ``train`` extra) on Chinese and
English texts, and check that a runtime process never imports torch or
transformers, from an empty model cache to the first answer.
"""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from nlp.batching import TextEncoder, length_batches
from nlp.transformer import DEFAULT_CACHE_DIR, LITE_MODEL_DIR, SHIPPED_MODEL_DIR

pytestmark = pytest.mark.model

WEIGHTS = SHIPPED_MODEL_DIR.parent
TEXTS = [
    "物流太慢了，等了一个星期才到，快递员态度也很差",
    "质量非常好，做工精细，性价比很高，下次还会再来",
    "客服一直不回复，退款申请了五天都没处理",
    "一般般吧",
    "The package arrived two weeks late and the box was crushed.",
    "Great quality for the price, I love it!",
    "Customer service never answered my refund request.",
    "It's okay, nothing special.",
    "订单号已经收到，这是商品的使用说明和参数介绍。" * 8 + "结果用了两天就坏了，质量太差，要求退货退款！",
]


@pytest.fixture(scope="module")
def base():
    from nlp.encoder import build_base_encoder

    return build_base_encoder(DEFAULT_CACHE_DIR)


@pytest.mark.parametrize("model", ["e5s-lite-17", "e5s-lite-16", "e5s-lite-13", "e5s-lite-10", "e5s-lite-8", "e5s-lite-1", "e5s-mt-2", "e5s-mt-1"])
def test_numpy_graph_gives_the_torch_networks_outputs(model, base, tmp_path):
    _same_outputs(WEIGHTS / model, base, tmp_path)


def test_a_presence_head_is_an_output_of_the_graph_as_of_the_torch_network(base, tmp_path):
    """A model with a presence head (``nlp.presence``): its per-token logits agree too."""
    from nlp.model_layout import TrainedModel

    model = TrainedModel.from_pretrained(LITE_MODEL_DIR)
    rng = np.random.default_rng(7)
    topics = len(model.config["topics"])
    model.weights["presence_head.weight"] = (rng.standard_normal((topics, 384)) * 0.05).astype(np.float16)
    model.weights["presence_head.bias"] = np.zeros(topics, dtype=np.float16)
    model.config["presence"] = "token_head"
    model.save_pretrained(tmp_path / "with-presence")
    _same_outputs(tmp_path / "with-presence", base, tmp_path / "graph")


def test_a_mention_head_gets_the_token_states_from_the_graph_as_from_the_torch_network(base, tmp_path):
    """A model with a mention head (``nlp.polarity``): the graph also returns the last token states,
    which the head reads in NumPy after either runtime."""
    from nlp.model_layout import TrainedModel

    model = TrainedModel.from_pretrained(LITE_MODEL_DIR)
    rng = np.random.default_rng(11)
    topics = len(model.config["topics"])
    model.weights["polarity_head.weight"] = (rng.standard_normal((3, 2 * 384 + 6)) * 0.05).astype(np.float16)
    model.weights["polarity_head.bias"] = np.zeros((topics, 3), dtype=np.float16)
    model.config["polarity"] = "mention_head"
    model.save_pretrained(tmp_path / "with-mentions")
    _same_outputs(tmp_path / "with-mentions", base, tmp_path / "graph")


def _same_outputs(model_dir, base, tmp_path):
    """Same weights bit for bit, probabilities within 1e-4 of torch (evidence head and topic-head shares), and the pooled vector the heads read."""
    torch = pytest.importorskip("torch")
    import onnxruntime as ort

    from nlp.network import load_network, mean_pool
    from nlp.onnx_graph import build_network_onnx, network_weights

    config, weights = network_weights(model_dir, base)
    net, _ = load_network(model_dir, base)
    state = net.state_dict()
    for name, array in weights.items():
        assert np.array_equal(array, state[name].numpy()), name
    assert set(weights) == {n for n in state if not n.endswith(("position_ids", "token_type_ids"))}

    path = build_network_onnx(model_dir, base, tmp_path, "net.onnx")
    assert (tmp_path / "net.onnx.data").stat().st_size > 100_000_000 and path.stat().st_size < 1_000_000
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    presence_head = config.get("presence") == "token_head"
    mention_head = config.get("polarity") == "mention_head"
    assert [o.name for o in session.get_outputs()] == (["sentiment", "topics", "evidence", "pooled"]
                                                      + ["presence"] * presence_head + ["hidden"] * mention_head)  # fmt: skip
    encoder = TextEncoder(base / "tokenizer.json", config["max_length"], config["tail"])
    for batch in length_batches(encoder.encode(TEXTS), 4):
        ids, mask = batch.input_ids, batch.attention_mask
        sent, topics, evidence, pooled, *rest = session.run(None, {"input_ids": ids, "attention_mask": mask})
        with torch.inference_mode():
            ids_t, mask_t = torch.from_numpy(ids), torch.from_numpy(mask)
            hidden = net.upper_hidden(net.lower(ids_t, mask_t), mask_t)
            s, t = net.heads(hidden, mask_t)
            topic_probs = torch.softmax(t, -1)
            ev = net.token_evidence(hidden, mask_t, topic_probs)
            vec = mean_pool(hidden, mask_t)
        assert pooled.shape == (len(ids), 384) and np.abs(pooled - vec.numpy()).max() < 1e-4
        assert np.abs(sent - torch.softmax(s, -1).numpy()).max() < 1e-4
        assert np.abs(topics - topic_probs.numpy()).max() < 1e-4
        assert np.abs(evidence - ev.numpy()).max() < 1e-3 * max(1.0, float(ev.abs().max()))
        assert (evidence[mask == 0] == 0).all()
        if presence_head:
            with torch.inference_mode():
                pres = net.token_presence(hidden, mask_t).numpy()
            assert np.abs(rest[0] - pres).max() < 1e-3 * max(1.0, float(np.abs(pres).max()))
        if mention_head:
            assert np.abs(rest[-1] - hidden.numpy()).max() < 1e-3 * max(1.0, float(hidden.abs().max()))


#: Makes torch and transformers unimportable, as in a plain ``pip install voclens``.
NO_TRAIN_EXTRA = textwrap.dedent("""
    import sys

    class NoTrainExtra:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("torch", "transformers"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    sys.meta_path.insert(0, NoTrainExtra())
""")


def _run(code: str, tmp_path) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter where torch and transformers cannot be imported."""
    import os

    root = str(Path(__file__).resolve().parents[2])  # this checkout's packages, not an installed copy
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
           "VOCLENS_MODEL_CACHE_DIR": str(tmp_path / "cache"), "VOCLENS_DATA_DIR": str(tmp_path / "data")}  # fmt: skip
    return subprocess.run([sys.executable, "-c", NO_TRAIN_EXTRA + textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=600, env=env, cwd=tmp_path)  # fmt: skip


def test_runtime_goes_from_an_empty_cache_to_answers_without_torch(tmp_path):
    """Base encoder build and check, ONNX build, int8 quantisation and `voclens classify`, torch unimportable."""
    texts = tmp_path / "texts.jsonl"
    texts.write_text("".join(json.dumps({"id": str(i), "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(TEXTS)))
    out = _run(f"""
        from api.cli import main
        sys.argv = ["voclens", "classify", "--model", "lite", "-i", {str(texts)!r}, "-o", "out.jsonl"]
        try:
            main()
        except SystemExit as exc:
            assert not exc.code, exc.code
        from nlp.models import get_classifier
        (r,) = get_classifier("lite", runtime="onnx-int8", cache_dir={str(tmp_path / "cache")!r}).classify_batch(["物流太慢了"])
        import api.app
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "transformers")))
    """, tmp_path)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split("\n")[-2] == "[]"
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["sentiment"]["label"] for r in rows[:3]] == ["negative", "positive", "negative"]
    assert rows[0]["model_version"].startswith(json.loads((LITE_MODEL_DIR / "config.json").read_text())["version"])
    built = json.loads(next((tmp_path / "cache").glob("*/voclens-build.json")).read_text())
    assert built["check_min_cosine"] >= 0.995
    assert sorted(p.name.split("-g")[-1] for p in (tmp_path / "cache" / "onnx").iterdir()) == ["5-fp32.onnx", "5-fp32.onnx.data", "5-int8.onnx"]


def test_training_commands_without_torch_say_which_extra_to_install(tmp_path):
    """No traceback and no bare ModuleNotFoundError: the message names voclens[train]."""
    out = _run("""
        from api.cli import main
        sys.argv = ["voclens", "model", "train", "-o", "trained"]
        main()
    """, tmp_path)  # fmt: skip
    assert out.returncode == 1
    assert "install voclens[train]" in out.stderr and "Traceback" not in out.stderr, out.stderr
    # the torch reference runtime, asked for by name, says the same
    out = _run("""
        from nlp.errors import MissingExtra
        from nlp.transformer import TransformerClassifier
        try:
            TransformerClassifier(runtime="torch").load()
        except MissingExtra as exc:
            print(exc)
    """, tmp_path)  # fmt: skip
    assert "install voclens[train]" in out.stdout, out.stderr[-2000:]
