"""The subscriptions API (FastAPI app with its lifespan, a real SQLite index and state DB) and the serve scheduler."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.digests.store import DigestStore
from api.settings import ApiKey, hash_api_key
from tests.api.conftest import Server

from .conftest import SECRET
from .helpers import make_sub

WRITE_KEY, READ_KEY = "vl_digest_writer", "vl_digest_reader"
VOLTRA = {"name": "Voltra logistics", "owner": "pm@example.com", "q": "",
          "filters": {"brand": ["Voltra"], "topics": [{"topic": "logistics", "polarity": "negative"}]},
          "frequency": "weekly", "weekday": "mon", "hour": 9, "tz": "Asia/Shanghai",
          "channel": "email", "email_to": ["pm@example.com"]}


@pytest.fixture
def client(tmp_path, backend, settings):
    keys = [ApiKey(name="w", hash=hash_api_key(WRITE_KEY), scopes=("read", "write")),
            ApiKey(name="r", hash=hash_api_key(READ_KEY), scopes=("read",))]
    app = create_app(settings.model_copy(update={"api_keys": keys, "webhook_allowed_hosts": ["127.0.0.1", "*.slack.com"]}),
                     backend=backend)
    with TestClient(app, headers={"X-API-Key": WRITE_KEY}) as c:
        yield c


def test_create_list_get_update_pause_resume_delete(client):
    r = client.post("/subscriptions", json=VOLTRA)
    assert r.status_code == 201, r.text
    sub = r.json()
    assert sub["filters"]["brand"] == ["Voltra"] and sub["enabled"] and sub["next_send_at"]
    assert client.get("/subscriptions", params={"owner": "pm@example.com"}).json()[0]["id"] == sub["id"]
    assert client.get(f"/subscriptions/{sub['id']}").json()["name"] == "Voltra logistics"
    r = client.patch(f"/subscriptions/{sub['id']}", json={"hour": 8, "frequency": "daily"})
    assert r.status_code == 200 and (r.json()["hour"], r.json()["frequency"]) == (8, "daily")
    assert r.json()["tz"] == "Asia/Shanghai"
    paused = client.post(f"/subscriptions/{sub['id']}/pause").json()
    assert not paused["enabled"] and paused["next_send_at"] is None
    assert client.post(f"/subscriptions/{sub['id']}/resume").json()["enabled"]
    assert client.delete(f"/subscriptions/{sub['id']}").status_code == 204
    missing = client.get(f"/subscriptions/{sub['id']}")
    assert missing.status_code == 404 and missing.json()["title"] == "Subscription not found"


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"tz": "Mars/Olympus"}, "tz", "unknown time zone"),
    ({"hour": 24}, "hour", "less than or equal to 23"),
    ({"email_to": ["not-an-address"]}, "email_to", "not an e-mail address"),
    ({"channel": "webhook", "webhook_url": "ftp://files.example.com/x"}, "webhook_url", "http or https"),
    ({"channel": "webhook", "webhook_url": "file:///etc/passwd"}, "webhook_url", "http or https"),
    ({"channel": "webhook", "webhook_url": "https://evil.example.com/x"}, "webhook_url", "not in webhook_allowed_hosts"),
    ({"frequency": "hourly"}, "frequency", "daily"),
    ({"frequency": "cron", "cron": "0 25 * * *"}, "cron", "hour field: '25' is not valid: use 0-23"),
    ({"frequency": "cron"}, "cron", "needs a cron expression"),
    ({"filters": {"since": "2026-01-01T00:00:00Z"}}, "filters", "since/until"),
    ({"alert": {"kind": "emerging", "threshold": 10, "window": "forever"}}, "alert.window", "duration"),
])
def test_validation_names_the_field(client, change, field, words):
    r = client.post("/subscriptions", json={**VOLTRA, **change})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["field"] == field and words in body["detail"], body


def test_update_is_validated_as_a_whole(client):
    sub = client.post("/subscriptions", json=VOLTRA).json()
    r = client.patch(f"/subscriptions/{sub['id']}", json={"channel": "webhook"})  # no URL
    assert r.status_code == 422 and r.json()["field"] == "webhook_url"
    assert client.patch(f"/subscriptions/{sub['id']}", json={"tz": "Mars/Olympus"}).json()["field"] == "tz"


def test_allowed_webhook_hosts_and_secrets_never_returned(client):
    body = {**VOLTRA, "channel": "webhook", "email_to": [], "webhook_url": "https://hooks.slack.com/services/T/B/X",
            "webhook_format": "slack", "webhook_secret": "top-secret-value"}
    r = client.post("/subscriptions", json=body)
    assert r.status_code == 201, r.text
    for response in (r, client.get(f"/subscriptions/{r.json()['id']}"), client.get("/subscriptions")):
        assert "top-secret-value" not in response.text and '"webhook_secret"' not in response.text
    assert r.json()["has_webhook_secret"] is True


def test_writes_need_the_write_scope(client):
    as_reader = {"X-API-Key": READ_KEY}
    assert client.post("/subscriptions", json=VOLTRA, headers=as_reader).status_code == 403
    assert client.get("/subscriptions", headers=as_reader).status_code == 200
    assert client.get("/subscriptions", headers={"X-API-Key": "nope"}).status_code == 401
    sub = client.post("/subscriptions", json=VOLTRA).json()
    for method, path in [("delete", ""), ("post", "/pause"), ("post", "/resume")]:
        assert getattr(client, method)(f"/subscriptions/{sub['id']}{path}", headers=as_reader).status_code == 403


def test_preview_without_sending(client, smtp):
    sub = client.post("/subscriptions", json={**VOLTRA, "filters": {"brand": ["Acme"]}, "tz": "UTC",
                                              "frequency": "daily"}).json()
    text = client.get(f"/subscriptions/{sub['id']}/preview", params={"format": "text", "send_day": "2026-03-02"})
    assert text.status_code == 200 and "Volume: 3" in text.text and "物流太慢了" in text.text
    data = client.get(f"/subscriptions/{sub['id']}/preview", params={"send_day": "2026-03-02"}).json()
    assert data["volume"] == 3 and data["period_key"] == "daily:2026-03-01"
    html = client.get(f"/subscriptions/{sub['id']}/preview", params={"format": "html", "send_day": "2026-03-02"})
    assert html.headers["content-type"].startswith("text/html") and "data:image/png;base64," in html.text
    slack = client.get(f"/subscriptions/{sub['id']}/preview", params={"format": "slack", "send_day": "2026-03-02"})
    assert slack.json()["blocks"][0]["type"] == "header"
    assert smtp.messages == [] and client.get(f"/subscriptions/{sub['id']}/deliveries").json() == []


def test_deliveries_are_listed(client, backend, settings, smtp):
    from api.digests.runner import Runner
    from api.digests.scheduler import get_store

    from .helpers import DUE

    store = get_store(client.app, settings)
    sub = make_sub(store)
    Runner(store, backend, settings).run_once(DUE)
    rows = client.get(f"/subscriptions/{sub.id}/deliveries").json()
    assert [(r["state"], r["attempts"], r["period_key"]) for r in rows] == [("sent", 1, "weekly:2026-02-23")]
    assert client.get("/deliveries", params={"state": "failed"}).json() == []
    assert len(client.get("/deliveries").json()) == 1


def test_serve_runs_the_scheduler(tmp_path, receiver):
    """A real `voclens serve` with the scheduler on delivers a due digest without any other command."""
    data = tmp_path / "data"
    data.mkdir()
    store = DigestStore(f"sqlite:///{data / 'state.db'}")
    sub = make_sub(store, frequency="daily", hour=0, channel="webhook", email_to=[], webhook_url=receiver.url,
                   webhook_format="json", created=datetime.now(UTC) - timedelta(days=3))
    server = Server(data, env={"VOCLENS_DIGEST_SCHEDULER": "true", "VOCLENS_DIGEST_POLL_S": "0.5",
                               "VOCLENS_WEBHOOK_SIGNING_SECRET": SECRET, "VOCLENS_WEBHOOK_ALLOW_PRIVATE": "true"})
    try:
        assert receiver.received.wait(60), "the scheduler did not deliver"
        deadline = time.time() + 20
        while time.time() < deadline and store.deliveries(sub.id)[0].state != "sent":
            time.sleep(0.2)
        assert store.deliveries(sub.id)[0].state == "sent"
        time.sleep(1.2)  # two more polls: nothing sent again
        assert len(receiver.requests) == 1 and receiver.requests[0]["signature_ok"]
        listed = httpx.get(f"{server.url}/subscriptions/{sub.id}/deliveries").json()
        assert listed[0]["state"] == "sent"
    finally:
        server.stop()
        store.close()
    log = (data.parent / f"server-{server.port}.log").read_text()
    assert "digest scheduler started" in log and "digest sent" in log
