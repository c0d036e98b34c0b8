"""Open a backend by name, so the API and the CLI choose one from settings.

Backends register a factory here; importing a backend module (and its client
library) only happens when that backend is asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from .base import Backend
from .errors import BackendUnavailable

#: kind -> "module:ClassName"; the class is called with the options.
BACKENDS: dict[str, str] = {
    "sqlite": "index.sqlite:SQLiteBackend",
    "elasticsearch": "index.elasticsearch:ElasticsearchBackend",
}


def _load(kind: str) -> Callable[..., Backend]:
    module, _, attr = BACKENDS[kind].partition(":")
    return getattr(import_module(module), attr)


def open_backend(kind: str, **options) -> Backend:
    """Open the backend called ``kind`` with its constructor options.

    Args:
        kind: ``"sqlite"`` (options: ``path``, ``analyser``, ``timeout_ms``) or
            ``"elasticsearch"``.
        **options: passed to the backend's constructor.

    Raises:
        ValueError: unknown ``kind``; the message names the known ones.
        BackendUnavailable: the backend's module or client library is missing.

    Example:
        >>> backend = open_backend("sqlite", path="data/voclens.db")  # doctest: +SKIP
    """
    key = (kind or "").strip().lower()
    if key not in BACKENDS:
        raise ValueError(f"unknown backend {kind!r}; known backends: {', '.join(sorted(BACKENDS))}")
    try:
        factory = _load(key)
    except ImportError as exc:
        raise BackendUnavailable(f"backend {key!r} is not available: {exc}") from exc
    return factory(**options)


__all__ = ["BACKENDS", "open_backend"]
