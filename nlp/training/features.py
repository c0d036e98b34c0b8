"""What a training run computes once and caches: frozen-layer states and teacher probabilities.

The lower ``frozen_layers`` of the encoder never change, so each training
text goes through them exactly once: their output is cached (fp16, on disk in
the model cache) and every epoch only runs the upper layers and the heads.
On two CPU cores this is the difference between hours and minutes. A
teacher's probabilities are cached the same way, keyed by its weights and
the texts, so a second student with other settings starts training at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from ..batching import length_batches
from ..labels import DEFAULT_TOPICS
from ..network import VoclensNet

if TYPE_CHECKING:
    from .trainer import TrainingArguments


def lower_features(net: VoclensNet, encoded: list[list[int]], cache_file: Path, on_progress=None) -> list[torch.Tensor]:
    """Per-text fp16 hidden states after the frozen layers, computed once and cached."""
    from safetensors.torch import load_file

    if cache_file.exists():
        blob = load_file(str(cache_file))
        flat, offsets = blob["hidden"], blob["offsets"].tolist()
        return [flat[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)]
    out: list[torch.Tensor | None] = [None] * len(encoded)
    net.eval()
    done = 0
    with torch.inference_mode():
        for batch in length_batches(encoded, 64):
            hidden = net.lower(torch.from_numpy(batch.input_ids), torch.from_numpy(batch.attention_mask))
            for row, pos in enumerate(batch.positions):
                out[pos] = hidden[row, : len(encoded[pos])].to(torch.float16).clone()
            done += len(batch.positions)
            if on_progress:
                on_progress("features", done, len(encoded))
    lengths = [len(e) for e in encoded]
    offsets = torch.tensor(np.concatenate([[0], np.cumsum(lengths)]), dtype=torch.long)
    save_cache({"hidden": torch.cat(out), "offsets": offsets}, cache_file)
    return out  # type: ignore[return-value]


def teacher_probabilities(teacher_dir: Path, texts: Sequence[str], cache_dir: Path, threads: int,
                          on_progress=None) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """The teacher network's sentiment (N, 3) and topic-state (N, T, 4) probabilities, cached.

    Computed once per (teacher weights, texts) with the ONNX float32 runtime,
    which gives torch's numbers faster.
    """
    from safetensors.torch import load_file

    from ..onnx_export import weights_digest
    from ..transformer import TransformerClassifier

    cache_file = cache_dir / "features" / f"teacher-{texts_key(weights_digest(teacher_dir), texts)}.safetensors"
    if cache_file.exists():
        blob = load_file(str(cache_file))
        return blob["sentiment"], blob["topics"]
    teacher = TransformerClassifier(teacher_dir, cache_dir, runtime="onnx-fp32", threads=threads)
    if list(teacher.topics) != list(DEFAULT_TOPICS):
        raise ValueError(f"teacher {teacher_dir} predicts topics {teacher.topics}, not the default taxonomy")
    sent, top = [], []
    chunk = 1024
    for start in range(0, len(texts), chunk):
        s, t = teacher.probabilities(texts[start : start + chunk])
        sent.append(torch.from_numpy(s))
        top.append(torch.from_numpy(t))
        if on_progress:
            on_progress("teacher", min(start + chunk, len(texts)), len(texts))
    blob = {"sentiment": torch.cat(sent).contiguous(), "topics": torch.cat(top).contiguous()}
    save_cache(blob, cache_file)
    return blob["sentiment"], blob["topics"]


def pad_hidden(features: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Cached per-text states (L_i, H) -> one float32 batch (B, max L, H) and its 0/1 mask."""
    width = max(f.shape[0] for f in features)
    hidden = torch.zeros(len(features), width, features[0].shape[1])
    mask = torch.zeros(len(features), width, dtype=torch.long)
    for i, f in enumerate(features):
        hidden[i, : f.shape[0]] = f.float()
        mask[i, : f.shape[0]] = 1
    return hidden, mask


def texts_key(prefix: str, texts: Sequence[str]) -> str:
    """Cache key for something computed from ``texts`` under settings summed up in ``prefix``."""
    h = hashlib.sha256(prefix.encode())
    for t in texts:
        h.update(t.encode("utf-8", "replace") + b"\x00")
    return h.hexdigest()[:20]


def features_key(args: TrainingArguments, base_name: str, texts: Sequence[str]) -> str:
    """Cache key of the frozen-layer states: the base encoder, the freeze line, the cut, the texts."""
    return texts_key(f"{base_name}|{args.frozen_layers}|{args.max_length}|{args.tail}", texts)


def save_cache(tensors: dict[str, torch.Tensor], cache_file: Path) -> None:
    """Write under a temporary name, then rename: a crash never leaves a file a later run would trust."""
    from safetensors.torch import save_file

    cache_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_file.with_suffix(".tmp")
    save_file(tensors, str(tmp))
    tmp.rename(cache_file)


__all__ = ["features_key", "lower_features", "pad_hidden", "save_cache", "teacher_probabilities", "texts_key"]
