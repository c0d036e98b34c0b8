"""FastAPI dependencies: the backend, the classifier and the analyser opened
once by the lifespan, API-key checks, and filters parsed from query parameters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request

from index.base import Backend, Filters, TopicFilter
from nlp.analyser import Analyser
from nlp.classifier import Classifier
from nlp.labels import Polarity

from .errors import ApiError
from .settings import Scope, Settings


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


def key_name(request: Request) -> str:
    """The name of the API key the request carries, for the erasure log; ``anonymous`` when no keys are configured."""
    settings: Settings = request.app.state.settings
    key = _presented_key(request)
    if key:
        for k in settings.api_keys:
            if k.matches(key):
                return k.name
    return "anonymous"


def require(scope: Scope):
    """Dependency factory: with API keys configured, demand a valid key with ``scope``."""

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
        if not any(scope in k.scopes for k in matching):
            raise ApiError(403, "Forbidden", f"the API key lacks the {scope!r} scope")

    return Depends(check)


ReadAccess = require("read")
WriteAccess = require("write")


def parse_topic(value: str) -> TopicFilter:
    topic, _, polarity = value.partition(":")
    if polarity and polarity not in Polarity.__members__:
        raise ApiError(422, "Invalid request", f"topic {value!r}: polarity must be one of negative, neutral, positive",
                       field="topic")
    return TopicFilter(topic=topic, polarity=polarity or None)


def filters_dep(
    brand: Annotated[list[str], Query(description="Brand (repeat for any of several).", max_length=100)] = [],  # noqa: B006
    product_id: Annotated[list[str], Query(description="Product id.")] = [],  # noqa: B006
    source: Annotated[list[str], Query(description="Source: jd, amazon, weibo, zendesk...")] = [],  # noqa: B006
    channel: Annotated[list[str], Query(description="review, social, ticket, survey or other.")] = [],  # noqa: B006
    lang: Annotated[list[str], Query(description="zh, en or other.")] = [],  # noqa: B006
    sentiment: Annotated[list[Polarity], Query(description="Overall sentiment.")] = [],  # noqa: B006
    topic: Annotated[list[str], Query(description="Topic key, optionally with polarity: logistics or logistics:negative.")] = [],  # noqa: B006
    rating_min: Annotated[float | None, Query(ge=0, le=5)] = None,
    rating_max: Annotated[float | None, Query(ge=0, le=5)] = None,
    since: Annotated[datetime | None, Query(description="created_at >= since (ISO 8601).")] = None,
    until: Annotated[datetime | None, Query(description="created_at < until (ISO 8601).")] = None,
) -> Filters:
    from pydantic import ValidationError

    try:
        return Filters(
            brand=brand, product_id=product_id, source=source, channel=channel, lang=lang,
            sentiment=sentiment, topics=[parse_topic(t) for t in topic],
            rating_min=rating_min, rating_max=rating_max, since=since, until=until,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or ("since" if "since" in err["msg"] else None)
        raise ApiError(422, "Invalid request", err["msg"].removeprefix("Value error, "), field=field) from None


FiltersDep = Annotated[Filters, Depends(filters_dep)]


def check_query_length(q: str, settings: Settings) -> str:
    if len(q) > settings.max_query_chars:
        raise ApiError(400, "Query too long", f"q has {len(q)} characters; the limit is {settings.max_query_chars}",
                       field="q")
    return q
