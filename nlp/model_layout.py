"""What a trained model directory holds and in which order its outputs come.

Kept apart from ``nlp.network`` so the ONNX runtimes can load and run a model
without importing torch: on this project's machines torch's libraries alone
take about 700 MB of memory.
"""

from __future__ import annotations

SENTIMENT_LABELS = ("negative", "neutral", "positive")
#: Topic head classes; index 0 means the text does not speak about the topic.
TOPIC_STATES = ("absent", "negative", "neutral", "positive")
WEIGHTS_FILE = "weights.safetensors"
CONFIG_FILE = "config.json"
#: Trained matrices are stored as their change from the base encoder, 4-bit in groups of this many.
DELTA_GROUP = 32

__all__ = ["CONFIG_FILE", "DELTA_GROUP", "SENTIMENT_LABELS", "TOPIC_STATES", "WEIGHTS_FILE"]
