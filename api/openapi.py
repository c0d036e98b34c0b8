"""The OpenAPI document as the server really behaves: every status, the one error shape, auth, limits.

Routes declare the errors only they can answer (``responses=problems(404)``);
:func:`install_openapi` adds what every operation can answer (422, 429, 414,
413 with a body, 401/403 when API keys are configured), replaces FastAPI's
``HTTPValidationError`` with ``Problem`` under ``application/problem+json``,
declares the security schemes, and writes the limits that come from settings
(``max_query_chars``, ``max_page_size``) into the parameters, so a client
reading the schema is never surprised by a rejection.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from .errors import PROBLEM_JSON
from .settings import Settings

_REF = {"$ref": "#/components/schemas/Problem"}
#: Operations that answer without an API key even when keys are configured.
OPEN_PATHS = ("/health", "/access")

#: Why each error status is answered; the same words in the schema and in docs/api.md.
WHEN: dict[int, str] = {
    400: "Invalid query syntax in `q` (an unknown field), a cursor this server did not issue (or that expired), "
         "too many trend buckets for the date range, or a body that cannot be parsed.",
    401: "No API key, or one that is not valid.",
    403: "The API key lacks the scope this operation needs.",
    404: "No such document or subscription.",
    409: "The document has no stored vector yet: `voclens reclassify` with the transformer model gives it one.",
    413: "The request body is larger than `max_body_bytes`, or holds more than `max_batch_size` documents.",
    414: "The URL is longer than `max_url_bytes`.",
    422: "A parameter or body value outside what the schema allows, or a combination it does not "
         "(since after until); `field` names it and `errors` lists every problem.",
    429: "Too many requests from this key (or address, without keys), or too many failed key attempts: "
         "wait `Retry-After` seconds.",
    502: "Some documents could not be written by the backend.",
    503: "The search backend cannot be reached.",
    504: "The query ran past `query_timeout_ms`.",
}


class ProblemItem(BaseModel):
    field: str | None = Field(description="Dotted path of the value (`since`, `alert.window`); null for the request as a whole.")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details: the one error shape of this API."""

    type: str = Field(description="Always `about:blank`: `title` and `status` say it all.")
    title: str
    status: int
    detail: str = Field(description="What was wrong, in words a user can act on.")
    field: str | None = Field(default=None, description="The parameter or body field at fault, where one is.")
    errors: list[ProblemItem] | dict[str, str] | None = Field(
        default=None, description="422: every problem found; 502: document id -> reason.")


def problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {"description": WHEN.get(status, HTTPStatus(status).phrase),
                                "content": {PROBLEM_JSON: {"schema": _REF}}}
    if status == 429:
        response["headers"] = {"Retry-After": {"description": "Seconds to wait before trying again.",
                                               "schema": {"type": "integer", "minimum": 1}}}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"description": "`Bearer`.", "schema": {"type": "string"}}}
    return response


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: the errors only it can answer."""
    return {s: problem_response(s) for s in statuses}


def install_openapi(app: FastAPI, settings: Settings) -> None:
    """Replace ``app.openapi`` with the honest schema for these settings (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem.pop("$defs", {}))
        schemas["Problem"] = problem
        keyed = bool(settings.api_keys)
        if keyed:
            components["securitySchemes"] = {
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                           "description": "A key from `voclens keys create`."},
                "bearer": {"type": "http", "scheme": "bearer", "description": "The same key as a bearer token."},
            }
        for path, operations in schema.get("paths", {}).items():
            for method, op in operations.items():
                responses = op.setdefault("responses", {})
                statuses = [422, 429, 414]
                if method in ("post", "put", "patch"):
                    statuses += [400, 413]
                if keyed and path not in OPEN_PATHS:
                    statuses += [401, 403]
                    op["security"] = [{"apiKey": []}, {"bearer": []}]
                for status in statuses:
                    responses[str(status)] = problem_response(status)
                _settings_limits(op, settings)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _settings_limits(op: dict, settings: Settings) -> None:
    for param in op.get("parameters", []):
        if param.get("in") != "query":
            continue
        if param["name"] == "q":
            param["schema"]["maxLength"] = settings.max_query_chars
        elif param["name"] == "limit" and op.get("operationId", "").startswith(("search", "similar_documents")):
            param["schema"]["maximum"] = settings.max_page_size


__all__ = ["PROBLEM_JSON", "WHEN", "Problem", "install_openapi", "problem_response", "problems"]
