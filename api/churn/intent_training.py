"""Training the intent head (``voclens churn train-intent``) and measuring it against the cue rules.

The labels are pointers (set, key, text fingerprint) into ``../shared/data``
with a hand label: 1 when the writer states they leave, cancel, switch or
never buy again, 0 otherwise (the rules: docs/scores-and-cases.md#labels).
Texts are read at training time through ``nlp.annotations.sources`` (several
sets may not be copied), and a text whose fingerprint changed is refused
rather than silently paired with a label.

The split is fixed by a hash of the pointer, so a retrain after a new model
tests on the same texts. The regularisation and whether the cue is an input
are chosen by cross-validation on the train part only; the test part is
read once, for the figures.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from index.vectors import DocumentVector
from nlp.annotations.sources import READERS
from nlp.classifier import Classifier

from .intent import cue
from .intent_model import LABELS_PATH, IntentModel, IntentModelError

log = logging.getLogger("voclens.churn")
#: Share of the pointers held out for the test figures.
TEST_SHARE = 0.3
C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)


def split_of(set_name: str, key: str) -> str:
    """``test`` or ``train``, fixed by a hash of the pointer (about ``TEST_SHARE`` test)."""
    h = int(hashlib.sha1(f"{set_name}|{key}".encode()).hexdigest()[:8], 16)
    return "test" if h % 10 < round(TEST_SHARE * 10) else "train"


@dataclass(frozen=True)
class Example:
    set: str
    key: str
    text: str
    lang: str
    label: int
    split: str


def load_examples(data_dir: Path, labels_path: Path = LABELS_PATH) -> list[Example]:
    """The labelled texts, read from ``data_dir`` through the pointers.

    Raises:
        IntentModelError: a set or key not found, or a text that changed under its pointer
            (the message names the line of the labels file).
    """
    pointers = [json.loads(line) for line in Path(labels_path).read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = {}
    for set_name in sorted({p["set"] for p in pointers}):
        if set_name not in READERS:
            raise IntentModelError(f"{labels_path}: unknown set {set_name!r}")
        try:
            rows[set_name] = {r.key: r for r in READERS[set_name](Path(data_dir))}
        except FileNotFoundError as exc:
            raise IntentModelError(f"set {set_name!r} is missing under {data_dir} ({exc.filename})") from None
    out = []
    for n, p in enumerate(pointers, start=1):
        row = rows[p["set"]].get(p["key"])
        if row is None:
            raise IntentModelError(f"{labels_path} line {n}: {p['set']} has no row {p['key']!r}")
        if row.sha != p["sha"]:
            raise IntentModelError(f"{labels_path} line {n}: the text of {p['set']} {p['key']} changed "
                                   f"(fingerprint {row.sha}, labelled {p['sha']}); label it again")
        out.append(Example(p["set"], p["key"], row.text, row.lang, int(p["label"]), split_of(p["set"], p["key"])))
    return out


def encode(classifier: Classifier, texts: list[str], batch: int = 64) -> tuple[np.ndarray, list[str]]:
    """The vectors as the index stores them (int8 and back) and the sentiment labels, from one pass.

    Raises:
        IntentModelError: the classifier has no encoder (the lexicon model).
    """
    if classifier.vector_model is None:
        raise IntentModelError(f"model {classifier.version!r} makes no vectors: train the head with the "
                               "transformer model whose vectors the index holds (lite or transformer)")
    vectors, sentiments = [], []
    for i in range(0, len(texts), batch):
        labels, arr = classifier.classify_with_vectors(texts[i:i + batch])
        for label, row in zip(labels, arr):
            stored = DocumentVector.from_array(classifier.vector_model, row)
            vectors.append(stored.array() if stored is not None else np.zeros(arr.shape[1], dtype=np.float32))
            sentiments.append(label.sentiment.label)
    return np.vstack(vectors), sentiments


def scores(predicted: list[bool] | np.ndarray, gold: list[int]) -> dict:
    """Precision, recall and F1 of the positive class (0 where undefined)."""
    pred, gold_arr = np.asarray(predicted, dtype=bool), np.asarray(gold, dtype=bool)
    tp = int((pred & gold_arr).sum())
    precision = tp / int(pred.sum()) if pred.any() else 0.0
    recall = tp / int(gold_arr.sum()) if gold_arr.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
            "predicted": int(pred.sum()), "tp": tp}


def _estimator(c: float):
    from sklearn.linear_model import LogisticRegression

    # balanced: intent is the rarer class, and a missed customer costs more than a second look
    return LogisticRegression(C=c, max_iter=5000, class_weight="balanced")


def _choose(x_vec: np.ndarray, cue_col: np.ndarray, y: np.ndarray) -> tuple[float, bool, float]:
    """(C, uses_cue, cross-validated F1) with the best 5-fold F1 on the train part."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    best = (0.0, C_GRID[0], False)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=26)
    for uses_cue in (False, True):
        x = np.hstack([x_vec, cue_col]) if uses_cue else x_vec
        for c in C_GRID:
            pred = cross_val_predict(_estimator(c), x, y, cv=folds)
            f1 = scores(pred.astype(bool), y.tolist())["f1"]
            if f1 > best[0]:
                best = (f1, c, uses_cue)
    return best[1], best[2], best[0]


def train(classifier: Classifier, data_dir: Path, *, labels_path: Path = LABELS_PATH) -> IntentModel:
    """A head trained on the train part, with its held-out figures and the cue rules' beside them.

    ``head_or_cue_rule`` is what the scan uses (``IntentReader``): the head, or a
    cue in a document the classifier reads negative (no score on these texts).
    """
    examples = load_examples(data_dir, labels_path)
    texts = [e.text for e in examples]
    log.info("encoding %d labelled texts with %s", len(texts), classifier.version)
    vectors, sentiments = encode(classifier, texts)
    y = np.array([e.label for e in examples])
    cue_col = np.array([[1.0 if cue(t) else 0.0] for t in texts], dtype=np.float32)
    is_train = np.array([e.split == "train" for e in examples])
    c, uses_cue, cv_f1 = _choose(vectors[is_train], cue_col[is_train], y[is_train])
    x = np.hstack([vectors, cue_col]) if uses_cue else vectors
    fitted = _estimator(c).fit(x[is_train], y[is_train])
    model = IntentModel(encoder=classifier.vector_model, coef=fitted.coef_[0].tolist(),
                        intercept=float(fitted.intercept_[0]), threshold=0.5, uses_cue=uses_cue, c=c)
    test = ~is_train
    gold = y[test].tolist()
    test_texts = [t for t, keep in zip(texts, test) if keep]
    cue_found = [cue(t) is not None for t in test_texts]
    negative = [s == "negative" for s, keep in zip(sentiments, test) if keep]
    head = model.probabilities(vectors[test], test_texts) >= model.threshold
    rule = [a and b for a, b in zip(cue_found, negative)]
    by_lang = {}
    for lang in ("zh", "en"):
        mask = [e.lang == lang for e, keep in zip(examples, test) if keep]
        pick = lambda values: [v for v, m in zip(values, mask) if m]  # noqa: E731
        by_lang[lang] = {"n": sum(mask), "head": scores(pick(head.tolist()), pick(gold)),
                         "cue": scores(pick(cue_found), pick(gold))}
    model.trained_on = {"labels": labels_path.name, "train": int(is_train.sum()), "test": int(test.sum()),
                        "positives_train": int(y[is_train].sum()), "classifier": classifier.version,
                        "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    model.evaluation = {
        "split": "test", "n": int(test.sum()), "positives": int(sum(gold)), "cv_f1_train": cv_f1,
        "head": scores(head, gold),
        "cue": scores(cue_found, gold),
        "cue_and_negative": scores(rule, gold),
        "head_or_cue_rule": scores(head | np.array(rule, dtype=bool), gold),
        "by_language": by_lang,
    }
    return model


def format_report(model: IntentModel) -> str:
    """The held-out figures as a small table."""
    ev = model.evaluation
    lines = [f"intent head for {model.encoder}: C={model.c}, cue as input: {'yes' if model.uses_cue else 'no'}; "
             f"trained on {model.trained_on.get('train')} texts, tested on {ev['n']} ({ev['positives']} with intent)",
             f"{'rule':<34}{'precision':>10}{'recall':>8}{'F1':>7}"]
    for key, name in (("cue", "the cue alone"), ("cue_and_negative", "the cue in a negative document"),
                      ("head", "the head (vector + cue)" if model.uses_cue else "the head (vector)"),
                      ("head_or_cue_rule", "the head, or the cue rule (used)")):
        m = ev[key]
        lines.append(f"{name:<34}{m['precision']:>10.2f}{m['recall']:>8.2f}{m['f1']:>7.2f}")
    return "\n".join(lines)


__all__ = ["Example", "encode", "format_report", "load_examples", "scores", "split_of", "train"]
