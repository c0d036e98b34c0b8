"""Turn an outside record (a CSV row, a JSON line, a crawled item, an API
payload) into a ``Document``: parse dates and ratings, hash the author,
mask contact details. One function, so every way in behaves the same.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from index.document import Channel, Document
from nlp.privacy import hash_author, mask_pii

from .errors import RecordError

#: Fields a record may carry besides the ``Document`` fields.
EXTRA_INPUT_FIELDS = ("author",)
DOCUMENT_FIELDS = tuple(Document.model_fields)
KNOWN_FIELDS = frozenset(DOCUMENT_FIELDS) | frozenset(EXTRA_INPUT_FIELDS)


@dataclass(frozen=True)
class RecordOptions:
    """How records of one batch are read.

    Attributes:
        source: default ``source`` for records that have none (e.g. "zendesk").
        channel: default ``channel``.
        tz: time zone for dates written without one.
        rating_scale: the top of the input's rating scale (5, 10, 100); ratings
            are stored on 0-5.
        extra: what to do with unknown fields: ``reject`` the record, keep
            them in ``meta``, or ``ignore`` them.
        salt: key for hashing author handles.
    """

    source: str | None = None
    channel: str | None = None
    tz: str = "UTC"
    rating_scale: float = 5.0
    extra: str = "reject"
    salt: str = "voclens-default-salt"
    mapping: Mapping[str, str] = field(default_factory=dict)


_NUMERIC_RE = re.compile(r"^-?\d+(\.\d+)?$")


def parse_datetime(value: Any, tz: str = "UTC") -> datetime:
    """Accept ISO 8601, ``2026-11-18 14:05[:00]``, ``2026/11/18``, and epoch seconds or milliseconds.

    Raises:
        ValueError: with a message that quotes the value.
    """
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, (int, float)) or (isinstance(value, str) and _NUMERIC_RE.match(value.strip())):
        number = float(value)
        if number > 1e11:  # milliseconds
            number /= 1000.0
        if not 0 < number < 4e9:
            raise ValueError(f"epoch time {value!r} is out of range")
        return datetime.fromtimestamp(number, UTC)
    elif isinstance(value, str) and value.strip():
        text = value.strip().replace("/", "-")
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{value!r} is not a date (use ISO 8601, e.g. 2026-11-18T14:05:00+08:00)") from None
    else:
        raise ValueError(f"{value!r} is not a date")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo(tz))
    if dt.year < 1990 or dt > datetime.now(UTC) + timedelta(days=2):
        raise ValueError(f"{value!r} is outside the plausible range (1990 to now)")
    return dt.astimezone(UTC)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def record_to_document(record: Mapping[str, Any], options: RecordOptions | None = None) -> Document:
    """Build a validated, privacy-safe ``Document`` from one record.

    Raises:
        RecordError: listing every field that was wrong.
    """
    opts = options or RecordOptions()
    problems: list[tuple[str, str]] = []
    data: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    reverse = {src: dst for dst, src in opts.mapping.items()}
    for key, value in record.items():
        name = reverse.get(key, key)
        if name in KNOWN_FIELDS:
            if not _blank(value):
                data[name] = value
        elif opts.extra == "meta":
            if not _blank(value):
                meta[key] = value
        elif opts.extra == "reject":
            problems.append((key, "unknown field (map it with --map FIELD=COLUMN, or pass --extra meta/ignore)"))

    if "source" not in data and opts.source:
        data["source"] = opts.source
    if "channel" not in data and opts.channel:
        data["channel"] = opts.channel
    if "channel" in data and isinstance(data["channel"], str):
        data["channel"] = data["channel"].strip().lower()
        if data["channel"] not in Channel.__members__:
            problems.append(("channel", f"{data['channel']!r} is not one of {', '.join(Channel.__members__)}"))
            data.pop("channel")
    if "source_id" in data:
        data["source_id"] = str(data["source_id"])

    for name in ("created_at", "fetched_at"):
        if name in data:
            try:
                data[name] = parse_datetime(data[name], opts.tz)
            except ValueError as exc:
                problems.append((name, str(exc)))
                data.pop(name)

    if "rating" in data:
        try:
            rating = float(data["rating"])
            if not 0 <= rating <= opts.rating_scale:
                raise ValueError
            data["rating"] = round(rating * 5.0 / opts.rating_scale, 3)
        except (TypeError, ValueError):
            problems.append(("rating", f"{data['rating']!r} is not a number between 0 and {opts.rating_scale:g}"))
            data.pop("rating")

    author = data.pop("author", None)
    if author is not None and "author_hash" not in data:
        data["author_hash"] = hash_author(str(data.get("source", "")), str(author), opts.salt)
    for name in ("text", "title"):
        if isinstance(data.get(name), str):
            data[name] = mask_pii(data[name])
    if meta:
        data["meta"] = {**meta, **(data.get("meta") or {})}
    if isinstance(data.get("meta"), str):
        problems.append(("meta", "must be an object"))
        data.pop("meta")

    try:
        doc = Document.model_validate(data)
    except ValidationError as exc:
        reported = {f for f, _ in problems}
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "record"
            if loc in reported:
                continue  # already explained more precisely above
            msg = "missing or empty" if err["type"] == "missing" else err["msg"]
            problems.append((loc, msg))
        raise RecordError(_dedupe(problems)) from None
    if problems:
        raise RecordError(_dedupe(problems))
    return doc


def _dedupe(problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for p in problems:
        if p not in seen:
            seen.append(p)
    return seen
