"""Search cursors as both backends write them: a query fingerprint plus backend state, URL-safe.

A cursor is opaque to callers but not trusted: it comes back from the
client, so decoding checks the envelope here (version, fingerprint) and each
backend checks the fields it put in (``decode_cursor``'s ``check``). Anything
unexpected is one ``InvalidQuery(field="cursor")``, never a page of another
query or an exception from deep inside a backend.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable

from .errors import InvalidQuery

#: Cursor format version, stored as ``v``; a cursor of another version is refused.
VERSION = 1


def query_fingerprint(*parts: str) -> str:
    """Short hash binding a cursor to the query that produced it."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:12]


def invalid_cursor() -> InvalidQuery:
    """The one error for a cursor that cannot be used (malformed, of another query, or expired)."""
    return InvalidQuery("invalid or expired cursor; start again from the first page", field="cursor")


def encode_cursor(state: dict) -> str:
    """``state`` (JSON-able, holding ``v`` and ``f``) as unpadded URL-safe base64."""
    raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, fingerprint: str, check: Callable[[dict], bool]) -> dict:
    """The state in ``cursor``, when it is this version, of this query, and ``check`` accepts it.

    Raises:
        InvalidQuery: (``field="cursor"``) for anything else.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):  # deeply nested JSON too
        raise invalid_cursor() from None
    if not isinstance(data, dict) or data.get("v") != VERSION or data.get("f") != fingerprint or not check(data):
        raise invalid_cursor()
    return data


def is_int(value: object, bound: int = 2**62) -> bool:
    """A JSON integer within ``bound`` (``True`` is not a number here)."""
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= bound


__all__ = ["VERSION", "decode_cursor", "encode_cursor", "invalid_cursor", "is_int", "query_fingerprint"]
