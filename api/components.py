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
    from index.registry import open_backend

    settings.data_dir.mkdir(parents=True, exist_ok=True)  # side files (checkpoints) live there with either backend
    if settings.backend == "elasticsearch":
        return open_backend("elasticsearch", **elasticsearch_options(settings), analyser=analyser_for(settings),
                            timeout_ms=settings.query_timeout_ms)
    return open_backend(settings.backend, path=settings.sqlite_path, analyser=analyser_for(settings),
                        timeout_ms=settings.query_timeout_ms)


def elasticsearch_options(settings: Settings) -> dict:
    """Constructor arguments of ``ElasticsearchBackend`` from the ``elasticsearch_*`` settings."""
    password = settings.elasticsearch_password.get_secret_value() if settings.elasticsearch_password else ""
    return {
        "hosts": list(settings.elasticsearch_urls),
        "index_prefix": settings.elasticsearch_index_prefix,
        "api_key": settings.elasticsearch_api_key.get_secret_value() if settings.elasticsearch_api_key else None,
        "basic_auth": (settings.elasticsearch_username, password) if settings.elasticsearch_username else None,
        "verify_certs": settings.elasticsearch_verify_certs,
        "ca_certs": str(settings.elasticsearch_ca_file) if settings.elasticsearch_ca_file else None,
        "replicas": settings.elasticsearch_replicas,
        "pit_keep_alive": settings.elasticsearch_pit_keep_alive,
    }


def load_classifier(settings: Settings, name: str | None = None) -> Classifier:
    from nlp.models import get_classifier

    return get_classifier(
        name or settings.model,
        model_dir=settings.model_dir,
        runtime=settings.model_runtime,
        cache_dir=settings.model_cache_dir.expanduser(),
        threads=settings.model_threads,
    )
