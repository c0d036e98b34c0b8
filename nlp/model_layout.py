"""What a trained model directory holds and in which order its outputs come.

Kept apart from ``nlp.network`` so the ONNX runtimes can load and run a model
without importing torch: on this project's machines torch's libraries alone
take about 700 MB of memory.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ModelError

SENTIMENT_LABELS = ("negative", "neutral", "positive")
#: Topic head classes; index 0 means the text does not speak about the topic.
TOPIC_STATES = ("absent", "negative", "neutral", "positive")
WEIGHTS_FILE = "weights.safetensors"
CONFIG_FILE = "config.json"
#: Trained matrices are stored as their change from the base encoder, 4-bit in groups of this many.
DELTA_GROUP = 32
#: The report of the run that made the folder (arguments, scores, timings); not needed to run the model.
TRAINING_FILE = "training.json"


@dataclass
class TrainedModel:
    """A trained model folder in memory: its config, its weights as stored, its training report.

    The weights are only what training changed, in their stored form (fp16 tensors and
    4-bit deltas from the base encoder; ``nlp.network.load_network`` lays them over the
    base). They stay numpy arrays so that a folder is read and written without torch.
    Every writer of a model folder (training, head retraining, the evidence head, the
    CLI's config edits) and every reader outside the runtime goes through this pair, so
    the three files keep one format: a saved folder loads back byte for byte.

    Example:
        >>> model = TrainedModel.from_pretrained("nlp/weights/e5s-lite-7")  # doctest: +SKIP
        >>> model.config["topic_thresholds_by_lang"]["zh"]["price"] = 0.6  # doctest: +SKIP
        >>> model.save_pretrained("/tmp/e5s-lite-6-price")  # doctest: +SKIP
    """

    config: dict
    weights: dict[str, np.ndarray]
    #: ``training.json``; None when the folder has none (nothing is then written).
    training: dict | None = None

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> TrainedModel:
        """Read a model folder.

        Raises:
            ModelError: the folder lacks ``config.json`` or ``weights.safetensors``.
        """
        from safetensors.numpy import load_file

        directory = Path(directory)
        config = _read_json(directory / CONFIG_FILE)
        if config is None:
            raise ModelError(f"no trained model in {directory}: {CONFIG_FILE} missing")
        if not (directory / WEIGHTS_FILE).is_file():
            raise ModelError(f"no trained model in {directory}: {WEIGHTS_FILE} missing")
        return cls(config, load_file(str(directory / WEIGHTS_FILE)), _read_json(directory / TRAINING_FILE))

    def put_head(self, name: str, weight, bias, **config) -> None:
        """Store a trained head's ``name.weight`` and ``name.bias`` the way every head ships (fp16),
        with the config entries that tell the runtime to use it."""
        self.weights[f"{name}.weight"] = np.asarray(weight).astype(np.float16)
        self.weights[f"{name}.bias"] = np.asarray(bias).astype(np.float16)
        self.config.update(config)

    def drop_head(self, name: str, *config_keys: str) -> None:
        """Remove a head's tensors and the config entries that tell the runtime to use it."""
        for key in [k for k in self.weights if k.startswith(f"{name}.")]:
            del self.weights[key]
        for key in config_keys:
            self.config.pop(key, None)

    def save_pretrained(self, directory: str | Path) -> Path:
        """Write the folder (created if missing); return it.

        Each file is written under a temporary name and then renamed, weights first, so a
        crash never leaves a config that names weights which are not there.
        """
        from safetensors.numpy import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / f".{WEIGHTS_FILE}.{os.getpid()}.tmp"
        save_file({k: v if v.flags.c_contiguous else v.copy() for k, v in self.weights.items()}, str(tmp))
        os.replace(tmp, directory / WEIGHTS_FILE)
        _write_json(directory / CONFIG_FILE, self.config)
        if self.training is not None:
            _write_json(directory / TRAINING_FILE, self.training)
        return directory


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


__all__ = ["CONFIG_FILE", "DELTA_GROUP", "SENTIMENT_LABELS", "TOPIC_STATES", "TRAINING_FILE", "TrainedModel", "WEIGHTS_FILE"]
