"""Query DSL building blocks of the Elasticsearch backend: text clauses, filters, cursors, errors.

User text reaches Elasticsearch only as analyser tokens inside ``match_phrase``
queries (never ``query_string``), so no character of a query is syntax there.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import zlib
from datetime import datetime

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout, TransportError
from elasticsearch import ApiError

from ._cursor import decode_cursor as decode_state
from ._es_schema import epoch_ms, fts_split
from ._request import CASELESS_FILTERS, list_filters
from .base import Filters
from .errors import BackendUnavailable, InvalidQuery, QueryTimeout, SearchBackendError
from .query import Clause, ParsedQuery, Term

#: Fields a plain term may match in (title, body words, search sub-words), as in SQLite's FTS.
TERM_FIELDS = ["title_t", "body_t", "grams_t"]
#: Fields a phrase may match in: words in reading order only.
PHRASE_FIELDS = ["title_t", "body_t"]


# -- text ------------------------------------------------------------------------
def _phrase(tokens: list[str], fields: list[str]) -> dict:
    text = " ".join(p for t in tokens for p in fts_split(t))
    if len(fields) == 1:
        return {"match_phrase": {fields[0]: text}}
    return {"multi_match": {"query": text, "fields": fields, "type": "phrase"}}


def _term_query(term: Term) -> dict:
    if term.phrase:
        return _phrase(list(term.tokens), PHRASE_FIELDS)
    parts = [_phrase([t], TERM_FIELDS) for t in term.tokens]
    if len(parts) == 1:
        return parts[0]
    return {"bool": {"must": parts}}


def _clause_query(clause: Clause) -> dict:
    if len(clause.terms) == 1:
        return _term_query(clause.terms[0])
    return {"bool": {"should": [_term_query(t) for t in clause.terms], "minimum_should_match": 1}}


# -- filters ---------------------------------------------------------------------
def date_range(field: str, since: datetime | None, until: datetime | None) -> dict | None:
    rng = {}
    if since is not None:
        rng["gte"] = epoch_ms(since)
    if until is not None:
        rng["lt"] = epoch_ms(until)
    return {"range": {field: rng}} if rng else None


def build_query(parsed: ParsedQuery, filters: Filters, *, dates: bool = True) -> dict:
    """A ``bool`` query for documents matching ``parsed`` text and ``filters``.

    Text clauses decide *what* matches, as non-scoring filters on the
    separate fields; the score is one bm25 of the required tokens over
    ``all_t`` (title, words and sub-words together), which is how SQLite's
    FTS5 ranks a row, plus a bm25 over the title (a headline match is the
    better hit; FTS5 gets there through its column statistics). ``dates=False`` leaves since/until out
    (analytics that put their own windows on ``created_at``).
    """
    must_not = [_clause_query(c) for c in parsed.excluded]
    flt: list[dict] = [_clause_query(c) for c in parsed.required]
    must = []
    if parsed.required:
        tokens = [p for c in parsed.required for term in c.terms for t in term.tokens for p in fts_split(t)]
        text = " ".join(tokens)
        # plus a bonus for words in the title: a headline match is the better hit
        must.append({"bool": {"should": [{"match": {"all_t": text}}, {"match": {"title_t": text}}]}})
    for name, values in list_filters(filters):
        flt.append({"terms": {f"{name}.ci" if name in CASELESS_FILTERS else name: values}})
    if filters.topics:
        ors = []
        for tf in filters.topics:
            cond = [{"term": {"topics.topic": tf.topic}}]
            if tf.polarity is not None:
                cond.append({"term": {"topics.polarity": tf.polarity.value}})
            ors.append({"bool": {"filter": cond}})
        flt.append({"nested": {"path": "topics", "query": {"bool": {"should": ors, "minimum_should_match": 1}}}})
    if filters.rating_min is not None or filters.rating_max is not None:
        rng = {}
        if filters.rating_min is not None:
            rng["gte"] = filters.rating_min
        if filters.rating_max is not None:
            rng["lte"] = filters.rating_max
        flt.append({"range": {"rating": rng}})
    if parsed.neighbours is not None:  # ``similar:``, resolved by the backend (``_es_vectors``)
        flt.append({"ids": {"values": [i for i, _ in parsed.neighbours]}})
    if dates:
        rng = date_range("created_at", filters.since, filters.until)
        if rng:
            flt.append(rng)
    if not (must or must_not or flt):
        return {"match_all": {}}
    body: dict = {}
    if must:
        body["must"] = must
    if must_not:
        body["must_not"] = must_not
    if flt:
        body["filter"] = flt
    return {"bool": body}


def and_filters(query: dict, *extra: dict | None) -> dict:
    """``query`` with more non-scoring conditions."""
    extra = tuple(e for e in extra if e)
    if not extra:
        return query
    if "bool" in query:
        b = dict(query["bool"])
        b["filter"] = [*b.get("filter", []), *extra]
        return {"bool": b}
    return {"bool": {"must": [query], "filter": list(extra)}}


# -- cursors ---------------------------------------------------------------------
_PIT_RE = re.compile(r"^[A-Za-z0-9_-]+$")


def pack_pit(pit: str) -> str:
    """A point-in-time id, deflated so cursors stay short (ids grow with the indices searched)."""
    return base64.urlsafe_b64encode(zlib.compress(pit.encode(), 9)).decode().rstrip("=")


def unpack_pit(packed: str) -> str:
    return zlib.decompress(base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4))).decode()


def decode_cursor(cursor: str, fingerprint: str, relevance: bool) -> dict:
    """Decode and check a cursor; anything unexpected is ``InvalidQuery(field="cursor")``.

    A cursor holds the (deflated) point-in-time id ``S`` and the sort key
    ``k`` of the last hit: ``[score, id]`` for relevance, ``[epoch ms, id]``
    for dates. Pages continue with ``search_after``, never an offset, so
    there is no result window to run into. The point-in-time id comes back
    unpacked as ``pit``.
    """
    first = (int, float) if relevance else (int,)

    def check(data: dict) -> bool:
        packed = data.get("S")
        if not isinstance(packed, str) or not _PIT_RE.match(packed):
            return False
        try:
            data["pit"] = unpack_pit(packed)
        except (binascii.Error, ValueError, zlib.error, UnicodeDecodeError):
            return False
        k = data.get("k")
        return (isinstance(k, list) and len(k) == 2 and isinstance(k[0], first) and not isinstance(k[0], bool)
                and math.isfinite(k[0]) and isinstance(k[1], str) and len(k[1]) <= 64)

    return decode_state(cursor, fingerprint, check)


# -- errors ----------------------------------------------------------------------
#: HTTP status -> error class; one table, as in elasticsearch-py.
_STATUS_ERRORS: dict[int, type[SearchBackendError]] = {
    400: InvalidQuery,
    401: BackendUnavailable,
    403: BackendUnavailable,
    408: QueryTimeout,
    429: BackendUnavailable,
    502: BackendUnavailable,
    503: BackendUnavailable,
    504: QueryTimeout,
}


def translate(exc: Exception, what: str) -> SearchBackendError:
    """Our error for a client exception raised while doing ``what``."""
    if isinstance(exc, ConnectionTimeout):
        return QueryTimeout(f"Elasticsearch did not answer in time ({what})")
    if isinstance(exc, TransportConnectionError):
        return BackendUnavailable(f"cannot reach Elasticsearch ({what}): {exc.message if hasattr(exc, 'message') else exc}")
    if isinstance(exc, ApiError):
        status = exc.meta.status if exc.meta else 0
        reason = _reason(exc)
        cls = _STATUS_ERRORS.get(status, SearchBackendError)
        if status in (401, 403):
            reason = f"access denied ({reason}); check the API key or user name and password"
        message = f"Elasticsearch {status} during {what}: {reason}"
        return cls(message, field="q") if cls is InvalidQuery else cls(message)
    if isinstance(exc, TransportError):
        return BackendUnavailable(f"Elasticsearch transport error during {what}: {exc}")
    return SearchBackendError(f"Elasticsearch error during {what}: {exc}")


def _reason(exc: ApiError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    err = body.get("error")
    if isinstance(err, dict):
        causes = err.get("root_cause") or []
        cause = causes[0] if causes and isinstance(causes[0], dict) else err
        return f"{cause.get('type', 'error')}: {cause.get('reason', '')}"
    return str(exc.message if hasattr(exc, "message") else exc)


__all__ = ["and_filters", "build_query", "date_range", "decode_cursor", "pack_pit", "translate", "unpack_pit"]
