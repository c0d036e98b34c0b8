"""Build the configured backend, analyser and classifier from settings (CLI and API share this)."""

from __future__ import annotations

from index.base import Backend
from nlp.analyser import Analyser, get_analyser
from nlp.classifier import Classifier

from .settings import Settings


def analyser_for(settings: Settings) -> Analyser:
    return get_analyser(tuple(settings.user_terms), str(settings.user_dict) if settings.user_dict else None)


def open_configured_backend(settings: Settings) -> Backend:
    """Open the configured backend; the data directory is created on first use."""
    from index.registry import open_backend_from

    settings.data_dir.mkdir(parents=True, exist_ok=True)  # side files (checkpoints) live there with either backend
    return open_backend_from(settings, analyser_for(settings))


def load_classifier(settings: Settings, name: str | None = None) -> Classifier:
    from nlp.models import get_classifier

    return get_classifier(
        name or settings.model,
        model_dir=settings.model_dir,
        runtime=settings.model_runtime,
        cache_dir=settings.model_cache_dir.expanduser(),
        threads=settings.model_threads,
    )
