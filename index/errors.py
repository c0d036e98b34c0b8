"""Errors raised by ``index``. The API maps each class to one HTTP status."""

from __future__ import annotations


class SearchBackendError(Exception):
    """Base class of every error raised by a backend."""


class DocumentNotFound(SearchBackendError):
    """No document has the requested id."""

    def __init__(self, doc_id: str):
        super().__init__(f"no document with id {doc_id!r}")
        self.doc_id = doc_id


class InvalidQuery(SearchBackendError):
    """The query string, a filter or a cursor cannot be understood.

    ``field`` names the part of the request that was wrong (``q``, ``cursor``,
    ``since``...), so the API can point the user at it.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class CursorExpired(InvalidQuery):
    """A cursor's snapshot is gone (an Elasticsearch point in time that expired or was closed).

    Answered instead of a page that would silently differ from the earlier
    ones; the client starts again from the first page. SQLite cursors never
    expire (their snapshot is a sequence number), so only Elasticsearch raises it.
    """

    def __init__(self, message: str = "cursor expired; start again from the first page"):
        super().__init__(message, field="cursor")


class QueryTimeout(SearchBackendError):
    """A query ran past the backend's time limit."""


class BackendUnavailable(SearchBackendError):
    """The backend cannot be reached or opened."""


class BulkWriteError(SearchBackendError):
    """Some documents of a bulk write failed; ``errors`` maps document id to reason."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(f"{len(errors)} document(s) failed to write")
        self.errors = errors


class NoVector(InvalidQuery):
    """A document asked for by ``similar:`` has no stored vector.

    Documents indexed before vectors existed, or labelled by a model without
    an encoder (the lexicon ``fast`` model), have none; ``voclens reclassify``
    with the transformer model gives them one.
    """

    def __init__(self, doc_id: str):
        super().__init__(f"document {doc_id!r} has no vector; run `voclens reclassify` with the transformer model "
                         "to give older documents theirs", field="q")
        self.doc_id = doc_id
