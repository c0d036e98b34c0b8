"""Storage, search and analytics over voclens documents, behind one ``Backend`` interface."""

from .base import Backend, Filters, SearchQuery, SearchResult, TopicFilter
from .document import Channel, Document, document_id
from .errors import (
    BackendUnavailable,
    BulkWriteError,
    DocumentNotFound,
    InvalidQuery,
    QueryTimeout,
    SearchBackendError,
)

__all__ = [
    "Backend",
    "BackendUnavailable",
    "BulkWriteError",
    "Channel",
    "Document",
    "DocumentNotFound",
    "Filters",
    "InvalidQuery",
    "QueryTimeout",
    "SearchBackendError",
    "SearchQuery",
    "SearchResult",
    "TopicFilter",
    "document_id",
]
