"""/health/live and /health/ready: the backend, the model and the queue depth, on a real Redis."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings, hash_api_key
from crawlers.queue import Publisher, connect
from index.document import Document
from tests.es_node import unique_prefix

READ_KEY = "vl_health_reader"


def _client(tmp_path, **settings) -> TestClient:
    return TestClient(create_app(Settings(data_dir=tmp_path / "data", model="fast", rate_limit=None, **settings)),
                      raise_server_exceptions=False)


def test_ready_reports_backend_model_and_queue_depth(redis_server, tmp_path):
    stream = f"h-{unique_prefix()}"
    Publisher(connect(redis_server.url), stream).publish(
        [Document(source="t", source_id=f"h{i}", text="物流慢", created_at="2026-11-20T00:00:00Z") for i in range(3)])
    with _client(tmp_path, queue_redis_url=redis_server.url, queue_stream=stream) as client:
        assert client.get("/health/live").json() == {"status": "ok"}
        r = client.get("/health/ready")
        body = r.json()
        assert r.status_code == 200 and body["status"] == "ready"
        assert body["backend"]["status"] == "ok" and body["backend"]["details"]["backend"] == "sqlite"
        assert body["model"] == {"status": "ok", "details": {"version": client.app.state.classifier.version}}
        assert body["queue"]["status"] == "ok"
        assert {k: body["queue"]["details"][k] for k in ("depth", "pending", "dead_letters")} == \
            {"depth": 3, "pending": 0, "dead_letters": 0}


def test_queue_not_configured_is_off_and_unreachable_is_reported_but_still_ready(tmp_path):
    with _client(tmp_path) as client:
        assert client.get("/health/ready").json()["queue"] == {"status": "off"}
    with _client(tmp_path, queue_redis_url="redis://127.0.0.1:9/0") as client:
        r = client.get("/health/ready")
        assert r.status_code == 200 and r.json()["queue"]["status"] == "failing"
        assert "Connection" in r.json()["queue"]["error"]


def test_a_failing_backend_makes_it_not_ready(tmp_path):
    with _client(tmp_path) as client:
        client.app.state.backend.close()  # every call now raises BackendUnavailable
        r = client.get("/health/ready")
        assert r.status_code == 503 and r.json()["status"] == "not_ready"
        assert r.json()["backend"]["status"] == "failing" and r.json()["backend"]["error"]
        assert client.get("/health/live").status_code == 200


def test_without_the_read_scope_only_statuses(tmp_path):
    keys = [{"name": "dash", "hash": hash_api_key(READ_KEY), "scopes": ["read"]}]
    with _client(tmp_path, api_keys=keys) as client:
        bare = client.get("/health/ready").json()
        assert bare == {"status": "ready", "backend": {"status": "ok"}, "model": {"status": "ok"},
                        "queue": {"status": "off"}}
        assert "details" in client.get("/health/ready", headers={"X-API-Key": READ_KEY}).json()["backend"]
