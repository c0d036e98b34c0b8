"""The shipped transformer model, on both runtimes (marker ``model``).

The first run builds the base encoder and the ONNX file into the default
cache (~/.cache/voclens), about a minute; later runs reuse them.
"""

import json

import numpy as np
import pytest

from nlp.errors import ModelError
from nlp.labels import Polarity
from nlp.models import get_classifier
from nlp.transformer import DEFAULT_CACHE_DIR, SHIPPED_MODEL_DIR, TransformerClassifier

pytestmark = pytest.mark.model

CLEAR = [
    ("物流太慢了，等了一个星期才到，快递员态度也很差", Polarity.negative, {"logistics"}),
    ("质量非常好，做工精细，性价比很高，下次还会再来", Polarity.positive, {"quality", "price"}),
    ("The package arrived two weeks late and the box was crushed.", Polarity.negative, {"logistics"}),
    ("Great quality for the price, I love it!", Polarity.positive, {"quality", "price"}),
    ("客服一直不回复，退款申请了五天都没处理", Polarity.negative, {"customer_service", "returns_refunds"}),
    ("Customer service never answered my refund request.", Polarity.negative, {"customer_service", "returns_refunds"}),
]


@pytest.fixture(scope="module", params=["onnx-int8", "torch"])
def clf(request):
    return TransformerClassifier(SHIPPED_MODEL_DIR, cache_dir=DEFAULT_CACHE_DIR, runtime=request.param).load()


def test_shipped_model_is_small_and_described():
    size = sum(p.stat().st_size for p in SHIPPED_MODEL_DIR.iterdir())
    assert size < 5_000_000  # 4-bit deltas over the base encoder
    config = json.loads((SHIPPED_MODEL_DIR / "config.json").read_text())
    assert config["default_runtime"] in ("onnx-int8", "onnx-fp32", "torch")
    assert len(config["topics"]) == 12


def test_clear_texts_get_the_expected_sentiment_and_topics(clf):
    preds = clf.predict([t for t, _, _ in CLEAR])
    for (text, sentiment, topics), pred in zip(CLEAR, preds):
        assert pred.sentiment.label is sentiment, text
        found = {t.topic for t in pred.topics}
        assert found & topics, (text, found)
        assert all(t.polarity is sentiment for t in pred.topics if t.topic in topics), (text, pred.topics)


def _labels(c):
    return c.sentiment.label, sorted((t.topic, t.polarity) for t in c.topics)


def test_one_text_or_many_and_order_is_kept(clf):
    """Labels do not depend on batch companions; scores only within a small tolerance.

    Padding changes float sums slightly, and ONNX Runtime's dynamic int8
    quantisation scales activations per batch, so scores are not bit-identical.
    """
    texts = [t for t, _, _ in CLEAR]
    one = clf.predict(texts[2])
    many = clf.predict(texts)
    assert _labels(one) == _labels(many[2])
    assert one.sentiment.score == pytest.approx(many[2].sentiment.score, abs=0.03)
    # length bucketing reorders internally: reversing the input reverses the output
    assert [_labels(c) for c in clf.predict(texts[::-1])] == [_labels(c) for c in many[::-1]]
    assert clf.classify_batch([]) == []


def test_version_names_weights_and_runtime(clf):
    (res,) = clf.classify_batch(["还不错"])
    assert res.model_version == clf.version == f"e5s-mt-2/{clf.runtime}"
    assert res.lang == "zh" and 0 <= res.sentiment.score <= 1


def test_runtimes_agree_on_probabilities():
    texts = [t for t, _, _ in CLEAR] + ["一般般吧，没什么特别的", "It's okay, nothing special."]
    torch_rt = TransformerClassifier(runtime="torch", cache_dir=DEFAULT_CACHE_DIR)
    onnx_rt = TransformerClassifier(runtime="onnx-int8", cache_dir=DEFAULT_CACHE_DIR)
    s1, t1 = torch_rt.probabilities(texts)
    s2, t2 = onnx_rt.probabilities(texts)
    assert np.abs(s1 - s2).max() < 0.15 and np.abs(t1 - t2).max() < 0.15
    assert (s1.argmax(1) == s2.argmax(1)).mean() >= 0.75
    # the float32 export computes what torch computes
    s3, t3 = TransformerClassifier(runtime="onnx-fp32", cache_dir=DEFAULT_CACHE_DIR).probabilities(texts)
    assert np.abs(s1 - s3).max() < 1e-4 and np.abs(t1 - t3).max() < 1e-4


def test_very_long_text_is_classified_from_start_and_end(clf):
    filler = "订单号已经收到，这是商品的使用说明和参数介绍。" * 100
    with_end, without_end = clf.predict([filler + "结果用了两天就坏了，质量太差，要求退货退款！", filler])
    assert with_end.sentiment.label is Polarity.negative  # the verdict sits in the kept tail
    assert without_end.sentiment.label is not Polarity.negative
    assert ("quality", Polarity.negative) in {(t.topic, t.polarity) for t in with_end.topics}


def test_factory_and_errors(tmp_path):
    assert get_classifier("transformer", cache_dir=DEFAULT_CACHE_DIR).name == "transformer"
    with pytest.raises(ModelError, match="no trained model"):
        TransformerClassifier(tmp_path)
    with pytest.raises(ModelError, match="unknown runtime"):
        TransformerClassifier(runtime="gpu")


def test_trained_part_round_trips_as_4bit_deltas(tmp_path):
    """save_trained stores matrices as 4-bit deltas from the base; loading restores them closely."""
    import torch

    from nlp.encoder import build_base_encoder
    from nlp.network import dequantize_delta, load_network, quantize_delta, save_trained

    delta = torch.randn(8, 64) * 0.004
    packed, scale = quantize_delta(delta)
    assert packed.dtype == torch.uint8 and packed.shape == (8, 32) and scale.shape == (8, 2)
    assert (dequantize_delta(packed, scale) - delta).abs().max() <= scale.float().max() / 2 + 1e-6

    base = build_base_encoder(DEFAULT_CACHE_DIR)
    net, config = load_network(SHIPPED_MODEL_DIR, base)
    meta = {k: config[k] for k in ("version", "base", "max_length", "tail", "evidence", "presence") if k in config}
    save_trained(net, tmp_path, meta, base)
    again, _ = load_network(tmp_path, base)
    for name in net.trainable_names():
        a, b = net.state_dict()[name], again.state_dict()[name]
        assert (a - b).abs().max() <= 0.02 * a.abs().max() + 1e-3, name
    assert (tmp_path / "weights.safetensors").stat().st_size < 4_000_000


def test_cue_rules_move_topic_thresholds_per_language():
    """A topic whose cue fires needs less probability; without cue shifts the network alone decides.

    e5s-mt-1 carries the older per-language cue shift (its successors have cued thresholds instead)."""
    clf = TransformerClassifier(SHIPPED_MODEL_DIR.parent / "e5s-mt-1", cache_dir=DEFAULT_CACHE_DIR, runtime="onnx-int8")
    text = "物流太慢了，等了一个星期"
    shifts = dict(clf.cue_shift)
    try:
        _, top = clf.probabilities([text])
        k = clf.topics.index("logistics")
        presence = float(1.0 - top[0, k, 0])
        # make the threshold unreachable for the network alone, then let the cue pull it back down
        clf.thresholds[k], saved = presence + 0.2, clf.thresholds[k]
        clf.cue_shift = {}
        assert "logistics" not in {t.topic for t in clf.predict(text).topics}
        assert clf.version == f"e5s-mt-1/{clf.runtime}"
        clf.cue_shift = {"zh": (0.3, 0.0)}
        assert "logistics" in {t.topic for t in clf.predict(text).topics}
        clf.cue_shift = {"en": (0.3, 0.0)}  # an English shift does not touch a Chinese text
        assert "logistics" not in {t.topic for t in clf.predict(text).topics}
    finally:
        clf.thresholds[k] = saved
        clf.cue_shift = shifts


def test_onnx_runtimes_run_without_importing_torch():
    """torch's libraries take ~700 MB; the ONNX runtimes must not pay for them once their file is built."""
    import subprocess
    import sys

    TransformerClassifier(runtime="onnx-fp32", cache_dir=DEFAULT_CACHE_DIR).load()  # build the file if missing
    code = (
        "import sys\n"
        "from nlp.transformer import TransformerClassifier\n"
        f"c = TransformerClassifier(runtime='onnx-fp32', cache_dir={str(DEFAULT_CACHE_DIR)!r})\n"
        "(r,) = c.classify_batch(['物流太慢了，等了一个星期'])\n"
        "assert r.sentiment.label.value == 'negative', r\n"
        "print('torch' in sys.modules, 'transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]


def test_lite_model_is_shallow_small_and_gets_clear_texts_right():
    """``--model lite`` (the default): the 4-layer model trained on the annotation set."""
    from nlp.network import load_network
    from nlp.transformer import LITE_MODEL_DIR

    config = json.loads((LITE_MODEL_DIR / "config.json").read_text())
    assert config["num_layers"] == 4
    parent = json.loads((LITE_MODEL_DIR.parent / config["trained_from"] / "config.json").read_text())
    assert parent["num_layers"] == 4  # continued from a shipped 4-layer student (e5s-lite-1, e5s-lite-10)
    assert set(config["topic_thresholds_by_lang"]) == {"zh", "en"} and config["evidence"] == "head"
    assert sum(p.stat().st_size for p in LITE_MODEL_DIR.iterdir()) < 5_000_000
    lite = get_classifier("lite", cache_dir=DEFAULT_CACHE_DIR)
    assert lite.model_dir == LITE_MODEL_DIR and lite.version.startswith("e5s-lite-17")
    preds = lite.predict([t for t, _, _ in CLEAR])
    for (text, sentiment, topics), pred in zip(CLEAR, preds):
        assert pred.sentiment.label is sentiment, text
        assert {t.topic for t in pred.topics} & topics, (text, pred.topics)
    from nlp.encoder import build_base_encoder

    net, _ = load_network(LITE_MODEL_DIR, build_base_encoder(DEFAULT_CACHE_DIR))
    assert len(net.bert.encoder.layer) == 4


def test_every_topic_carries_evidence_inside_the_text(clf):
    texts = ["物流很快，第二天就到了。但是质量很差，穿了一次就起球了",
             "Great quality for the price. The package arrived two weeks late and the box was crushed."]  # fmt: skip
    for text, pred in zip(texts, clf.predict(texts)):
        assert pred.topics
        for t in pred.topics:
            start, end = t.evidence
            assert 0 <= start < end <= len(text) and text[start:end].strip() == text[start:end]


def test_runtimes_agree_on_evidence():
    texts = ["物流太慢了，等了一个星期才到，快递员态度也很差，不过衣服质量还可以"]
    ev = {rt: [(t.topic, t.evidence) for t in TransformerClassifier(runtime=rt, cache_dir=DEFAULT_CACHE_DIR).predict(texts)[0].topics]
          for rt in ("torch", "onnx-fp32")}  # fmt: skip
    assert ev["torch"] == ev["onnx-fp32"] and ev["torch"]


def test_traditional_text_gets_the_simplified_texts_labels(clf):
    # the model was trained on simplified Chinese; Hong Kong and Taiwan wording is folded first
    pairs = [("質量很差，用了兩天就壞了，要求退貨", "质量很差，用了两天就坏了，要求退货"),
             ("物流太慢了，客服態度也很差", "物流太慢了，客服态度也很差")]
    for traditional, simplified in pairs:
        t, s = clf.predict(traditional), clf.predict(simplified)
        assert t.model_dump() == s.model_dump()
        assert t.topics and all(x.evidence for x in t.topics)  # offsets, valid in the original text


def test_onnx_weights_live_in_an_external_file_that_onnx_runtime_maps():
    """The float32 graph keeps its weights in ``.data`` next to it: mapped, not read into memory."""
    from nlp.encoder import build_base_encoder
    from nlp.onnx_export import onnx_path

    path = onnx_path(SHIPPED_MODEL_DIR, build_base_encoder(DEFAULT_CACHE_DIR), DEFAULT_CACHE_DIR, int8=False)
    data = path.with_name(path.name + ".data")
    assert data.exists() and data.stat().st_size > 100_000_000 and path.stat().st_size < 1_000_000


def test_vectors_come_from_the_same_pass_and_agree_across_runtimes():
    """The pooled vector the heads read, beside the same labels; int8 moves it a little, fp32 not at all."""
    from nlp.transformer import LITE_MODEL_DIR

    texts = [t for t, _, _ in CLEAR]
    runs = {rt: TransformerClassifier(LITE_MODEL_DIR, runtime=rt, cache_dir=DEFAULT_CACHE_DIR)
            for rt in ("torch", "onnx-fp32", "onnx-int8")}  # fmt: skip
    vectors = {}
    for rt, clf in runs.items():
        labels, vectors[rt] = clf.classify_with_vectors(texts)
        assert labels == clf.classify_batch(texts)
        assert vectors[rt].shape == (len(texts), 384) and vectors[rt].dtype == np.float32
        config = json.loads((LITE_MODEL_DIR / "config.json").read_text())
        assert clf.vector_model == config.get("vectors_of", config["version"])

    def cosines(a, b):
        return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)

    assert cosines(vectors["torch"], vectors["onnx-fp32"]).min() > 0.9999
    assert cosines(vectors["torch"], vectors["onnx-int8"]).min() > 0.97
    assert runs["torch"].classify_with_vectors([]) == ([], None)
    fast = get_classifier("fast")
    assert fast.vector_model is None and fast.classify_with_vectors(texts)[1] is None


def test_a_model_that_keeps_another_models_encoder_makes_that_models_vectors():
    """``vectors_of`` names the shipped model whose encoder it keeps: every encoder tensor is equal,
    so stored vectors, own-topic heads and the intent head stay valid across the two."""
    from safetensors.numpy import load_file

    for config_file in sorted(SHIPPED_MODEL_DIR.parent.glob("*/config.json")):
        config = json.loads(config_file.read_text())
        if not config.get("vectors_of") or config["vectors_of"] == config["version"]:
            continue
        ours, theirs = (load_file(str(d / "weights.safetensors"))
                        for d in (config_file.parent, SHIPPED_MODEL_DIR.parent / config["vectors_of"]))  # fmt: skip
        encoder = [k for k in theirs if k.startswith("bert.")]
        assert encoder and all(np.array_equal(ours[k], theirs[k]) for k in encoder), config_file.parent.name
        clf = TransformerClassifier(config_file.parent, runtime="onnx-fp32", cache_dir=DEFAULT_CACHE_DIR)
        base = TransformerClassifier(SHIPPED_MODEL_DIR.parent / config["vectors_of"], runtime="onnx-fp32",
                                     cache_dir=DEFAULT_CACHE_DIR)  # fmt: skip
        texts = [t for t, _, _ in CLEAR]
        assert clf.vector_model == base.vector_model == config["vectors_of"]
        assert np.abs(clf.classify_with_vectors(texts)[1] - base.classify_with_vectors(texts)[1]).max() < 1e-5
