"""The one place backends are named: the API, the CLI and the settings choose one from here.

Backends register a class here; importing a backend module (and its client
library) only happens when that backend is asked for. Each backend class
opens itself from the application's settings (``Backend.from_settings``), so
nothing outside ``index/`` needs to know which options which backend takes.
"""

from __future__ import annotations

from importlib import import_module

from nlp.analyser import Analyser

from .base import Backend
from .errors import BackendUnavailable

#: name -> "module:ClassName"; the first is the default.
BACKENDS: dict[str, str] = {
    "sqlite": "index.sqlite:SQLiteBackend",
    "elasticsearch": "index.elasticsearch:ElasticsearchBackend",
}


def backend_names() -> tuple[str, ...]:
    """The names a setting or a command line may give, the default first."""
    return tuple(BACKENDS)


def unknown_backend_message(name: str) -> str:
    """The one message for a backend name that is not registered."""
    return f"unknown backend {name!r}; known backends: {', '.join(sorted(BACKENDS))}"


def backend_class(name: str) -> type[Backend]:
    """The class registered as ``name`` (case and surrounding blanks ignored).

    Raises:
        ValueError: unknown ``name``; the message names the known ones.
        BackendUnavailable: the backend's module or client library is missing.
    """
    key = (name or "").strip().lower()
    if key not in BACKENDS:
        raise ValueError(unknown_backend_message(name))
    module, _, attr = BACKENDS[key].partition(":")
    try:
        return getattr(import_module(module), attr)
    except ImportError as exc:
        raise BackendUnavailable(f"backend {key!r} is not available: {exc}") from exc


def open_backend(kind: str, **options) -> Backend:
    """Open the backend called ``kind`` with its constructor options (tests, scripts).

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
    return backend_class(kind)(**options)


def open_backend_from(settings, analyser: Analyser | None = None) -> Backend:
    """Open the backend ``settings.backend`` names, configured from ``settings``.

    ``settings`` is duck-typed (``index`` never imports the API): each backend
    reads the attributes it needs in its ``from_settings``.

    Raises:
        ValueError: unknown ``settings.backend``.
        BackendUnavailable: the backend cannot be opened.
    """
    return backend_class(settings.backend).from_settings(settings, analyser)


__all__ = ["BACKENDS", "backend_class", "backend_names", "open_backend", "open_backend_from", "unknown_backend_message"]
