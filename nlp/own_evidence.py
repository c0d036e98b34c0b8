"""Where in a text an own topic shows, and the polarity it has there.

A review is often mixed: "fast delivery but the strap broke" is about the strap, negatively,
while the review as a whole reads positive. A default topic gets its polarity from the model's
topic-state head; an own topic's head reads only the pooled vector of the whole text, which
says *whether* the text is about the topic, not where. So, for a text an own head labels:

1. the text is cut into **parts**: the clauses of ``nlp.evidence.clauses``, each further cut
   before a contrast word ("but", "however", "但是", "不过"...), where a review turns;
2. each part is encoded (one pass for all parts of a batch) and scored by the head, with the
   cue feature and the terms (``nlp.own_terms``) read from the part's own words; the best-scoring part is the **evidence**;
3. the label's **polarity** is the model's overall sentiment of that part (the runtimes expose
   no clause-level sentiment, so the part is classified as a text of its own).

A text of one part needs no second pass: its part is the text, and the text's sentiment is
known. Pure with respect to storage: the caller gives texts, heads and a classifier.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence

import numpy as np

from .classifier import Classifier
from .evidence import clauses
from .labels import Polarity, TopicLabel
from .own_topics import HeadStack, TopicHead, has_cue

#: Words that turn a review ("X, but Y"): a part starts at each. English ones as whole words; 但 and 却
#: not inside 不但 ("not only"), 冷却 ("cooling"), 退却, 忘却.
CONTRAST = re.compile(r"\b(?:but|however|although|though|yet|except|whereas)\b|但是|(?<!不)但|可是|不过|然而|(?<![冷退忘])却",
                      re.IGNORECASE)  # fmt: skip
#: Parts shorter than this (after trimming) are joined to the part before: "但" alone says nothing.
MIN_PART = 2


def parts(text: str) -> list[tuple[int, int]]:
    """(start, end) of each part of ``text``: its clauses, each cut again before a contrast word."""
    out: list[tuple[int, int]] = []
    for a, b in clauses(text):
        cuts = [m.start() for m in CONTRAST.finditer(text, a, b) if m.start() > a]
        for start, end in zip([a, *cuts], [*cuts, b]):
            while end > start and text[end - 1].isspace():
                end -= 1
            if end - start < MIN_PART and out and out[-1][1] <= start:
                out[-1] = (out[-1][0], end)  # too short to stand alone: part of the one before
            elif end > start:
                out.append((start, end))
    return out


def locate(classifier: Classifier, stack: HeadStack, cues: Mapping[str, Sequence[str]], texts: Sequence[str],
           labels: Sequence[Mapping[str, float]], sentiments: Sequence[Polarity | None] | None = None,
           ) -> list[dict[str, TopicLabel]]:  # fmt: skip
    """For each text, its own labels (``labels[i]``: ``{key: score}``) with evidence and polarity.

    Args:
        classifier: the encoder that made the vectors ``stack`` reads (its ``vector_model``).
        stack: the heads; every key of ``labels`` must be one of ``stack.keys``.
        cues: key -> cue words of the topics that weigh them.
        texts: the texts the labels were given to (as classified: title and text joined).
        labels: per text, the topics its vector was labelled with and their scores.
        sentiments: per text, its overall sentiment when known: a text of one part then
            needs no encoder pass.

    Returns:
        Per text, ``{key: TopicLabel}`` with the document-level score, the evidence span and
        the polarity of that span.
    """
    spans: list[list[tuple[int, int]]] = [parts(t or "") if lab else [] for t, lab in zip(texts, labels)]
    todo: list[tuple[int, int]] = []  # (text, part) pairs to encode
    for i, found in enumerate(spans):
        known = sentiments is not None and sentiments[i] is not None
        if len(found) > 1 or (found and not known):
            todo += [(i, k) for k in range(len(found))]
    polarity: dict[tuple[int, int], Polarity] = {}
    scores: dict[tuple[int, int], np.ndarray] = {}
    if todo:
        part_texts = [texts[i][spans[i][k][0] : spans[i][k][1]] for i, k in todo]
        results, vectors = classifier.classify_with_vectors(part_texts)
        flags = cue_flags(stack, cues, part_texts)
        part_scores = stack.scores(vectors, flags, part_texts) if vectors is not None else None
        for n, pair in enumerate(todo):
            polarity[pair] = results[n].sentiment.label
            if part_scores is not None:
                scores[pair] = part_scores[n]
    out: list[dict[str, TopicLabel]] = []
    for i, lab in enumerate(labels):
        found: dict[str, TopicLabel] = {}
        for key, score in lab.items():
            if not spans[i]:  # nothing to point at (no words): the whole text's tone, no span
                found[key] = TopicLabel(topic=key, polarity=_known(sentiments, i), score=round(float(score), 4))
                continue
            j = stack.keys.index(key)
            best = max(range(len(spans[i])), key=lambda k: scores[(i, k)][j] if (i, k) in scores else 0.0)
            tone = polarity.get((i, best)) or _known(sentiments, i)
            found[key] = TopicLabel(topic=key, polarity=tone, score=round(float(score), 4), evidence=spans[i][best])
        out.append(found)
    return out


def _known(sentiments: Sequence[Polarity | None] | None, i: int) -> Polarity:
    return (sentiments[i] if sentiments is not None else None) or Polarity.neutral


def located_by(head: TopicHead, cues: Sequence[str], classifier: Classifier) -> str:
    """A fingerprint of everything a located label depends on besides the text: the head (weights, terms,
    threshold...), the topic's cue words and the model that encodes the parts and gives their sentiment.

    Equal fingerprints locate a label in a text alike, so a label written under one need not be located again.
    """
    raw = json.dumps({"head": head.model_dump(mode="json"), "cues": sorted(cues), "model": classifier.version,
                      "vectors": classifier.vector_model}, sort_keys=True, ensure_ascii=False)  # fmt: skip
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def cue_flags(stack: HeadStack, cues: Mapping[str, Sequence[str]], texts: Sequence[str]) -> np.ndarray | None:
    """(N, T) whether each text holds one of each head's cue words (None when no head weighs cues)."""
    if not any(cues.get(k) for k in stack.keys):
        return None
    return np.array([[bool(cues.get(k)) and has_cue(t, cues[k]) for k in stack.keys] for t in texts], dtype=np.float32)


__all__ = ["CONTRAST", "cue_flags", "locate", "located_by", "parts"]
