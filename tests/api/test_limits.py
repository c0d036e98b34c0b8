"""Limits and honest errors through a real server: rate limits, slowed key guessing, sizes, 405, races."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from api.http11 import HINT
from api.settings import hash_api_key
from tests.api.conftest import Server

READ, WRITE_ONLY, BOTH = "vl_limits_reader", "vl_limits_writer_only", "vl_limits_both"


@pytest.fixture(scope="module")
def tight(tmp_path_factory):
    keys = [{"name": "reader", "hash": hash_api_key(READ), "scopes": ["read"]},
            {"name": "writer", "hash": hash_api_key(WRITE_ONLY), "scopes": ["write"]},
            {"name": "both", "hash": hash_api_key(BOTH), "scopes": ["read", "write"]}]
    srv = Server(tmp_path_factory.mktemp("limits") / "data", env={
        "VOCLENS_API_KEYS": json.dumps(keys), "VOCLENS_RATE_LIMIT": "15/minute", "VOCLENS_AUTH_FAILURE_LIMIT": "3/minute",
        "VOCLENS_MAX_BODY_BYTES": "4096", "VOCLENS_MAX_URL_BYTES": "2048",
    })
    yield srv
    srv.stop()


def test_each_key_has_its_own_budget_then_429_with_retry_after(tight):
    answers = [httpx.get(tight.url + "/search", headers={"X-API-Key": READ}) for _ in range(16)]
    assert [r.status_code for r in answers[:15]] == [200] * 15
    last = answers[15]
    assert last.status_code == 429 and int(last.headers["retry-after"]) >= 1
    assert last.headers["content-type"].startswith("application/problem+json") and "rate_limit" in last.json()["detail"]
    assert httpx.get(tight.url + "/deliveries", headers={"X-API-Key": BOTH}).status_code == 200  # another key


def test_failed_key_attempts_are_slowed_before_the_key_is_checked(tight):
    wrong = [httpx.get(tight.url + "/health", headers={"X-API-Key": f"guess-{i}"}).status_code for i in range(3)]
    assert wrong == [200, 200, 200]  # /health answers without a key; the guesses still count
    blocked = httpx.get(tight.url + "/search", headers={"X-API-Key": f"guess-{4}"})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
    # Even the right key is not checked now: guessing cannot tell right from wrong.
    assert httpx.get(tight.url + "/search", headers={"X-API-Key": WRITE_ONLY}).status_code == 429



@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_api_processes_share_one_budget_through_redis(request, tmp_path, storage):
    """Two app instances with the same limit: each counts alone in memory, together in one real Redis."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings

    url = "memory://"
    if storage == "redis":
        import redis

        url = request.getfixturevalue("redis_server").url.rsplit("/", 1)[0] + "/3"  # a database of its own
        redis.Redis.from_url(url).flushdb()

    def app(name: str):
        return create_app(Settings(data_dir=tmp_path / name, rate_limit="6/minute", auth_failure_limit=None,
                                   rate_limit_storage_url=url))

    with TestClient(app("a")) as a, TestClient(app("b")) as b:
        spread = [(a, b)[i % 2].get("/health").status_code for i in range(6)]  # three requests through each
        after = [a.get("/health"), b.get("/health")]
    assert spread == [200] * 6
    if storage == "memory":
        assert [r.status_code for r in after] == [200, 200]  # each process has counted only its own three
        return
    assert [r.status_code for r in after] == [429, 429], [r.text for r in after]
    assert "rate_limit" in after[0].json()["detail"] and int(after[1].headers["retry-after"]) >= 1
    check = redis.Redis.from_url(url)
    assert check.keys("LIMITS*")  # the counters are in Redis, not in either process
    assert [c["db"] for c in check.client_list()].count("3") == 1  # only this check: both apps closed theirs

def test_body_and_url_sizes(tight):
    headers = {"X-API-Key": "x"}  # refused for size before anything else is looked at
    big = httpx.post(tight.url + "/documents", content=b"{" + b" " * 5000 + b"}", headers={"Content-Type": "application/json"})
    assert big.status_code == 413 and "max_body_bytes" in big.json()["detail"]

    def chunks():
        for _ in range(10):
            yield b" " * 1000

    streamed = httpx.post(tight.url + "/subscriptions", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    long_url = httpx.get(tight.url + "/search", params={"brand": ["b" * 100] * 30}, headers=headers)
    assert long_url.status_code == 414 and "max_url_bytes" in long_url.json()["detail"]


def test_405_lists_every_method_of_the_resource(tmp_path):
    from api.app import create_app
    from api.settings import Settings
    from fastapi.testclient import TestClient

    # a data folder of its own: starting the app creates the index there
    with TestClient(create_app(Settings(data_dir=tmp_path / "data"))) as client:
        r = client.put("/subscriptions/abc")
    assert r.status_code == 405 and set(r.headers["allow"].split(", ")) >= {"GET", "PATCH", "DELETE"}


def test_a_write_only_key_cannot_read_a_subscription_through_a_change(secured_subscription):
    url, sub_id = secured_subscription
    for method, path, body in (("PATCH", f"/subscriptions/{sub_id}", {}), ("POST", f"/subscriptions/{sub_id}/pause", None),
                               ("POST", f"/subscriptions/{sub_id}/resume", None)):
        r = httpx.request(method, url + path, json=body, headers={"X-API-Key": WRITE_ONLY})
        assert r.status_code == 403 and "pm@example.com" not in r.text, (method, path, r.text)
    assert httpx.patch(url + f"/subscriptions/{sub_id}", json={}, headers={"X-API-Key": BOTH}).status_code == 200


@pytest.fixture(scope="module")
def secured_subscription(tmp_path_factory):
    keys = [{"name": "writer", "hash": hash_api_key(WRITE_ONLY), "scopes": ["write"]},
            {"name": "both", "hash": hash_api_key(BOTH), "scopes": ["read", "write"]}]
    srv = Server(tmp_path_factory.mktemp("subs") / "data", env={"VOCLENS_API_KEYS": json.dumps(keys)})
    sub = {"name": "n", "owner": "pm@example.com", "channel": "email", "email_to": ["pm@example.com"]}
    created = httpx.post(srv.url + "/subscriptions", json=sub, headers={"X-API-Key": WRITE_ONLY})
    assert created.status_code == 201, created.text
    yield srv.url, created.json()["id"]
    srv.stop()


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "http://169.254.169.254/latest/meta-data", "http://10.0.0.8/",
                                 "http://[::1]/x", "http://localhost:8080/", "http://[::ffff:192.168.1.1]/"])
def test_webhooks_to_this_machine_or_its_network_are_refused(server, url):
    body = {"name": "n", "owner": "o", "channel": "webhook", "webhook_url": url}
    r = httpx.post(server.url + "/subscriptions", json=body)
    assert r.status_code == 422 and r.json()["field"] == "webhook_url" and "webhook_allow_private" in r.json()["detail"]


def test_concurrent_first_use_of_the_state_database(tmp_path):
    srv = Server(tmp_path / "data")
    try:
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda _: httpx.get(srv.url + "/deliveries", timeout=30).status_code, range(8)))
    finally:
        srv.stop()
    assert codes == [200] * 8


@pytest.mark.parametrize("params", [
    {"since": "0001-01-01T00:00:00+14:00"}, {"until": "9999-12-31T23:59:59-14:00"},
    {"q": "since:0001-01-01T00:00:00+14:00 until:9999-12-31T23:59:59-14:00"},
])
@pytest.mark.parametrize("path", ["/search", "/trends", "/topics/top", "/keywords/emerging"])
def test_dates_at_the_ends_of_the_calendar(client, path, params):
    r = client.get(path, params={**params, **({"interval": "month"} if path == "/trends" else {})})
    assert r.status_code in (200, 400), r.text  # 400: too many trend buckets for the range
    assert r.headers["content-type"].split(";")[0] in ("application/json", "application/problem+json")


@pytest.mark.parametrize("params", [{"until": "0001-01-01T00:00:00", "window": "9999w"}, {"until": "0001-01-03T00:00:00Z"},
                                    {"min_count": 10**30}])
def test_emerging_windows_and_counts_at_the_edges(client, params):
    r = client.get("/topics/emerging", params=params)
    assert r.status_code in (200, 422), r.text
    if r.status_code == 422:
        assert r.json()["field"] == "min_count"


@pytest.mark.parametrize("cursor", ["[" * 100_000, json.dumps({"v": 1}) , "!!"])
def test_any_cursor_is_a_clear_error(client, cursor):
    import base64

    for value in (cursor[:2000], base64.urlsafe_b64encode(cursor.encode()).decode()[:2000]):
        r = client.get("/search", params={"cursor": value})
        assert r.status_code == 400 and r.json()["field"] == "cursor", r.text
    deep = base64.urlsafe_b64encode(b"[" * 1400).decode()
    assert client.get("/search", params={"cursor": deep}).status_code == 400


def test_raw_utf8_in_a_url_gets_an_error_naming_the_fix(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall("GET /search?q=物流 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400") and b"--data-urlencode" in answer
    assert "--data-urlencode" in HINT


def test_docs_work_without_a_network(client):
    page = client.get("/docs").text
    assert "/docs-assets/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    redoc = client.get("/redoc").text
    assert "/docs-assets/redoc.standalone.js" in redoc and "googleapis" not in redoc and "cdn" not in redoc.lower()
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        assert client.get(f"/docs-assets/{asset}").status_code == 200


def test_the_schema_declares_errors_auth_and_limits(tight):
    spec = httpx.get(tight.url + "/openapi.json").json()
    assert set(spec["components"]["securitySchemes"]) == {"apiKey", "bearer"}
    search = spec["paths"]["/search"]["get"]
    assert {"400", "401", "403", "414", "422", "429"} <= set(search["responses"])
    assert all(list(r["content"]) == ["application/problem+json"] for code, r in search["responses"].items() if code != "200")
    params = {p["name"]: p["schema"] for p in search["parameters"]}
    assert params["q"]["maxLength"] == 500 and params["limit"]["maximum"] == 100
    # topic values are default topics or own topics (server state): a pattern, each value checked by the server
    assert params["topic"]["items"]["pattern"].startswith("^[a-z0-9_]") and params["brand"]["items"]["maxLength"] == 128


@pytest.mark.parametrize("args", [["search", "--since", "0001-01-01T00:00:00+14:00"], ["search", "color:red"],
                                  ["emerging", "--until", "0001-01-01T00:00:00", "--window", "9999w"],
                                  ["trends", "--until", "9999-12-31T23:59:59", "--interval", "hour"],
                                  ["search", "--topic", "shipping"]])
def test_the_cli_answers_in_a_line_not_a_traceback(tmp_path, args):
    import os

    env = {**os.environ, "VOCLENS_DATA_DIR": str(tmp_path / "data")}
    r = subprocess.run([sys.executable, "-m", "api.cli", *args], env=env, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) <= 6, r.stderr


def test_the_cli_shows_bracketed_text_from_the_data(tmp_path):
    import os

    env = {**os.environ, "VOCLENS_DATA_DIR": str(tmp_path / "data")}
    data = tmp_path / "in.jsonl"
    data.write_text(json.dumps({"source": "jd", "source_id": "1", "text": "mail me at a@b.cn [urgent]",
                                "created_at": "2026-11-01T00:00:00Z"}) + "\n")
    subprocess.run([sys.executable, "-m", "api.cli", "ingest", str(data)], env=env, check=True, capture_output=True)
    r = subprocess.run([sys.executable, "-m", "api.cli", "search", "mail"], env={**env, "COLUMNS": "200"},
                       capture_output=True, text=True, timeout=120)
    assert "[email]" in r.stdout and "[urgent]" in r.stdout, r.stdout


@pytest.mark.parametrize("schedule", [{"frequency": "daily"}, {"frequency": "weekly"},
                                      {"frequency": "cron", "cron": "0 0 * * *"}, {"frequency": "cron", "cron": "0 9 29 2 *"}])
def test_digest_previews_at_the_ends_of_the_calendar(client, schedule):
    body = {"name": "n", "owner": "o", "channel": "email", "email_to": ["a@b.cn"], "tz": "Pacific/Kiritimati", **schedule}
    sub_id = client.post("/subscriptions", json=body).json()["id"]
    for day in ("0001-01-01", "9999-12-31", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0002-01-01"):
        r = client.get(f"/subscriptions/{sub_id}/preview", params={"send_day": day, "format": "html"})
        assert r.status_code == 200 or (r.status_code == 422 and r.json()["field"] == "cron"), (day, r.text)
