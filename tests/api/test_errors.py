"""The API's one error table is pinned: changing a status is a deliberate act."""

from api.bounds import InvalidParameter
from api.digests.errors import InvalidSubscription, SubscriptionNotFound
from api.errors import STATUS_BY_ERROR
from crawlers.errors import RecordError
from index.errors import (
    BackendUnavailable,
    BulkWriteError,
    CursorExpired,
    DocumentNotFound,
    InvalidQuery,
    QueryTimeout,
    SearchBackendError,
)


def test_status_table():
    assert [(cls, status) for cls, status, _ in STATUS_BY_ERROR] == [
        (DocumentNotFound, 404),
        (SubscriptionNotFound, 404),
        (InvalidSubscription, 422),
        (InvalidParameter, 422),
        (CursorExpired, 400),
        (InvalidQuery, 400),
        (RecordError, 422),
        (QueryTimeout, 504),
        (BackendUnavailable, 503),
        (BulkWriteError, 502),
        (SearchBackendError, 500),
    ]


def test_most_specific_first():
    classes = [cls for cls, _, _ in STATUS_BY_ERROR]
    for i, cls in enumerate(classes):
        assert not any(issubclass(cls, earlier) for earlier in classes[:i]), cls
