"""The ``Classifier`` interface every voclens model implements.

The lexicon baseline (``nlp.baseline``) and the transformer model implement
it, so the CLI, the API, the crawlers and re-classification never care which
one is configured.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, overload

from .labels import Classification

if TYPE_CHECKING:
    import numpy as np


class Classifier(ABC):
    """Turns texts into overall sentiment plus topics with their own polarity.

    Implementations must be deterministic for a given ``version`` so that a
    document's ``model_version`` tells exactly how its labels were made.
    """

    #: Short name used by ``--model`` and settings (``fast``, ``transformer``...).
    name: str = "abstract"

    @property
    @abstractmethod
    def version(self) -> str:
        """Identifier stored on every document this classifier labels."""

    @property
    def topics(self) -> tuple[str, ...]:
        """Topic keys this classifier can emit."""
        from .labels import DEFAULT_TOPICS

        return DEFAULT_TOPICS

    @abstractmethod
    def classify_batch(self, texts: Sequence[str]) -> list[Classification]:
        """Classify many texts at once; batching is where models get their speed."""

    @property
    def vector_model(self) -> str | None:
        """Name of the space ``classify_with_vectors``' vectors live in; None when there are none.

        Vectors of two names are not comparable (another encoder, or one trained
        further), so the index keeps the name with each vector.
        """
        return None

    def classify_with_vectors(self, texts: Sequence[str]) -> tuple[list[Classification], np.ndarray | None]:
        """``classify_batch`` plus one vector per text (N, D float32) where the model reads text through an encoder.

        The transformer returns the mean-pooled states its heads read, so the
        vectors cost no extra pass; models without an encoder (the lexicon
        baseline) return None.
        """
        return self.classify_batch(texts), None

    @overload
    def predict(self, texts: str) -> Classification: ...

    @overload
    def predict(self, texts: Sequence[str]) -> list[Classification]: ...

    def predict(self, texts):
        """Classify one text or a list of texts, answering in the same shape."""
        if isinstance(texts, str):
            return self.classify_batch([texts])[0]
        return self.classify_batch(list(texts))
