"""Turn an outside record (a CSV row, a JSON line, a crawled item, an API
payload) into a ``Document``: parse dates and ratings, hash the author and
every platform id of a person, mask personal identifiers. One function, so
every way in behaves the same; ``redact_record`` applies the same privacy to
a record that is rejected, before it is written to a side file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from index.document import SCORE_SCALES, Channel, Document
from nlp.privacy import DEFAULT_AUTHOR_SALT, hash_author, hash_author_id, mask_fields, mask_pii, mask_value

from .errors import RecordError
from .survey import SCORE_COLUMN_PREFIX, read_survey_fields

#: Fields a record may carry besides the ``Document`` fields: the author's handle and the
#: platform's id of the author (Weibo uid, openid...); both are only ever stored hashed.
EXTRA_INPUT_FIELDS = ("author", "author_id", "customer_id", *SCORE_SCALES)
#: ``meta`` keys (any depth, any case) whose values identify a person: stored as keyed hashes.
#: Handles hash like ``author``, ids like ``author_id``, so both match ``author_hash``.
PERSON_HANDLE_KEYS = frozenset({"author", "nickname", "nick", "username", "user_name", "screen_name", "handle"})
PERSON_ID_KEYS = frozenset({
    "author_id", "user_id", "userid", "uid", "customer_id", "member_id", "buyer_id", "reviewer_id",
    "profile_id", "openid", "open_id", "unionid", "union_id", "wechat_id", "weixin_id", "qq", "qq_id",
})
PERSON_OBJECT_KEYS = frozenset({"user", "author", "customer", "buyer", "member", "reviewer", "profile"})
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
        salt: key for hashing author handles and ids (``VOCLENS_AUTHOR_SALT``).
    """

    source: str | None = None
    channel: str | None = None
    tz: str = "UTC"
    rating_scale: float = 5.0
    extra: str = "reject"
    salt: str = DEFAULT_AUTHOR_SALT
    mapping: Mapping[str, str] = field(default_factory=dict)


_NUMERIC_RE = re.compile(r"^-?\d+(\.\d+)?$")
_AUTHOR_HASH_RE = re.compile(r"^a_[0-9a-f]{24}$")


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

    A record without text keeps its title as the text (``meta.text_from =
    "title"``: a review with a headline and no body); one with neither but
    a rating is a rating without words, stored with empty text and
    ``meta.rating_only`` so it counts in rating trends and matches no search.

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
        if name in KNOWN_FIELDS or name.startswith(SCORE_COLUMN_PREFIX):
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

    read_survey_fields(data, problems, opts.salt)
    _fill_missing_text(data, meta, problems)
    source = str(data.get("source", ""))
    author, author_id = data.pop("author", None), data.pop("author_id", None)
    given = data.get("author_hash")
    if given is not None and not _AUTHOR_HASH_RE.match(str(given)):
        # Not a hash this installation made (a raw handle in the wrong column): hash it.
        data["author_hash"] = hash_author(source, str(given), opts.salt)
    if "author_hash" not in data:
        # The platform's id is stable where handles change, so it wins when both come.
        if author_id is not None:
            data["author_hash"] = hash_author_id(source, author_id, opts.salt)
        elif author is not None:
            data["author_hash"] = hash_author(source, str(author), opts.salt)
    if meta:
        data["meta"] = {**meta, **(data.get("meta") or {})}
    if isinstance(data.get("meta"), str):
        problems.append(("meta", "must be an object"))
        data.pop("meta")
    if isinstance(data.get("meta"), Mapping):
        data["meta"] = hash_person_keys(data["meta"], source, opts.salt)
    data = mask_fields(data)

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
        raise RecordError(_private(problems)) from None
    if problems:
        raise RecordError(_private(problems))
    return doc


def _fill_missing_text(data: dict[str, Any], meta: dict[str, Any], problems: list[tuple[str, str]]) -> None:
    """A record without text: its title stands in, or its rating makes it a rating without words."""
    if "text" in data:
        return
    if "title" in data:  # a headline without a body: the headline is what the customer wrote
        data["text"] = data.pop("title")
        meta["text_from"] = "title"
    elif isinstance(data.get("rating"), float):  # stars without words: kept, flagged, matched by no search
        data["text"] = ""
        meta["rating_only"] = True
    elif data.get("scores"):  # a survey answer with a score and no comment: counts in score trends
        data["text"] = ""
        meta["score_only"] = True
    else:
        problems.append(("text", "missing or empty"))


def hash_person_keys(value: Any, source: str, salt: str, *, person: bool = False) -> Any:
    """``value`` with the values of person keys (``PERSON_HANDLE_KEYS``, ``PERSON_ID_KEYS``) hashed, at any depth.

    Inside an object kept under a ``PERSON_OBJECT_KEYS`` key (``"user": {"id": ..., "name": ...}``)
    its ``id`` and ``name`` count as person keys too.
    """
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            name = str(key).lower()
            if item is None or isinstance(item, (bool, Mapping, list)):
                out[key] = hash_person_keys(item, source, salt, person=name in PERSON_OBJECT_KEYS)
            elif name in PERSON_ID_KEYS or (person and name in ("id", "idstr")):
                out[key] = hash_author_id(source, item, salt)
            elif name in PERSON_HANDLE_KEYS or (person and name == "name"):
                out[key] = hash_author(source, str(item), salt)
            else:
                out[key] = item
        return out
    if isinstance(value, list):
        return [hash_person_keys(v, source, salt, person=person) for v in value]
    return value


def redact_record(record: Any, options: RecordOptions | None = None) -> Any:
    """A rejected record as it may be written down: authors and person keys hashed, the rest masked.

    ``record`` is a parsed row (a mapping) or the raw text of a line that could
    not be parsed; text can only be masked, since no field in it can be told apart.
    """
    opts = options or RecordOptions()
    if not isinstance(record, Mapping):
        return mask_value(record)
    reverse = {src: dst for dst, src in opts.mapping.items()}
    source = str(record.get(opts.mapping.get("source", "source")) or opts.source or "")
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = reverse.get(key, key)
        if value is None or _blank(value):
            out[key] = value
        elif name == "author":
            out[key] = hash_author(source, str(value), opts.salt)
        elif name == "author_id":
            out[key] = hash_author_id(source, value, opts.salt)
        else:
            out[key] = mask_value(hash_person_keys({key: value}, source, opts.salt)[key])
    return out


def _private(problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Problems with the values they quote masked: messages reach logs, API answers and side files."""
    return [(f, mask_pii(m)) for f, m in _dedupe(problems)]


def _dedupe(problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for p in problems:
        if p not in seen:
            seen.append(p)
    return seen
