"""One error shape for the whole API: RFC 9457 problem details (``application/problem+json``).

Every exception type maps to a status in ``STATUS_BY_ERROR``; a test pins the
table and the shape, so clients can rely on ``title``, ``detail`` and,
where known, ``field``.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from crawlers.errors import RecordError
from index.errors import (
    BackendUnavailable,
    BulkWriteError,
    CursorExpired,
    DocumentNotFound,
    InvalidQuery,
    QueryTimeout,
    SearchBackendError,
)

from .bounds import InvalidParameter
from nlp.own_topics import TopicTrainingError

from .digests.errors import InvalidSubscription, SubscriptionNotFound
from .own_topics import InvalidOwnTopic, JourneyMissing, UnknownOwnTopic

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

#: Exception type -> (HTTP status, title). Most specific first.
STATUS_BY_ERROR: list[tuple[type[Exception], int, str]] = [
    (DocumentNotFound, 404, "Document not found"),
    (SubscriptionNotFound, 404, "Subscription not found"),
    (InvalidSubscription, 422, "Invalid subscription"),
    (UnknownOwnTopic, 404, "Own topic not found"),
    (InvalidOwnTopic, 422, "Invalid own topic"),
    (TopicTrainingError, 422, "Cannot train the topic"),
    (JourneyMissing, 422, "Invalid request"),
    (InvalidParameter, 422, "Invalid request"),
    (CursorExpired, 400, "Cursor expired"),
    (InvalidQuery, 400, "Invalid query"),
    (RecordError, 422, "Invalid document"),
    (QueryTimeout, 504, "Query timed out"),
    (BackendUnavailable, 503, "Backend unavailable"),
    (BulkWriteError, 502, "Some documents could not be written"),
    (SearchBackendError, 500, "Backend error"),
]


def problem(status: int, title: str, detail: str, **extra) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


class ApiError(Exception):
    """An error raised by a route with its own status (limits, auth)."""

    def __init__(self, status: int, title: str, detail: str, field: str | None = None, headers=None):
        super().__init__(detail)
        self.status, self.title, self.detail, self.field, self.headers = status, title, detail, field, headers


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        resp = problem(exc.status, exc.title, exc.detail, field=exc.field)
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        return resp

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = []
        for err in exc.errors():
            raw = err.get("loc", ())
            # A repeated query parameter is still one parameter to the user: "sentiment", not "sentiment.0".
            parts = [p for p in raw[1:] if not isinstance(p, int)] if raw[:1] == ("query",) else raw[1:]
            loc = [str(p) for p in parts] if raw[:1] in (("query",), ("body",), ("path",), ("header",)) else [str(p) for p in raw]
            errors.append({"field": ".".join(loc) or None, "message": err.get("msg", "invalid")})
        first = errors[0] if errors else {"field": None, "message": "invalid request"}
        detail = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
        return problem(422, "Invalid request", detail, field=first["field"], errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        resp = problem(exc.status_code, _reason(exc.status_code), str(exc.detail))
        for k, v in (exc.headers or {}).items():  # 401 keeps its WWW-Authenticate
            resp.headers[k] = v
        if exc.status_code == 405:
            # Starlette names the methods of the first route on the path; the resource has them all.
            resp.headers["Allow"] = ", ".join(_allowed_methods(request))
        return resp

    for exc_type, status, title in STATUS_BY_ERROR:
        app.add_exception_handler(exc_type, _make_handler(status, title))


def _make_handler(status: int, title: str):
    async def handler(request: Request, exc: Exception):
        if status >= 500:
            log.error("request failed", extra={"path": request.url.path, "error": repr(exc)})
        extra = {"field": getattr(exc, "field", None)}
        if isinstance(exc, BulkWriteError):
            extra["errors"] = exc.errors
        return problem(status, title, str(exc), **extra)

    return handler


def _allowed_methods(request: Request) -> list[str]:
    """Every method the requested path answers, from the documented routes' own patterns.

    The routes' patterns, not the schema's templates: ``/cases/{case_id:int}``
    does not answer ``/cases/metrics``, though its template would match it.
    """
    methods: set[str] = set()
    for route in _flat_routes(request.app.routes):
        if getattr(route, "include_in_schema", False) and getattr(route, "methods", None) \
                and route.path_regex.match(request.url.path):
            methods |= {m.upper() for m in route.methods}
    if "GET" in methods:
        methods.add("HEAD")  # Starlette answers HEAD wherever it answers GET
    return sorted(methods)


def _flat_routes(routes):
    """The routes themselves: FastAPI 0.16x keeps an included router as one entry (``original_router``)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _flat_routes(inner.routes)
        else:
            yield route


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
