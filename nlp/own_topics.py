"""Own topics: a small head per topic over the encoder's stored vectors.

An analyst names a topic ("leaks at the lid") and gives examples: texts, or
ids of stored documents, each with ``label`` 1 (the topic) or 0 (a
counter-example). A head is a logistic regression on the examples' vectors and
on the presence of a few terms mined from the examples' words
(``nlp.own_terms``), with a background sample of the index as extra
counter-examples (a topic is rare, so most documents are not about it): no
encoder pass at labelling time, and a fraction of a second per topic on two cores.

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
from .own_terms import TermCounts, matcher, term_sets

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
    """A trained head: ``score = sigmoid(unit(vector) · weights + cue · cue_weight + Σ terms held + bias)``.

    The text has the topic when ``score >= threshold``. ``precision``, ``recall``
    and ``f1`` are cross-validated (see the module docstring); ``model`` names
    the encoder whose vectors it reads. A head stored before terms existed has
    none and reads the vector (and cue) alone.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    weights: list[float]
    bias: float
    #: Added to the logit of a text holding one of the topic's cue words (0 without cues).
    cue_weight: float = 0.0
    #: Terms of the topic's words (``nlp.own_terms``) and what each adds to the logit of a text holding it.
    terms: dict[str, float] = Field(default_factory=dict, max_length=1000)
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

    The defaults were chosen on the annotation set's ``tune`` part (the 12 default topics
    taught from 30 ``train`` items each; ``bench/bench_topics.py``), never on its ``test`` part.

    Args:
        c: inverse regularisation of the logistic regression (smaller: smoother head).
        folds: cross-validation folds (at most the number of examples of the topic).
        background_weight: total weight of the background relative to the topic's
            examples (1.0: as much as all of them together).
        seed: for the folds (the fit itself is deterministic).
        terms: most terms mined from the examples' words (0: the vector alone).
        term_min_count: examples of the topic a term must be found in to be kept.
        vector_scale: the unit vector's length as the head reads it, beside 0/1 term
            features (a longer vector is regularised less than the terms).
    """

    c: float = 1.0
    folds: int = 5
    background_weight: float = 1.0
    seed: int = 0
    terms: int = 50
    term_min_count: int = 2
    vector_scale: float = 3.0

    def __post_init__(self) -> None:
        if not self.c > 0:
            raise ValueError("c must be positive")
        if not 2 <= self.folds <= 20:
            raise ValueError("folds must lie in [2, 20]")
        if not 0 < self.background_weight <= 100:
            raise ValueError("background_weight must lie in (0, 100]")
        if not 0 <= self.terms <= 1000:
            raise ValueError("terms must lie in [0, 1000]")
        if not self.term_min_count >= 1:
            raise ValueError("term_min_count must be at least 1")
        if not self.vector_scale > 0:
            raise ValueError("vector_scale must be positive")


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
               args: TrainingArgs | None = None, cues: np.ndarray | None = None,
               texts: Sequence[str] | None = None) -> TopicHead:  # fmt: skip
    """Fit a head on float vectors (and the texts' words) and cross-validate it.

    Args:
        model: the encoder the vectors come from (stored on the head: it only reads that encoder's vectors).
        positives: (p, dims) vectors of the topic's examples.
        negatives: (n, dims) vectors of counter-examples (may be empty).
        background: (b, dims) vectors of documents taken as "not the topic" (may be empty, not together with ``negatives``).
        cues: for each of positives, negatives and background in that order, whether the text
            holds one of the topic's cue words; the head then weighs that too (``cue_weight``).
        texts: the texts of positives, negatives and background in that order: the head then
            also weighs terms mined from them (``nlp.own_terms``; ``args.terms`` of them at most),
            mined again inside each cross-validation fold so the scores shown stay honest.

    Raises:
        TopicTrainingError: fewer than ``MIN_POSITIVES`` examples, or nothing to contrast them with.
    """
    from threadpoolctl import threadpool_limits

    # Small matrices: one BLAS thread is as fast, and on a busy machine threads fighting over
    # two cores made a head take ten times longer.
    with threadpool_limits(limits=1):
        return _train(model, positives, negatives, background, args or TrainingArgs(), cues, texts)


def _train(model: str, positives: np.ndarray, negatives: np.ndarray, background: np.ndarray,
           args: TrainingArgs, cues: np.ndarray | None, texts: Sequence[str] | None) -> TopicHead:  # fmt: skip
    started = time.perf_counter()
    if len(positives) < MIN_POSITIVES:
        raise TopicTrainingError(f"{len(positives)} example(s) of the topic; at least {MIN_POSITIVES} are needed")
    if len(negatives) + len(background) < MIN_POSITIVES:
        raise TopicTrainingError("nothing to contrast the examples with: add counter-examples (label 0) "
                                 "or index documents with vectors")
    x = unit(np.concatenate([positives, negatives, background])) * np.float32(args.vector_scale)
    with_cues = cues is not None and bool(np.any(cues))
    if with_cues:
        x = np.concatenate([x, np.asarray(cues, dtype=np.float32).reshape(-1, 1)], axis=1)
    y = np.concatenate([np.ones(len(positives)), np.zeros(len(negatives) + len(background))]).astype(int)
    if texts is not None and len(texts) != len(y):
        raise ValueError(f"{len(texts)} texts for {len(y)} vectors")
    counts = TermCounts(term_sets(texts)) if texts is not None and args.terms else None
    is_bg = np.zeros(len(y), dtype=bool)
    is_bg[len(positives) + len(negatives):] = True
    w = _weights(y, is_bg, args.background_weight)
    from sklearn.model_selection import StratifiedKFold

    folds = min(args.folds, len(positives), len(negatives) + len(background))
    oof = np.zeros(len(y))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=args.seed).split(x, y):
        cols = counts.mine(train, y[train], args.terms, args.term_min_count) if counts else np.zeros(0, int)
        fitted = _fit(_design(x, counts, train, cols), y[train], w[train], args.c)
        oof[test] = fitted.predict_proba(_design(x, counts, test, cols))[:, 1]
    threshold, precision, recall, f1 = _best_threshold(oof, y, unlabelled=bool(len(background)))
    everything = np.arange(len(y))
    cols = counts.mine(everything, y, args.terms, args.term_min_count) if counts else np.zeros(0, int)
    head = _fit(_design(x, counts, everything, cols), y, w, args.c)
    coef = head.coef_[0]
    dims = positives.shape[1] if positives.ndim == 2 else x.shape[1]
    weights = coef[:dims] * args.vector_scale  # the stored head reads the unit vector itself
    cue_weight = float(coef[dims]) if with_cues else 0.0
    term_weights = coef[x.shape[1]:]
    terms = {str(counts.vocabulary[c]): round(float(v), 6) for c, v in zip(cols, term_weights)} if counts else {}
    return TopicHead(model=model, weights=[round(float(v), 6) for v in weights], bias=float(head.intercept_[0]),
                     cue_weight=round(cue_weight, 6), terms=dict(sorted(terms.items(), key=lambda kv: -kv[1])),
                     threshold=threshold, positives=len(positives), negatives=len(negatives),
                     background=len(background), precision=round(precision, 4), recall=round(recall, 4),
                     f1=round(f1, 4), seconds=round(time.perf_counter() - started, 3))  # fmt: skip


def _design(x: np.ndarray, counts: TermCounts | None, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The head's features for ``rows``: the (scaled) vector, the cue flag if any, then the chosen terms' presence."""
    if counts is None or not len(cols):
        return x[rows]
    return np.concatenate([x[rows], counts.columns(rows, cols)], axis=1)


@dataclass(frozen=True)
class HeadStack:
    """Several heads as one matrix, so a batch of vectors is scored by one product (and one pass over the words)."""

    keys: tuple[str, ...]
    weights: np.ndarray  # (T, dims)
    bias: np.ndarray  # (T,)
    thresholds: np.ndarray  # (T,)
    cue_weights: np.ndarray  # (T,)
    terms: tuple[str, ...] = ()  # every head's terms, once each
    term_weights: np.ndarray | None = None  # (len(terms), T)

    @classmethod
    def of(cls, heads: dict[str, TopicHead]) -> HeadStack:
        keys = tuple(heads)
        if not keys:
            empty = np.zeros(0, np.float32)
            return cls((), np.zeros((0, 0), np.float32), empty, empty, empty)
        terms = tuple(dict.fromkeys(t for k in keys for t in heads[k].terms))
        term_weights = np.zeros((len(terms), len(keys)), dtype=np.float32)
        index = {t: i for i, t in enumerate(terms)}
        for j, k in enumerate(keys):
            for t, v in heads[k].terms.items():
                term_weights[index[t], j] = v
        return cls(keys, np.array([heads[k].weights for k in keys], dtype=np.float32),
                   np.array([heads[k].bias for k in keys], dtype=np.float32),
                   np.array([heads[k].threshold for k in keys], dtype=np.float32),
                   np.array([heads[k].cue_weight for k in keys], dtype=np.float32),
                   terms, term_weights if terms else None)

    @property
    def reads_words(self) -> bool:
        """Whether some head weighs terms: scoring then needs the texts (``scores(..., texts=)``)."""
        return bool(self.terms)

    def scores(self, vectors: np.ndarray, cues: np.ndarray | None = None,
               texts: Sequence[str] | None = None) -> np.ndarray:  # fmt: skip
        """(N, T) probabilities of each topic for float vectors (N, dims).

        ``cues``: (N, T) cue words present; ``texts``: the N texts, needed when a head weighs
        terms (``reads_words``; ValueError without them, as the scores would be wrong).
        """
        logits = unit(vectors) @ self.weights.T + self.bias
        if cues is not None:
            logits = logits + cues * self.cue_weights
        if self.term_weights is not None:
            if texts is None:
                raise ValueError("these heads weigh the texts' words: give the texts")
            if len(texts) != len(logits):
                raise ValueError(f"{len(texts)} texts for {len(logits)} vectors")
            logits = logits + matcher(self.terms).presence(texts) @ self.term_weights
        return 1.0 / (1.0 + np.exp(-logits))

    def labels(self, vectors: np.ndarray, cues: np.ndarray | None = None,
               texts: Sequence[str] | None = None) -> list[dict[str, float]]:  # fmt: skip
        """Per vector, ``{key: score}`` of the topics whose score reaches their threshold."""
        if not self.keys or not len(vectors):
            return [{} for _ in range(len(vectors))]
        s = self.scores(vectors, cues, texts)
        rows, cols = np.nonzero(s >= self.thresholds)  # row by row, each row's topics in key order
        out: list[dict[str, float]] = [{} for _ in range(len(s))]
        keys = self.keys
        for i, j, score in zip(rows.tolist(), cols.tolist(), s[rows, cols].tolist()):
            out[i][keys[j]] = round(score, 4)
        return out


__all__ = [
    "KEY_PATTERN", "MAX_EXAMPLES", "MIN_POSITIVES", "HeadStack", "TopicExample", "TopicHead", "TopicTrainingError",
    "TrainingArgs", "check_key", "has_cue", "merge_examples", "parse_examples", "read_examples", "train_head", "unit",
]  # fmt: skip
