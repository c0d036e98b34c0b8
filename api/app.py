"""The FastAPI application: ``create_app()`` wires settings, backend, classifier and routes."""

from __future__ import annotations

import logging
import time
import uuid
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from index.base import Backend
from nlp.classifier import Classifier

from .components import analyser_for, load_classifier, open_configured_backend
from .errors import install_error_handlers
from .export_links import spent_tokens
from .digests.scheduler import digests_lifespan
from .openapi import install_openapi
from .routes import access, cases, documents, drivers, erasure, export, health, own_topics, search, subscriptions, themes, topics, trends
from .settings import Settings, get_settings
from .throttle import LimitsMiddleware
from .web import install_web, is_static

log = logging.getLogger("voclens.api")

DESCRIPTION = """
Search and trend answers over customer feedback (reviews, social posts, tickets, surveys)
in Chinese and English. Errors are `application/problem+json`. When API keys are
configured, send one in the `X-API-Key` header. Requests are rate-limited per key
(per address without keys): 429 with `Retry-After` past the limit.
"""
#: Swagger UI and ReDoc, shipped in the ``fastapi-offline`` package (their licences come with it):
#: /docs and /redoc work on a machine with no network.
DOCS_ASSETS = "/docs-assets"


def _docs_files():
    from importlib.resources import files

    return files("fastapi_offline") / "static"



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
        app.state.spent_export_tokens = spent_tokens(settings.rate_limit_storage_url)  # export links: one download each
        log.info("voclens API ready", extra={"backend": app.state.backend.name, "model": app.state.classifier.version})
        try:
            async with digests_lifespan(app, settings, lambda: app.state.backend):
                yield
        finally:
            if owned:
                app.state.backend.close()
            app.state.spent_export_tokens.close()
            if getattr(app.state, "queue_client", None) is not None:  # opened by /health/ready
                app.state.queue_client.close()

    app = FastAPI(title="voclens", version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    install_error_handlers(app)
    for module in (search, export, trends, topics, own_topics, themes, documents, erasure, subscriptions, access,
                   drivers, cases, health):
        app.include_router(module.router)
    install_openapi(app, settings)
    _offline_docs(app)
    install_web(app, settings)  # the web app at / (issue 18)
    app.add_middleware(LimitsMiddleware, settings=settings, uncounted=is_static)

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


def _offline_docs(app: FastAPI) -> None:
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(_docs_files())), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}", title="voclens API",
            swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(openapi_url=f"{root}{app.openapi_url}", title="voclens API",
                              redoc_js_url=f"{root}{DOCS_ASSETS}/redoc.standalone.js",
                              redoc_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png", with_google_fonts=False)
