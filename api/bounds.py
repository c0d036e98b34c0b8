"""What a request may ask for: one definition of each limit and filter vocabulary, for the API and the CLI.

The HTTP API declares these in its OpenAPI schema (``json_schema_extra`` on the
parameters, and ``api.openapi`` for the limits that come from settings) and
checks them here; the CLI checks the same values with the same messages. A
limit that is enforced but not stated would turn valid-looking requests into
surprises, so both come from this module.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator, ValidationError

from index.base import Filters, TopicFilter
from index.document import Channel
from nlp.labels import DEFAULT_TOPICS, Polarity

from .settings import Settings

LANGS: tuple[str, ...] = ("zh", "en", "other")
POLARITIES: tuple[str, ...] = tuple(p.value for p in Polarity)
#: ``logistics`` or ``logistics:negative``: every topic value a filter accepts.
TOPIC_VALUES: tuple[str, ...] = tuple(
    v for t in DEFAULT_TOPICS for v in (t, *(f"{t}:{p}" for p in POLARITIES))
)
#: A topic filter value: a topic key (default or own: ``voclens topics``), optionally with a polarity.
TOPIC_PATTERN = rf"^[a-z0-9_]{{1,64}}(:({'|'.join(POLARITIES)}))?$"
#: Longest value of a free-text filter (brand, product id, source), as stored on a document.
MAX_VALUE_CHARS = 128
#: Largest number accepted by the count parameters (``min_count``): more than any index holds.
MAX_COUNT = 1_000_000_000


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso_only(value):
    # Lax parsing would take "0.5" for a Unix timestamp; the schema promises ISO 8601 (format date-time).
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise ValueError("expects an ISO 8601 date or date-time such as 2026-01-31 or 2026-01-31T08:00:00+08:00")
    return value


#: A date-time parameter: ISO 8601 text only (a date alone is midnight UTC).
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]


class InvalidParameter(ValueError):
    """A request value outside what the API and the CLI accept; ``field`` names it (422 in the API)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ListParam:
    """A repeatable filter parameter: how many values, how long each, and the allowed ones."""

    name: str
    max_items: int
    max_chars: int = MAX_VALUE_CHARS
    choices: tuple[str, ...] | None = None
    #: For values checked against server state (own topics) rather than a fixed list.
    pattern: str | None = None

    def schema(self) -> dict:
        """The JSON schema of the parameter (an array of strings), for ``Query(json_schema_extra=...)``."""
        items: dict = {"type": "string", "minLength": 1, "maxLength": self.max_chars}
        if self.choices:
            items = {"type": "string", "enum": list(self.choices)}
        elif self.pattern:
            items["pattern"] = self.pattern
        return {"type": "array", "items": items, "maxItems": self.max_items}

    def check(self, values: Iterable[str], known: Container[str] | None = None) -> list[str]:
        """``values`` within the limits; ``known`` (topics only): the keys allowed besides the default topics."""
        values = list(values)
        if len(values) > self.max_items:
            raise InvalidParameter(self.name, f"{self.name}: at most {self.max_items} values, got {len(values)}")
        for value in values:
            if self.name == "topic":
                _check_topic(value, known)
            elif self.choices is not None and value not in self.choices:
                raise InvalidParameter(self.name, f"{self.name}: unknown value {value!r}; allowed: {_allowed(self.choices)}")
            if not value:
                raise InvalidParameter(self.name, f"{self.name}: an empty value matches nothing; leave it out instead")
            if len(value) > self.max_chars:
                raise InvalidParameter(self.name, f"{self.name}: a value has {len(value)} characters; the most is {self.max_chars}")
        return values


def _allowed(choices: tuple[str, ...]) -> str:
    return ", ".join(choices)


def _check_topic(value: str, known: Container[str] | None) -> None:
    name, _, polarity = value.partition(":")
    if name in DEFAULT_TOPICS or (known is not None and name in known):
        if not polarity or polarity in POLARITIES:
            return
    raise InvalidParameter("topic", f"topic: unknown value {value!r}; allowed: {', '.join(DEFAULT_TOPICS)} or an own "
                                    f"topic's key (voclens topics list), each optionally with :{'/:'.join(POLARITIES)}")


FILTER_PARAMS: dict[str, ListParam] = {p.name: p for p in (
    ListParam("brand", 100),
    ListParam("product_id", 100),
    ListParam("source", 100, max_chars=64),
    ListParam("channel", 10, choices=tuple(c.value for c in Channel)),
    ListParam("lang", 10, choices=LANGS),
    ListParam("sentiment", 3, choices=POLARITIES),
    ListParam("topic", 50, max_chars=64 + 9, pattern=TOPIC_PATTERN),
)}


def check_query(q: str, settings: Settings) -> str:
    """``q`` within ``max_query_chars``."""
    if len(q) > settings.max_query_chars:
        raise InvalidParameter("q", f"q has {len(q)} characters; the most is {settings.max_query_chars} (max_query_chars)")
    return q


def check_page_size(limit: int, settings: Settings) -> int:
    """A page of at most ``max_page_size`` results."""
    if limit > settings.max_page_size:
        raise InvalidParameter("limit", f"limit is {limit}; the most is {settings.max_page_size} (max_page_size)")
    return limit


def build_filters(
    *, brand: Iterable[str] = (), product_id: Iterable[str] = (), source: Iterable[str] = (),
    channel: Iterable[str] = (), lang: Iterable[str] = (), sentiment: Iterable[str] = (), topic: Iterable[str] = (),
    rating_min: float | None = None, rating_max: float | None = None,
    since: datetime | None = None, until: datetime | None = None, known_topics: Container[str] | None = None,
) -> Filters:
    """``Filters`` from request values, every value checked against ``FILTER_PARAMS``.

    ``known_topics``: the topic keys allowed besides the default topics (a
    backend's ``known_topics``, which holds the own topics too).

    Raises:
        InvalidParameter: naming the parameter, with the allowed values where there is a list.
    """
    given = {"brand": brand, "product_id": product_id, "source": source, "channel": channel, "lang": lang,
             "sentiment": [getattr(s, "value", s) for s in sentiment], "topic": topic}
    values = {name: FILTER_PARAMS[name].check(v, known_topics) for name, v in given.items()}
    topics = []
    for t in values.pop("topic"):
        name, _, polarity = t.partition(":")
        topics.append(TopicFilter(topic=name, polarity=polarity or None))
    try:
        return Filters(**values, topics=topics, rating_min=rating_min, rating_max=rating_max, since=since, until=until)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"] if not isinstance(p, int)) or _range_field(err["msg"])
        raise InvalidParameter(field, err["msg"].removeprefix("Value error, ")) from None


def _range_field(message: str) -> str:
    return "rating_min" if "rating" in message else "since"


__all__ = [
    "FILTER_PARAMS", "IsoDateTime", "LANGS", "MAX_COUNT", "MAX_VALUE_CHARS", "TOPIC_PATTERN", "TOPIC_VALUES", "InvalidParameter", "ListParam",
    "build_filters", "check_page_size", "check_query",
]
