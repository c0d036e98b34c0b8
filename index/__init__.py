"""Storage, search and analytics over voclens documents, behind one ``Backend`` interface."""

from .base import Backend, ErasureKind, ErasureRecord, Filters, SearchQuery, SearchResult, TopicFilter, UpsertResult
from .document import Channel, Document, document_id
from .errors import (
    BackendUnavailable,
    BulkWriteError,
    CursorExpired,
    DocumentNotFound,
    InvalidQuery,
    QueryTimeout,
    SearchBackendError,
)
from .query import ParsedQuery, parse_query
from .registry import open_backend

__all__ = [
    "Backend",
    "BackendUnavailable",
    "BulkWriteError",
    "Channel",
    "CursorExpired",
    "Document",
    "DocumentNotFound",
    "ErasureKind",
    "ErasureRecord",
    "Filters",
    "ParsedQuery",
    "InvalidQuery",
    "QueryTimeout",
    "SearchBackendError",
    "SearchQuery",
    "SearchResult",
    "TopicFilter",
    "UpsertResult",
    "document_id",
    "open_backend",
    "parse_query",
]
