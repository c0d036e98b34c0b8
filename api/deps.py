"""FastAPI dependencies: the backend, the classifier and the analyser opened
once by the lifespan, API-key checks, and filters parsed from query parameters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request

from index.base import MAX_QUERY_CHARS, Backend, Filters
from nlp.analyser import Analyser
from nlp.classifier import Classifier

from .bounds import FILTER_PARAMS, IsoDateTime, build_filters, check_query
from .errors import ApiError
from .settings import ApiKey, Scope, Settings


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_backend(request: Request) -> Backend:
    return request.app.state.backend


def get_classifier(request: Request) -> Classifier:
    return request.app.state.classifier


def get_analyser(request: Request) -> Analyser:
    return request.app.state.analyser


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
BackendDep = Annotated[Backend, Depends(get_backend)]
ClassifierDep = Annotated[Classifier, Depends(get_classifier)]
AnalyserDep = Annotated[Analyser, Depends(get_analyser)]


def _presented_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return None


def has_scope(request: Request, scope: Scope) -> bool:
    """True when no keys are configured, or the request carries a key with ``scope``."""
    settings: Settings = request.app.state.settings
    if not settings.api_keys:
        return True
    key = _presented_key(request)
    if not key:
        return False
    return any(k.matches(key) and scope in k.scopes for k in settings.api_keys)


def presented_read_key(request: Request) -> ApiKey | None:
    """The configured key the request carries that may read (None without keys, or without such a key)."""
    key = _presented_key(request)
    if not key:
        return None
    return next((k for k in request.app.state.settings.api_keys if k.matches(key) and "read" in k.scopes), None)


def key_name(request: Request) -> str:
    """The name of the API key the request carries, for the erasure log; ``anonymous`` when no keys are configured."""
    settings: Settings = request.app.state.settings
    key = _presented_key(request)
    if key:
        for k in settings.api_keys:
            if k.matches(key):
                return k.name
    return "anonymous"


def require(*scopes: Scope):
    """Dependency factory: with API keys configured, demand a valid key with every one of ``scopes``."""

    def check(request: Request) -> None:
        settings: Settings = request.app.state.settings
        if not settings.api_keys:
            return
        key = _presented_key(request)
        if not key:
            raise ApiError(401, "Unauthorized", "an API key is required: send it in the X-API-Key header",
                           headers={"WWW-Authenticate": "Bearer"})
        matching = [k for k in settings.api_keys if k.matches(key)]
        if not matching:
            raise ApiError(401, "Unauthorized", "the API key is not valid", headers={"WWW-Authenticate": "Bearer"})
        if not any(all(scope in k.scopes for scope in scopes) for k in matching):
            missing = [s for s in scopes if not any(s in k.scopes for k in matching)]
            raise ApiError(403, "Forbidden", f"the API key lacks the {missing[0]!r} scope"
                           + (" (this operation answers with the stored subscription)" if len(scopes) > 1 else ""))

    return Depends(check)


ReadAccess = require("read")
WriteAccess = require("write")
#: Changes that answer with what is stored: a write-only key must not read through them what GET refuses it.
ReadWriteAccess = require("read", "write")


def _filter_param(name: str, description: str):
    """A repeatable filter parameter, its limits and allowed values declared from ``api.bounds``."""
    return Annotated[list[str], Query(description=description, json_schema_extra=FILTER_PARAMS[name].schema())]


def filters_dep(
    backend: BackendDep,
    brand: _filter_param("brand", "Brand (repeat for any of several).") = [],  # noqa: B006
    product_id: _filter_param("product_id", "Product id.") = [],  # noqa: B006
    source: _filter_param("source", "Source: jd, amazon, weibo, zendesk...") = [],  # noqa: B006
    channel: _filter_param("channel", "review, social, ticket, survey or other.") = [],  # noqa: B006
    lang: _filter_param("lang", "zh, en or other.") = [],  # noqa: B006
    sentiment: _filter_param("sentiment", "Overall sentiment.") = [],  # noqa: B006
    topic: _filter_param("topic", "Topic key, optionally with polarity: logistics or logistics:negative; "
                                  "a default topic or an own topic's (GET /own-topics).") = [],  # noqa: B006
    rating_min: Annotated[float | None, Query(ge=0, le=5)] = None,
    rating_max: Annotated[float | None, Query(ge=0, le=5)] = None,
    since: Annotated[IsoDateTime | None, Query(description="created_at >= since (ISO 8601).")] = None,
    until: Annotated[IsoDateTime | None, Query(description="created_at < until (ISO 8601).")] = None,
) -> Filters:
    return build_filters(brand=brand, product_id=product_id, source=source, channel=channel, lang=lang,
                         sentiment=sentiment, topic=topic, rating_min=rating_min, rating_max=rating_max,
                         since=since, until=until, known_topics=backend.known_topics)


FiltersDep = Annotated[Filters, Depends(filters_dep)]


def query_dep(
    settings: SettingsDep,
    # The schema's maxLength becomes max_query_chars (api.openapi); check_query enforces it with its message.
    q: Annotated[str, Query(json_schema_extra={"maxLength": MAX_QUERY_CHARS},
                            description='Query: terms, "phrases", -exclusions, OR, field:value filters '
                                        "(brand, product, source, channel, lang, sentiment, topic, rating, since, until, similar).")] = "",
) -> str:
    return check_query(q, settings)


QueryDep = Annotated[str, Depends(query_dep)]
