"""Own topics: a small head per topic over the encoder's stored vectors.

An analyst names a topic ("leaks at the lid") and gives examples: texts, or
ids of stored documents, each with ``label`` 1 (the topic) or 0 (a
counter-example). A head is a logistic regression on the examples' vectors,
with a background sample of the index as extra counter-examples (a topic is
rare, so most documents are not about it): no encoder pass at training or
at labelling time, and a few hundred milliseconds per topic on two cores.

Before anything is applied, :func:`train_head` measures the head by
stratified cross-validation over the same data: the precision and recall it
shows are those of heads that never saw the documents they scored. The
background counts as "not the topic" there too, so precision is a lower
bound where the background holds unlabelled documents of the topic.

Pure functions over NumPy arrays: storage (where examples and heads live,
which documents get a label) is the index's and the application's business.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import NLPError
from .labels import Polarity

#: An own topic's key: what ``topic:KEY`` names in a query and what a document's label carries.
KEY_PATTERN = r"^[a-z0-9_]+$"
_KEY_RE = re.compile(KEY_PATTERN)
#: Fewest examples of the topic a head is trained from (cross-validation needs a few per fold).
MIN_POSITIVES = 5
#: Examples of the topic from which its threshold follows recall² / predicted share (see ``_best_threshold``).
PU_MIN_POSITIVES = 20
#: Most examples one topic keeps (texts are short; a thousand is more than anyone labels by hand).
MAX_EXAMPLES = 2000


class TopicTrainingError(NLPError, ValueError):
    """Examples that cannot train a head (too few, or no vector for them); the message says what to add."""


class TopicExample(BaseModel):
    """One labelled example: a ``text`` or the ``id`` of a stored document, 1 for the topic, 0 against it.

    ``polarity`` is kept as given (an analyst's note on the example); the
    polarity of an applied label comes from the part of the text that shows the topic
    (``nlp.own_evidence``, ``docs/topics.md``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str | None = Field(default=None, min_length=1, max_length=20_000)
    id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")
    label: int = Field(ge=0, le=1)
    polarity: Polarity | None = None

    @model_validator(mode="after")
    def _text_or_id(self) -> TopicExample:
        if (self.text is None) == (self.id is None):
            raise ValueError("give exactly one of text and id")
        return self

    @property
    def identity(self) -> str:
        """What makes two examples the same (adding one twice keeps one, the later label winning)."""
        return f"id:{self.id}" if self.id is not None else f"text:{self.text}"


def has_cue(text: str, cues: Sequence[str]) -> bool:
    """Whether ``text`` holds one of ``cues`` (ignoring case): how a text example's cue feature is set.

    Stored documents get theirs from a search for the cues (``"漏液" OR "leak"``),
    which matches words rather than substrings; for cue words that are words the two agree.
    """
    folded = text.casefold()
    return any(c.casefold() in folded for c in cues)


def check_key(key: str) -> str:
    """``key`` if it can be a topic key (lower-case letters, digits, underscores; at most 64), else ValueError."""
    if not (1 <= len(key) <= 64 and _KEY_RE.match(key)):
        raise ValueError(f"topic key {key!r} must be 1-64 lower-case letters, digits or underscores")
    return key


def parse_examples(lines: Iterable[str], where: str = "examples") -> list[TopicExample]:
    """Examples from JSON lines (``{"text": ..., "label": 1}`` or ``{"id": ..., "label": 0}``).

    Blank lines are skipped. Raises TopicTrainingError naming the line of the first bad one.
    """
    out: list[TopicExample] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            out.append(TopicExample.model_validate(json.loads(line)))
        except json.JSONDecodeError as exc:
            raise TopicTrainingError(f"{where}, line {number}: not JSON ({exc.msg})") from None
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "line"
            raise TopicTrainingError(f"{where}, line {number}: {field}: {err['msg'].removeprefix('Value error, ')}") from None
    return out


def read_examples(path: str | Path) -> list[TopicExample]:
    """:func:`parse_examples` of a JSONL file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise TopicTrainingError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_examples(text.splitlines(), str(path))


def merge_examples(old: Sequence[TopicExample], new: Sequence[TopicExample]) -> list[TopicExample]:
    """``old`` then ``new``, one per text or id, a later label replacing an earlier one."""
    merged = {e.identity: e for e in old}
    for e in new:
        merged.pop(e.identity, None)
        merged[e.identity] = e
    return list(merged.values())


class TopicHead(BaseModel):
    """A trained head: ``score = sigmoid(unit(vector) · weights + cue · cue_weight + bias)``, the topic when ``score >= threshold``.

    ``precision``, ``recall`` and ``f1`` are cross-validated (see the module
    docstring); ``model`` names the encoder whose vectors it reads.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    weights: list[float]
    bias: float
    #: Added to the logit of a text holding one of the topic's cue words (0 without cues).
    cue_weight: float = 0.0
    threshold: float = Field(gt=0, lt=1)
    positives: int
    negatives: int
    background: int
    precision: float
    recall: float
    f1: float
    seconds: float


@dataclass(frozen=True)
class TrainingArgs:
    """How a head is trained; validated on creation.

    Args:
        c: inverse regularisation of the logistic regression (smaller: smoother head).
        folds: cross-validation folds (at most the number of examples of the topic).
        background_weight: total weight of the background relative to the topic's
            examples (1.0: as much as all of them together).
        seed: for the folds (the fit itself is deterministic).
    """

    c: float = 1.0
    folds: int = 5
    background_weight: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.c > 0:
            raise ValueError("c must be positive")
        if not 2 <= self.folds <= 20:
            raise ValueError("folds must lie in [2, 20]")
        if not 0 < self.background_weight <= 100:
            raise ValueError("background_weight must lie in (0, 100]")


def unit(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1: the head reads directions (pooled vectors of long texts are longer)."""
    rows = np.asarray(vectors, dtype=np.float32)
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def _weights(y: np.ndarray, is_background: np.ndarray, background_weight: float) -> np.ndarray:
    """Balanced classes, the background together weighing ``background_weight`` times the topic's examples."""
    pos = y == 1
    neg = (y == 0) & ~is_background
    w = np.ones(len(y), dtype=np.float64)
    w[pos] = 1.0
    total_pos = max(int(pos.sum()), 1)
    if is_background.any():
        w[is_background] = background_weight * total_pos / int(is_background.sum())
    if neg.any():
        w[neg] = max(total_pos / int(neg.sum()), 1.0)
    return w


def _fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=500).fit(x, y, sample_weight=w)


def _best_threshold(probs: np.ndarray, y: np.ndarray, unlabelled: bool) -> tuple[float, float, float, float]:
    """The threshold for out-of-fold scores, and its precision, recall and F1 (background as not the topic).

    With a background (``unlabelled``), F1 cannot pick it: the background
    holds unlabelled documents of the topic, and counting them as errors
    pushes the threshold up and recall down. Lee and Liu's criterion, recall²
    over the share of everything predicted positive, is proportional to
    precision × recall under that sampling and needs no labels for the
    background (on the annotation set, taught from 30 examples: mean F1 over
    the 12 default topics 0.51, against 0.49 with the threshold of best F1).
    It needs recall measured on enough examples: with fewer than
    ``PU_MIN_POSITIVES`` its noise picks low thresholds (on the demo corpus, 8
    examples of 漏液 labelled 28 documents, 8 of them leaks), so then, as
    without a background, the threshold of best F1 (there: 8 of 8 leaks).
    """
    best, best_score = (0.5, 0.0, 0.0, 0.0), -1.0
    pos = y == 1
    for th in np.arange(0.05, 0.96, 0.025):
        pred = probs >= th
        tp = int((pred & pos).sum())
        p = tp / max(int(pred.sum()), 1)
        r = tp / max(int(pos.sum()), 1)
        f = 2 * p * r / (p + r) if p + r else 0.0
        score = r * r / max(float(pred.mean()), 1e-4) if unlabelled and pos.sum() >= PU_MIN_POSITIVES else f
        if score > best_score + 1e-9:
            best, best_score = (round(float(th), 3), p, r, f), score
    return best


def train_head(model: str, positives: np.ndarray, negatives: np.ndarray, background: np.ndarray,
               args: TrainingArgs | None = None, cues: np.ndarray | None = None) -> TopicHead:  # fmt: skip
    """Fit a head on float vectors and cross-validate it.

    Args:
        model: the encoder the vectors come from (stored on the head: it only reads that encoder's vectors).
        positives: (p, dims) vectors of the topic's examples.
        negatives: (n, dims) vectors of counter-examples (may be empty).
        background: (b, dims) vectors of documents taken as "not the topic" (may be empty, not together with ``negatives``).
        cues: for each of positives, negatives and background in that order, whether the text
            holds one of the topic's cue words; the head then weighs that too (``cue_weight``).

    Raises:
        TopicTrainingError: fewer than ``MIN_POSITIVES`` examples, or nothing to contrast them with.
    """
    from threadpoolctl import threadpool_limits

    # Small matrices: one BLAS thread is as fast, and on a busy machine threads fighting over
    # two cores made a head take ten times longer.
    with threadpool_limits(limits=1):
        return _train(model, positives, negatives, background, args or TrainingArgs(), cues)


def _train(model: str, positives: np.ndarray, negatives: np.ndarray, background: np.ndarray,
           args: TrainingArgs, cues: np.ndarray | None) -> TopicHead:  # fmt: skip
    started = time.perf_counter()
    if len(positives) < MIN_POSITIVES:
        raise TopicTrainingError(f"{len(positives)} example(s) of the topic; at least {MIN_POSITIVES} are needed")
    if len(negatives) + len(background) < MIN_POSITIVES:
        raise TopicTrainingError("nothing to contrast the examples with: add counter-examples (label 0) "
                                 "or index documents with vectors")
    x = unit(np.concatenate([positives, negatives, background]))
    with_cues = cues is not None and bool(np.any(cues))
    if with_cues:
        x = np.concatenate([x, np.asarray(cues, dtype=np.float32).reshape(-1, 1)], axis=1)
    y = np.concatenate([np.ones(len(positives)), np.zeros(len(negatives) + len(background))]).astype(int)
    is_bg = np.zeros(len(y), dtype=bool)
    is_bg[len(positives) + len(negatives):] = True
    w = _weights(y, is_bg, args.background_weight)
    from sklearn.model_selection import StratifiedKFold

    folds = min(args.folds, len(positives), len(negatives) + len(background))
    oof = np.zeros(len(y))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=args.seed).split(x, y):
        oof[test] = _fit(x[train], y[train], w[train], args.c).predict_proba(x[test])[:, 1]
    threshold, precision, recall, f1 = _best_threshold(oof, y, unlabelled=bool(len(background)))
    head = _fit(x, y, w, args.c)
    coef = head.coef_[0]
    cue_weight = float(coef[-1]) if with_cues else 0.0
    coef = coef[:-1] if with_cues else coef
    return TopicHead(model=model, weights=[round(float(v), 6) for v in coef], bias=float(head.intercept_[0]),
                     cue_weight=round(cue_weight, 6),
                     threshold=threshold, positives=len(positives), negatives=len(negatives),
                     background=len(background), precision=round(precision, 4), recall=round(recall, 4),
                     f1=round(f1, 4), seconds=round(time.perf_counter() - started, 3))  # fmt: skip


@dataclass(frozen=True)
class HeadStack:
    """Several heads as one matrix, so a batch of vectors is scored by one product."""

    keys: tuple[str, ...]
    weights: np.ndarray  # (T, dims)
    bias: np.ndarray  # (T,)
    thresholds: np.ndarray  # (T,)
    cue_weights: np.ndarray  # (T,)

    @classmethod
    def of(cls, heads: dict[str, TopicHead]) -> HeadStack:
        keys = tuple(heads)
        if not keys:
            empty = np.zeros(0, np.float32)
            return cls((), np.zeros((0, 0), np.float32), empty, empty, empty)
        return cls(keys, np.array([heads[k].weights for k in keys], dtype=np.float32),
                   np.array([heads[k].bias for k in keys], dtype=np.float32),
                   np.array([heads[k].threshold for k in keys], dtype=np.float32),
                   np.array([heads[k].cue_weight for k in keys], dtype=np.float32))

    def scores(self, vectors: np.ndarray, cues: np.ndarray | None = None) -> np.ndarray:
        """(N, T) probabilities of each topic for float vectors (N, dims); ``cues``: (N, T) cue words present."""
        logits = unit(vectors) @ self.weights.T + self.bias
        if cues is not None:
            logits = logits + cues * self.cue_weights
        return 1.0 / (1.0 + np.exp(-logits))

    def labels(self, vectors: np.ndarray, cues: np.ndarray | None = None) -> list[dict[str, float]]:
        """Per vector, ``{key: score}`` of the topics whose score reaches their threshold."""
        if not self.keys or not len(vectors):
            return [{} for _ in range(len(vectors))]
        s = self.scores(vectors, cues)
        hit = s >= self.thresholds
        return [{self.keys[j]: round(float(s[i, j]), 4) for j in np.flatnonzero(hit[i])} for i in range(len(s))]


__all__ = [
    "KEY_PATTERN", "MAX_EXAMPLES", "MIN_POSITIVES", "HeadStack", "TopicExample", "TopicHead", "TopicTrainingError",
    "TrainingArgs", "check_key", "has_cue", "merge_examples", "parse_examples", "read_examples", "train_head", "unit",
]  # fmt: skip
