"""The intent-to-leave classifier: a logistic regression over a document's stored vector, plus the cue.

Why a head on the stored vector: every document the default model labels
already carries its pooled encoder vector (docs/vectors.md), so reading
intent costs no inference at scan time, and the vector says what the text
is about in both languages where a word list only sees its words. The cue
(``intent.cue``) is one more input: the head learns how much to trust it.
The scan counts a document when the head says so or the old cue rule does
(``IntentReader``); docs/scores-and-cases.md has the figures of each.

The head is 385 numbers and a threshold, kept as JSON beside this module
(``intent_weights.json``) with the name of the encoder whose vectors it was
trained on. Vectors of another encoder live in another space, so applying
the head to them is refused (:class:`EncoderMismatch`); the scan then falls
back to the cue rule and logs a warning. After a new default model,
``voclens churn train-intent`` trains the head again (one command, a few
minutes on a CPU) from the labelled pointers in ``intent_labels.jsonl``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from scipy.special import expit

from index.document import Document
from index.vectors import DocumentVector

from .intent import cue, intent_to_leave

log = logging.getLogger("voclens.churn")

HERE = Path(__file__).resolve().parent
#: Pointers into ../shared/data (set, key, text fingerprint) with a hand label and a split; never texts.
LABELS_PATH = HERE / "intent_labels.jsonl"
#: The shipped head.
WEIGHTS_PATH = HERE / "intent_weights.json"


class IntentModelError(ValueError):
    """The head cannot be used: no weights file, a malformed one, or vectors it was not trained for."""


class EncoderMismatch(IntentModelError):
    """A vector from another encoder than the one the head was trained on."""

    def __init__(self, trained_on: str, got: str):
        super().__init__(f"the intent head was trained on vectors of encoder {trained_on!r}, this vector is from "
                         f"{got!r}: run `voclens churn train-intent` with the model that made the vectors")
        self.trained_on, self.got = trained_on, got


@dataclass
class IntentModel:
    """A trained head: ``p = sigmoid(coef · [vector, cue] + intercept)``, intent when ``p >= threshold``.

    Attributes:
        encoder: the ``vector_model`` of the classifier whose vectors it reads (``e5s-lite-6``).
        coef: one weight per vector dimension, then one for the cue when ``uses_cue``.
        evaluation: precision and recall on the held-out split, and the cue rules' on the same texts.
    """

    encoder: str
    coef: list[float]
    intercept: float
    threshold: float = 0.5
    uses_cue: bool = True
    c: float = 1.0
    trained_on: dict = field(default_factory=dict)
    evaluation: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.encoder or not self.coef or not 0 < self.threshold < 1:
            raise ValueError("an intent head needs an encoder, weights and a threshold between 0 and 1")

    @classmethod
    def load(cls, path: Path = WEIGHTS_PATH) -> IntentModel:
        """The head saved at ``path``.

        Raises:
            IntentModelError: no such file, or not a head.
        """
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            model = cls(**data)
        except FileNotFoundError:
            raise IntentModelError(f"{path}: no intent head; train one with `voclens churn train-intent`") from None
        except (ValueError, TypeError) as exc:
            raise IntentModelError(f"{path}: not an intent head ({exc})") from None
        return model

    def save(self, path: Path = WEIGHTS_PATH) -> None:
        data = asdict(self)
        data["coef"] = [round(float(v), 6) for v in self.coef]
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    def features(self, vectors: np.ndarray, texts: list[str]) -> np.ndarray:
        """The head's inputs: the float vectors, then the cue (1 where ``intent.cue`` finds one) if it uses it."""
        x = np.asarray(vectors, dtype=np.float32)
        if x.shape[1] + self.uses_cue != len(self.coef):
            raise IntentModelError(f"the intent head has {len(self.coef)} weights, these vectors {x.shape[1]} numbers"
                                   f"{' and the cue' if self.uses_cue else ''}")
        if self.uses_cue:
            x = np.hstack([x, np.array([[1.0 if cue(t) else 0.0] for t in texts], dtype=np.float32)])
        return x

    def probabilities(self, vectors: np.ndarray, texts: list[str]) -> np.ndarray:
        z = self.features(vectors, texts) @ np.asarray(self.coef, dtype=np.float64) + self.intercept
        return expit(z)

    def probability(self, vector: DocumentVector, text: str) -> float:
        """The probability that ``text`` (whose stored vector is ``vector``) states an intent to leave.

        Raises:
            EncoderMismatch: ``vector`` comes from another encoder than the head's.
        """
        if vector.model != self.encoder:
            raise EncoderMismatch(self.encoder, vector.model)
        return float(self.probabilities(vector.array()[None, :], [text])[0])


class IntentReader:
    """Reads a stated intent to leave from a document: the head on its stored vector, the cue rule without one.

    A document is at intent when the head says so, or by the cue rule
    (``intent.intent_to_leave``: a cue in an unhappy document). A document
    without a vector (labelled by the lexicon model, imported with its own
    labels, a score without words) is read by the cue rule alone. So is one
    whose vector comes from another encoder than the head's: the head
    refuses it (:class:`EncoderMismatch`) and the reader logs a warning once
    per encoder, naming the command that trains the head again.

    Args:
        head: the trained head; None reads every document by the cue rule.
    """

    def __init__(self, head: IntentModel | None):
        self.head = head
        self._warned: set[str] = set()

    @classmethod
    def shipped(cls, path: Path = WEIGHTS_PATH) -> IntentReader:
        """A reader with the head at ``path``, or (with a logged warning) the cue rule alone when it cannot be read."""
        try:
            return cls(IntentModel.load(path))
        except IntentModelError as exc:
            log.warning("%s; intent to leave is read by the cue rule alone", exc)
            return cls(None)

    def __call__(self, doc: Document) -> str | None:
        """What shows the intent (the cue, or the head's probability when no cue is there), else None.

        The head decides where it can read the document, and the cue rule
        still counts beside it: the head misses short statements worded
        unlike the labelled reviews ("已经卸载了", "Closing my account today"),
        which a cue in an unhappy document catches; measured, the two
        together do best (docs/scores-and-cases.md#intent-to-leave-what-was-chosen-and-how-well-it-does).
        """
        rule = intent_to_leave(doc)
        if self.head is None or doc.vector is None:
            return rule
        text = " ".join(filter(None, (doc.title, doc.text)))
        try:
            p = self.head.probability(doc.vector, text)
        except EncoderMismatch as exc:
            if exc.got not in self._warned:
                self._warned.add(exc.got)
                log.warning("%s; documents with those vectors are read by the cue rule", exc)
            return rule
        if p >= self.head.threshold:
            return cue(text) or f"classifier, p {p:.2f}"
        return rule


__all__ = ["LABELS_PATH", "WEIGHTS_PATH", "EncoderMismatch", "IntentModel", "IntentModelError", "IntentReader"]
