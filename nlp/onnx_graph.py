"""The network's ONNX graph, written from NumPy arrays with the ``onnx`` package.

The runtime only needs this graph, and building it from torch meant installing
torch (and 3 GB of CUDA wheels) on every machine that classifies a text. The
graph here is the one ``torch.onnx.export`` wrote from ``nlp.network.VoclensNet``
(graph version 4; version 5 adds the pooled vector as an output), written out node by node: the same inputs, outputs and
operators, the same float32 arithmetic in the same order, and the torch
exporter's node names for the matrix products, because ``quantize_int8``
chooses by name which of them stay in float. ``tests/nlp/test_onnx_graph.py``
holds its outputs to the torch network's.

The weights are the base encoder's (``model.safetensors`` of the built base,
see ``nlp.encoder``) with the trained part of a model folder laid over them:
4-bit deltas added to the base matrices, fp16 tensors taken as they are.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ModelError
from .model_layout import CONFIG_FILE, DELTA_GROUP, TOPIC_STATES, WEIGHTS_FILE

#: The operator set torch's exporter was asked for (LayerNormalization needs 17).
OPSET = 17
#: Tensors of at least this many bytes go into the external data file (onnx's default threshold).
EXTERNAL_MIN_BYTES = 1024
#: Offsets in the data file are page-aligned, so ONNX Runtime can map each tensor where it lies.
ALIGN = 4096


@dataclass(frozen=True)
class EncoderShape:
    """What the graph needs of the base encoder's config, cut to ``layers`` layers."""

    hidden: int
    heads: int
    layers: int
    eps: float

    @classmethod
    def from_base(cls, base_dir: str | Path, num_layers: int | None = None) -> EncoderShape:
        config = json.loads(Path(base_dir, "config.json").read_text())
        layers = config["num_hidden_layers"]
        if num_layers is not None:
            if not 1 <= num_layers <= layers:
                raise ModelError(f"num_layers must lie in [1, {layers}], got {num_layers}")
            layers = num_layers
        return cls(config["hidden_size"], config["num_attention_heads"], layers, float(config["layer_norm_eps"]))


def dequantize_delta(packed: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """float32 (rows, cols) from packed uint8 (rows, cols/2) and fp16 scales: ``nlp.network``'s, in NumPy."""
    rows = packed.shape[0]
    q = np.stack([packed & 0x0F, packed >> 4], axis=-1).reshape(rows, -1).astype(np.float32) - 8
    return (q.reshape(rows, -1, DELTA_GROUP) * scale.astype(np.float32)[..., None]).reshape(rows, -1)


def base_weights(base_dir: str | Path, layers: int, prefix: str = "") -> dict[str, np.ndarray]:
    """The base encoder's embeddings and first ``layers`` layers, keys prefixed by ``prefix``."""
    from safetensors import safe_open

    keep = ("embeddings.", *(f"encoder.layer.{i}." for i in range(layers)))
    with safe_open(str(Path(base_dir, "model.safetensors")), framework="np") as f:
        return {prefix + k: f.get_tensor(k) for k in f.keys() if k.startswith(keep)}


def network_weights(model_dir: str | Path, base_dir: str | Path) -> tuple[dict, dict[str, np.ndarray]]:
    """A model folder's config and its float32 weights, named as ``VoclensNet.state_dict()`` names them."""
    from safetensors.numpy import load_file

    model_dir = Path(model_dir)
    try:
        config = json.loads((model_dir / CONFIG_FILE).read_text())
    except FileNotFoundError as exc:
        raise ModelError(f"no trained model in {model_dir}: {CONFIG_FILE} missing") from exc
    shape = EncoderShape.from_base(base_dir, config.get("num_layers"))
    weights = base_weights(base_dir, shape.layers, prefix="bert.")
    stored = load_file(str(model_dir / WEIGHTS_FILE))
    heads = ("sentiment_head.", "topic_head.", "evidence_head.", "presence_head.", "polarity_head.")
    for name, tensor in stored.items():
        if name.endswith(".delta_q4"):
            param = name.removesuffix(".delta_q4")
            if param not in weights:
                raise ModelError(f"{model_dir / WEIGHTS_FILE} holds a delta for {param}, which this network lacks")
            delta = dequantize_delta(tensor, stored[param + ".delta_scale"])
            weights[param] = weights[param].astype(np.float32) + delta
        elif not name.endswith(".delta_scale"):
            if name not in weights and not name.startswith(heads):
                raise ModelError(f"{model_dir / WEIGHTS_FILE} holds a tensor this network lacks: {name}")
            weights[name] = tensor.astype(np.float32)
    return config, weights


class _Graph:
    """Nodes and initializers collected in order; names as torch's exporter gave them."""

    def __init__(self, weights: Mapping[str, np.ndarray]):
        self.weights = weights
        self.nodes: list = []
        self.initializers: dict[str, np.ndarray] = {}
        #: (name, dims) of the graph's outputs
        self.outputs: list[tuple[str, list]] = []

    def weight(self, name: str, transpose: bool = False) -> str:
        """A weight of the network as an initializer (transposed for MatMul, as torch exports Linear)."""
        try:
            array = self.weights[name]
        except KeyError:
            raise ModelError(f"the model and its base encoder lack the tensor {name}") from None
        key = f"{name}.T" if transpose else name
        self.initializers[key] = np.ascontiguousarray(array.T if transpose else array, dtype=np.float32)
        return key

    def const(self, name: str, value, dtype=np.float32) -> str:
        self.initializers[name] = np.asarray(value, dtype=dtype)
        return name

    def ints(self, name: str, values: list[int]) -> str:
        return self.const(name, values, np.int64)

    def float_mask(self, n: int, axes: list[int]) -> str:
        """``attention_mask`` with size-1 ``axes`` added, as float32 (nodes ``/Unsqueeze{n}``, ``/Cast{n}``)."""
        suffix = f"_{n}" if n else ""
        axes_name = self.ints(f"axes_{'_'.join(map(str, axes))}", axes)
        unsqueezed = self.op("Unsqueeze", f"/Unsqueeze{suffix}", "attention_mask", axes_name)
        return self.op("Cast", f"/Cast{suffix}", unsqueezed, to=1)

    def op(self, op_type: str, name: str, *inputs: str, out: str | None = None, **attrs) -> str:
        from onnx import helper

        out = out or f"{name}_output_0"
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], name=name, **attrs))
        return out

    def linear(self, x: str, param: str, name: str) -> str:
        """``x @ W.T + b``: MatMul then Add(bias, ...), as torch exports ``nn.Linear`` on 3-d input."""
        y = self.op("MatMul", f"{name}/MatMul", x, self.weight(f"{param}.weight", transpose=True))
        return self.op("Add", f"{name}/Add", self.weight(f"{param}.bias"), y)

    def layer_norm(self, x: str, param: str, name: str, eps: float) -> str:
        return self.op("LayerNormalization", f"{name}/LayerNormalization", x, self.weight(f"{param}.weight"),
                       self.weight(f"{param}.bias"), axis=-1, epsilon=eps)  # fmt: skip


def _embeddings(g: _Graph, shape: EncoderShape, p: str) -> str:
    """Word + token-type (all 0) + position embeddings, then LayerNorm."""
    from onnx import TensorProto, helper

    max_positions = g.weights[f"{p}embeddings.position_embeddings.weight"].shape[0]
    positions = g.ints("position_ids", np.arange(max_positions)[None, :])
    length = g.op("Shape", "/embeddings/Shape", "input_ids", start=1, end=2)
    position_ids = g.op("Slice", "/embeddings/Slice", positions, g.ints("zero_1d", [0]), length, g.ints("one_1d", [1]))
    zeros = g.op("ConstantOfShape", "/embeddings/ConstantOfShape", g.op("Shape", "/embeddings/Shape_1", "input_ids"),
                 value=helper.make_tensor("value", TensorProto.INT64, [1], [0]))  # fmt: skip
    word = g.op("Gather", "/embeddings/word_embeddings/Gather",
                g.weight(f"{p}embeddings.word_embeddings.weight"), "input_ids")  # fmt: skip
    types = g.op("Gather", "/embeddings/token_type_embeddings/Gather",
                 g.weight(f"{p}embeddings.token_type_embeddings.weight"), zeros)  # fmt: skip
    hidden = g.op("Add", "/embeddings/Add", word, types)
    position = g.op("Gather", "/embeddings/position_embeddings/Gather",
                    g.weight(f"{p}embeddings.position_embeddings.weight"), position_ids)  # fmt: skip
    hidden = g.op("Add", "/embeddings/Add_1", hidden, position)
    return g.layer_norm(hidden, f"{p}embeddings.LayerNorm", "/embeddings/LayerNorm", shape.eps)


def _layer(g: _Graph, hidden: str, mask: str, shape: EncoderShape, i: int, p: str) -> str:
    """One BERT layer (eager attention, exact GELU), node for node as torch exported it."""
    w, n = f"{p}encoder.layer.{i}.", f"/layer.{i}"
    head_dim = shape.hidden // shape.heads
    split = g.ints("split_heads", [0, 0, shape.heads, head_dim])

    def heads(param: str, perm: list[int]) -> str:
        x = g.linear(hidden, f"{w}attention.self.{param}", f"{n}/attention/self/{param}")
        return g.op("Transpose", f"{n}/attention/self/{param}/Transpose",
                    g.op("Reshape", f"{n}/attention/self/{param}/Reshape", x, split), perm=perm)  # fmt: skip

    q, k, v = heads("query", [0, 2, 1, 3]), heads("key", [0, 2, 3, 1]), heads("value", [0, 2, 1, 3])
    scores = g.op("MatMul", f"{n}/attention/self/MatMul", q, k)
    scores = g.op("Mul", f"{n}/attention/self/Mul", scores, g.const("attention_scale", head_dim**-0.5))
    scores = g.op("Add", f"{n}/attention/self/Add", scores, mask)
    probs = g.op("Softmax", f"{n}/attention/self/Softmax", scores, axis=-1)
    context = g.op("MatMul", f"{n}/attention/self/MatMul_1", probs, v)
    context = g.op("Transpose", f"{n}/attention/self/Transpose_3", context, perm=[0, 2, 1, 3])
    context = g.op("Reshape", f"{n}/attention/self/Reshape_3", context, g.ints("merge_heads", [0, 0, shape.hidden]))
    out = g.linear(context, f"{w}attention.output.dense", f"{n}/attention/output/dense")
    out = g.op("Add", f"{n}/attention/output/Add", out, hidden)
    attended = g.layer_norm(out, f"{w}attention.output.LayerNorm", f"{n}/attention/output/LayerNorm", shape.eps)
    x = g.linear(attended, f"{w}intermediate.dense", f"{n}/intermediate/dense")
    act = f"{n}/intermediate/intermediate_act_fn"  # x * (erf(x / sqrt 2) + 1) * 0.5
    erf = g.op("Erf", f"{act}/Erf", g.op("Div", f"{act}/Div", x, g.const("sqrt2", 2**0.5)))
    x = g.op("Mul", f"{act}/Mul", x, g.op("Add", f"{act}/Add", erf, g.const("one", 1.0)))
    x = g.op("Mul", f"{act}/Mul_1", x, g.const("half", 0.5))
    out = g.op("Add", f"{n}/output/Add", g.linear(x, f"{w}output.dense", f"{n}/output/dense"), attended)
    return g.layer_norm(out, f"{w}output.LayerNorm", f"{n}/output/LayerNorm", shape.eps)


def _encoder(g: _Graph, shape: EncoderShape, p: str) -> str:
    """Last hidden states (B, L, H) of ``input_ids`` under ``attention_mask``."""
    hidden = _embeddings(g, shape, p)
    blocked = g.op("Sub", "/Sub", g.const("one", 1.0), g.float_mask(0, [1, 2]))  # (B, 1, 1, L): 1 on padding
    mask = g.op("Mul", "/Mul", blocked, g.const("float_min", np.finfo(np.float32).min))
    for i in range(shape.layers):
        hidden = _layer(g, hidden, mask, shape, i, p)
    return hidden


def _heads(g: _Graph, hidden: str, topics: int, evidence_head: bool) -> tuple[str, str, str]:
    """Sentiment and topic probabilities from the mean-pooled states, and per-token evidence.

    The mean-pooled states themselves (``pooled``, what both heads read) are an output too:
    they are the document vector the index stores for similarity and own topics, at no
    extra encoder pass.
    """
    m = g.float_mask(1, [-1])
    axis1 = g.ints("axes_1", [1])
    summed = g.op("ReduceSum", "/ReduceSum", g.op("Mul", "/Mul_1", hidden, m), axis1, keepdims=0)
    count = g.op("Clip", "/Clip", g.op("ReduceSum", "/ReduceSum_1", m, axis1, keepdims=0), g.const("one", 1.0), "")
    pooled = g.op("Div", "/Div", summed, count, out="pooled")  # also an output: the document's vector
    topic = g.op("Gemm", "/topic_head/Gemm", pooled, g.weight("topic_head.weight"), g.weight("topic_head.bias"),
                 transB=1)  # fmt: skip
    topic = g.op("Reshape", "/Reshape", topic, g.ints("topic_shape", [-1, topics, len(TOPIC_STATES)]))
    topic_probs = g.op("Softmax", "/Softmax", topic, axis=-1, out="topics")
    sentiment = g.op("Gemm", "/sentiment_head/Gemm", pooled, g.weight("sentiment_head.weight"),
                     g.weight("sentiment_head.bias"), transB=1)  # fmt: skip
    sentiment_probs = g.op("Softmax", "/Softmax_1", sentiment, axis=-1, out="sentiment")
    token_mask = g.float_mask(2, [2])
    if evidence_head:
        scores = g.linear(hidden, "evidence_head", "/evidence_head")
    else:  # each token's share of the topic head's "present" logits, weighted by the polarities' probabilities
        w = g.weights["topic_head.weight"].reshape(topics, len(TOPIC_STATES), -1)
        diff = g.const("topic_head.present_minus_absent", w[:, 1:, :] - w[:, :1, :])
        present = g.op("Slice", "/Slice", topic_probs, g.ints("one_1d", [1]),
                       g.ints("int64_max_1d", [np.iinfo(np.int64).max]), g.ints("axes_2", [2]))  # fmt: skip
        total = g.op("ReduceSum", "/ReduceSum_2", present, g.ints("axes_-1", [-1]), keepdims=1)
        share = g.op("Div", "/Div_1", present, g.op("Clip", "/Clip_1", total, g.const("min_share", 1e-9), ""))
        scores = g.op("Einsum", "/Einsum", hidden, diff, share, equation="blh,tsh,bts->blt")
    evidence = g.op("Mul", "/Mul_2", scores, token_mask, out="evidence")
    if "presence_head.weight" in g.weights:  # per-token presence logits (``nlp.presence``)
        g.op("Mul", "/Mul_3", g.linear(hidden, "presence_head", "/presence_head"), token_mask, out="presence")
    return sentiment_probs, topic_probs, evidence


def network_graph(config: dict, weights: Mapping[str, np.ndarray], base_dir: str | Path) -> _Graph:
    """The classifier's graph: ``input_ids``, ``attention_mask`` -> ``sentiment``, ``topics``, ``evidence``, ``pooled``
    (and ``presence`` for a model with a presence head)."""
    shape = EncoderShape.from_base(base_dir, config.get("num_layers"))
    g = _Graph(weights)
    topics = len(config["topics"])
    hidden = _encoder(g, shape, "bert.")
    _heads(g, hidden, topics, config.get("evidence") == "head")
    g.outputs = [("sentiment", ["batch", 3]), ("topics", ["batch", topics, len(TOPIC_STATES)]),
                 ("evidence", ["batch", "length", topics]), ("pooled", ["batch", shape.hidden])]  # fmt: skip
    if "presence_head.weight" in weights:
        g.outputs.append(("presence", ["batch", "length", topics]))
    if "polarity_head.weight" in weights:  # the mention head (``nlp.polarity``) reads the token states
        g.op("Identity", "/hidden/Identity", hidden, out="hidden")
        g.outputs.append(("hidden", ["batch", "length", shape.hidden]))
    return g



def _model(g: _Graph, initializers: list) -> object:
    from onnx import TensorProto, helper

    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "length"])
              for n in ("input_ids", "attention_mask")]  # fmt: skip
    outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, dims) for n, dims in g.outputs]
    graph = helper.make_graph(g.nodes, "voclens", inputs, outputs, initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="voclens")
    model.ir_version = 8  # what torch's exporter wrote; every ONNX Runtime since 1.10 reads it
    return model


def save_graph(g: _Graph, folder: str | Path, name: str) -> Path:
    """Write ``folder/name`` with every tensor of 1 KB or more in ``folder/name.data``.

    The tensors are streamed into the data file one by one (page-aligned, so
    ONNX Runtime maps them instead of reading them; the 384 MB embedding table
    then costs only the rows a batch touches). Both files are written in a
    temporary folder and moved into place data first, so a reader never
    finds a graph without its weights, and two processes building at once
    each move a complete pair.
    """
    from onnx import TensorProto, helper, numpy_helper, save_model

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data_name = f"{name}.data"
    initializers = []
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        with open(Path(tmp, data_name), "wb") as data:
            for key, array in g.initializers.items():
                if array.nbytes < EXTERNAL_MIN_BYTES:
                    initializers.append(numpy_helper.from_array(array, key))
                    continue
                data.write(b"\0" * (-data.tell() % ALIGN))
                offset = data.tell()
                data.write(np.ascontiguousarray(array).tobytes())
                tensor = TensorProto(name=key, dims=array.shape, data_type=helper.np_dtype_to_tensor_dtype(array.dtype),
                                     data_location=TensorProto.EXTERNAL)  # fmt: skip
                for k, v in (("location", data_name), ("offset", str(offset)), ("length", str(array.nbytes))):
                    tensor.external_data.add(key=k, value=v)
                initializers.append(tensor)
        save_model(_model(g, initializers), str(Path(tmp, name)))
        os.replace(Path(tmp, data_name), folder / data_name)
        os.replace(Path(tmp, name), folder / name)
    return folder / name


def build_network_onnx(model_dir: str | Path, base_dir: str | Path, folder: str | Path, name: str) -> Path:
    """Write the float32 graph of a trained model folder as ``folder/name`` (+ ``.data``)."""
    config, weights = network_weights(model_dir, base_dir)
    return save_graph(network_graph(config, weights, base_dir), folder, name)


def encoder_hidden_states(base_dir: str | Path, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """Last hidden states (B, L, H) of the base encoder, on ONNX Runtime: the build check's forward pass.

    The graph is built in memory with only the embedding rows these ids use
    (ids renumbered to match), so checking a build costs tens of megabytes,
    not the 384 MB table.
    """
    import onnxruntime as ort
    from onnx import numpy_helper

    shape = EncoderShape.from_base(base_dir)
    weights = base_weights(base_dir, shape.layers)
    used, ids = np.unique(input_ids, return_inverse=True)
    weights["embeddings.word_embeddings.weight"] = weights["embeddings.word_embeddings.weight"][used]
    g = _Graph(weights)
    g.op("Identity", "/hidden", _encoder(g, shape, ""), out="hidden")
    g.outputs = [("hidden", ["batch", "length", shape.hidden])]
    model = _model(g, [numpy_helper.from_array(a, k) for k, a in g.initializers.items()])
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    feed = {"input_ids": ids.reshape(input_ids.shape).astype(np.int64),
            "attention_mask": attention_mask.astype(np.int64)}  # fmt: skip
    return session.run(None, feed)[0]


__all__ = [
    "EncoderShape", "OPSET", "base_weights", "build_network_onnx", "dequantize_delta", "encoder_hidden_states",
    "network_graph", "network_weights", "save_graph",
]  # fmt: skip
