"""Pick a classifier by the name used in ``--model`` and in settings.

One table maps names to factories, so the CLI, the API and the crawlers agree
on what ``fast`` means and all fail the same way on a typo.
"""

from __future__ import annotations

from collections.abc import Callable

from .baseline import LexiconClassifier
from .classifier import Classifier
from .errors import UnknownModel

_FACTORIES: dict[str, Callable[[], Classifier]] = {
    LexiconClassifier.name: LexiconClassifier,
}


def known_models() -> tuple[str, ...]:
    """Names ``get_classifier`` accepts, sorted."""
    return tuple(sorted(_FACTORIES))


def get_classifier(name: str) -> Classifier:
    """A new classifier for ``name``.

    Args:
        name: model name, e.g. ``"fast"`` for the lexicon baseline.

    Returns:
        A ready ``Classifier``; heavy resources load on first use.

    Raises:
        UnknownModel: ``name`` is not a known model; the message lists the known ones.

    Example:
        >>> get_classifier("fast").name
        'fast'
    """
    factory = _FACTORIES.get(name.strip().lower() if isinstance(name, str) else name)
    if factory is None:
        raise UnknownModel(f"unknown model {name!r}; known models: {', '.join(known_models())}")
    return factory()


__all__ = ["get_classifier", "known_models"]
