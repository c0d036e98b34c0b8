"""Pick a classifier by the name used in ``--model`` and in settings.

One table maps names to factories, so the CLI, the API and the crawlers agree
on what ``fast``, ``lite`` and ``transformer`` mean and all fail the same way
on a typo.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .baseline import LexiconClassifier
from .classifier import Classifier
from .errors import UnknownModel


def _transformer(model_dir: Path | None = None, runtime: str = "auto", cache_dir: Path | None = None,
                 threads: int | None = None) -> Classifier:  # fmt: skip
    from .transformer import DEFAULT_CACHE_DIR, SHIPPED_MODEL_DIR, TransformerClassifier

    return TransformerClassifier(model_dir or SHIPPED_MODEL_DIR, cache_dir=cache_dir or DEFAULT_CACHE_DIR,
                                 runtime=runtime, threads=threads)  # fmt: skip


def _lite(model_dir: Path | None = None, **options) -> Classifier:
    # the distilled 4-layer student: the same classifier class over another trained folder
    from .transformer import LITE_MODEL_DIR

    return _transformer(model_dir or LITE_MODEL_DIR, **options)


def _fast(**_options) -> Classifier:
    # the lexicon baseline has no files, runtimes or threads to configure
    return LexiconClassifier()


_FACTORIES: dict[str, Callable[..., Classifier]] = {
    LexiconClassifier.name: _fast,
    "lite": _lite,
    "transformer": _transformer,
}


def known_models() -> tuple[str, ...]:
    """Names ``get_classifier`` accepts, sorted."""
    return tuple(sorted(_FACTORIES))


def get_classifier(name: str, **options) -> Classifier:
    """A new classifier for ``name``.

    Args:
        name: ``"lite"`` (the default: a 4-layer student distilled from the
            12-layer model, three times faster), ``"transformer"`` (the 12-layer
            fine-tuned e5-small, better on English sentiment) or ``"fast"``
            (the lexicon baseline).
        **options: for ``transformer`` and ``lite``: ``model_dir`` (replaces the
            shipped folder), ``runtime``, ``cache_dir``, ``threads``; ignored by ``fast``.

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
    return factory(**options)


__all__ = ["get_classifier", "known_models"]
