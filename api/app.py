"""The FastAPI application: ``create_app()`` wires settings, backend, classifier and routes."""

from __future__ import annotations

import logging
import time
import uuid
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from index.base import Backend
from nlp.classifier import Classifier

from .components import analyser_for, load_classifier, open_configured_backend
from .errors import install_error_handlers
from .digests.scheduler import digests_lifespan
from .routes import documents, erasure, search, subscriptions, topics, trends
from .settings import Settings, get_settings

log = logging.getLogger("voclens.api")

DESCRIPTION = """
Search and trend answers over customer feedback (reviews, social posts, tickets, surveys)
in Chinese and English. Errors are `application/problem+json`. When API keys are
configured, send one in the `X-API-Key` header.
"""


def create_app(
    settings: Settings | None = None,
    backend: Backend | None = None,
    classifier: Classifier | None = None,
) -> FastAPI:
    """Build the app. Pass ``backend``/``classifier`` to reuse ones the caller owns."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        owned = backend is None
        app.state.settings = settings
        app.state.analyser = analyser_for(settings)
        app.state.classifier = classifier or load_classifier(settings)
        app.state.backend = backend or open_configured_backend(settings)
        log.info("voclens API ready", extra={"backend": app.state.backend.name, "model": app.state.classifier.version})
        try:
            async with digests_lifespan(app, settings, lambda: app.state.backend):
                yield
        finally:
            if owned:
                app.state.backend.close()

    app = FastAPI(title="voclens", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    install_error_handlers(app)
    for module in (search, trends, topics, documents, erasure, subscriptions):
        app.include_router(module.router)

    @app.middleware("http")
    async def access_log(request: Request, call_next):
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex[:12]
        started = time.perf_counter()
        response = await call_next(request)
        response.headers["x-request-id"] = request_id
        log.info("request", extra={
            "method": request.method, "path": request.url.path, "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 1), "request_id": request_id,
        })
        return response

    return app
