"""Storage, search and analytics over voclens documents, behind one ``Backend`` interface."""

from .base import (
    Backend,
    ErasureKind,
    ErasureRecord,
    Filters,
    MigrationReport,
    SearchQuery,
    SearchResult,
    Tombstone,
    TopicFilter,
    UpsertResult,
)
from .document import Channel, Document, document_id
from .errors import (
    BackendUnavailable,
    BulkWriteError,
    CursorExpired,
    DocumentNotFound,
    InvalidQuery,
    NoVector,
    QueryTimeout,
    SearchBackendError,
)
from .own_topics import OwnTopic
from .query import ParsedQuery, parse_query
from .registry import backend_names, open_backend, open_backend_from
from .scoring import DriverQuery, DriverResult, ScoreTrendQuery, ScoreTrendResult
from .vectors import DocumentVector, VectorBatch

__all__ = [
    "Backend",
    "BackendUnavailable",
    "BulkWriteError",
    "Channel",
    "CursorExpired",
    "Document",
    "DocumentNotFound",
    "DocumentVector",
    "DriverQuery",
    "DriverResult",
    "ErasureKind",
    "ErasureRecord",
    "Filters",
    "ParsedQuery",
    "InvalidQuery",
    "MigrationReport",
    "NoVector",
    "OwnTopic",
    "QueryTimeout",
    "SearchBackendError",
    "SearchQuery",
    "ScoreTrendQuery",
    "ScoreTrendResult",
    "SearchResult",
    "Tombstone",
    "TopicFilter",
    "UpsertResult",
    "VectorBatch",
    "backend_names",
    "document_id",
    "open_backend",
    "open_backend_from",
    "parse_query",
]
