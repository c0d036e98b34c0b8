"""A classifier that also gives the own topics' labels, for documents as they are written.

``voclens topics apply`` labels what is stored; documents written later (``voclens ingest``,
crawls, the queue worker, ``POST /documents``) would wait for the next apply. Wrapped in
:class:`OwnTopicsClassifier`, the model that classifies them for the write also runs the
trained own heads on the vectors it has just made (no extra encoder pass for the scores), and
locates each own label's evidence and polarity (``nlp.own_evidence``; a second pass over the
parts of the few texts an own head labels, none for a text of one part). Every write path
classifies through ``crawlers.enrich.classify_documents``, so this is the one place it happens.

The heads are read again for every batch (``heads``: one small read of the backend), so a topic
trained, retrained or removed while a worker runs counts from its next batch on; with no own
topic trained the wrapper costs that read and nothing else. A process forked from the one that
built it (``voclens ingest --workers``) must not use the backend's connection: there the parent
reads the heads for each batch it hands out (``read_heads``) and sends them along, and the
child classifies that batch with them (``use_heads``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from .classifier import Classifier
from .labels import Classification
from .own_evidence import cue_flags, locate
from .own_topics import HeadStack, TopicHead

if TYPE_CHECKING:
    import numpy as np

#: What the heads' reader answers: topic key -> (trained head, the topic's cue words).
Heads = Mapping[str, tuple[TopicHead, Sequence[str]]]


class OwnTopicsClassifier(Classifier):
    """``base``'s labels plus the own topics' (from ``heads()``), with evidence and their own polarity.

    Args:
        base: the model; its vectors are what the heads read (``vector_model`` must match a head's).
        heads: reads the trained heads now (``api.own_topics.write_heads`` reads them from the backend).
        stored: the vectors as the index will keep them (quantised): the heads score those, so a
            document gets at its write the score ``voclens topics apply`` would give it later.
    """

    def __init__(self, base: Classifier, heads: Callable[[], Heads],
                 stored: Callable[[np.ndarray], np.ndarray] | None = None):  # fmt: skip
        self.base = base
        self.name = base.name
        self._read_heads = heads
        self._stored = stored
        self._pid = os.getpid()
        self._last: Heads = heads()  # read here too, so a forked process has them

    def __getattr__(self, name: str):  # load(), runtime, config...: the base model's
        if name == "base":
            raise AttributeError(name)
        return getattr(self.base, name)

    @property
    def version(self) -> str:
        return self.base.version

    @property
    def topics(self) -> tuple[str, ...]:
        return self.base.topics

    @property
    def vector_model(self) -> str | None:
        return self.base.vector_model

    def read_heads(self) -> Heads:
        """Every trained head as stored now, read in the process that built this wrapper (for ``use_heads``)."""
        if os.getpid() != self._pid:
            raise RuntimeError("read_heads in a forked process: the backend's connection belongs to the parent")
        self._last = self._read_heads()
        return self._last

    def use_heads(self, heads: Heads) -> None:
        """In a forked process: classify with ``heads`` (read by the parent for this batch) from now on."""
        self._last = heads

    def heads(self) -> dict[str, tuple[TopicHead, Sequence[str]]]:
        """The trained heads that read this model's vectors, as stored now (see the module docstring)."""
        if os.getpid() == self._pid:
            self._last = self._read_heads()
        model = self.base.vector_model
        return {k: (h, cues) for k, (h, cues) in self._last.items() if h.model == model}

    def classify_batch(self, texts: Sequence[str]) -> list[Classification]:
        return self.classify_with_vectors(texts)[0]

    def classify_with_vectors(self, texts: Sequence[str]) -> tuple[list[Classification], np.ndarray | None]:
        results, vectors = self.base.classify_with_vectors(texts)
        if vectors is None or not results:
            return results, vectors
        heads = self.heads()
        if not heads:
            return results, vectors
        scored = self._stored(vectors) if self._stored is not None else vectors
        return own_labelled(self.base, heads, texts, results, scored), vectors


def own_labelled(classifier: Classifier, heads: Heads, texts: Sequence[str], results: Sequence[Classification],
                 vectors: np.ndarray) -> list[Classification]:  # fmt: skip
    """``results`` with the own topics' labels of ``heads`` replacing any they had (vectors: the texts' own)."""
    stack = HeadStack.of({k: h for k, (h, _) in heads.items()})
    cues = {k: list(c) for k, (h, c) in heads.items() if c and h.cue_weight}
    labels = stack.labels(vectors, cue_flags(stack, cues, texts), texts)
    located = locate(classifier, stack, cues, texts, labels, [r.sentiment.label for r in results])
    out = []
    for result, found in zip(results, located, strict=True):
        kept = [t for t in result.topics if t.topic not in heads]
        changed = found or len(kept) < len(result.topics)
        out.append(result.model_copy(update={"topics": kept + list(found.values())}) if changed else result)
    return out


__all__ = ["Heads", "OwnTopicsClassifier", "own_labelled"]
