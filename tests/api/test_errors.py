"""The API's one error table is pinned: changing a status is a deliberate act."""

from api.bounds import InvalidParameter
from api.digests.errors import InvalidSubscription, SubscriptionNotFound
from api.errors import STATUS_BY_ERROR
from api.own_topics import InvalidOwnTopic, JourneyMissing, UnknownOwnTopic
from crawlers.errors import RecordError
from nlp.own_topics import TopicTrainingError
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
        (UnknownOwnTopic, 404),
        (InvalidOwnTopic, 422),
        (TopicTrainingError, 422),
        (JourneyMissing, 422),
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


def test_an_expired_cursor_is_a_clear_400_not_a_page():
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from api.errors import install_error_handlers

    app = FastAPI()
    install_error_handlers(app)

    @app.get("/search")
    def _search():
        raise CursorExpired()

    r = TestClient(app).get("/search")
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["title"] == "Cursor expired" and body["field"] == "cursor"
    assert "start again from the first page" in body["detail"]
