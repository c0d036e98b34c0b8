"""With API keys configured, nothing without a valid key gets data; scopes are enforced."""

import json

import httpx
import pytest

from api.settings import hash_api_key

from tests.api.conftest import Server

READ_KEY, WRITE_KEY = "vl_read_only_key_for_tests", "vl_writer_key_for_tests"
DOC = {"source": "jd", "source_id": "k1", "text": "物流很快", "created_at": "2026-11-01T00:00:00Z"}


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    keys = [
        {"name": "dashboard", "hash": hash_api_key(READ_KEY), "scopes": ["read"]},
        {"name": "importer", "hash": hash_api_key(WRITE_KEY), "scopes": ["read", "write"]},
    ]
    srv = Server(tmp_path_factory.mktemp("auth") / "data", env={"VOCLENS_API_KEYS": json.dumps(keys)})
    yield srv
    srv.stop()


@pytest.mark.parametrize("path", ["/search", "/trends", "/topics/top", "/topics/emerging", "/keywords/top",
                                  "/documents/0123456789abcdef0123456789abcdef"])
def test_no_key_no_data(secured, path):
    r = httpx.get(secured.url + path)
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    assert httpx.get(secured.url + path, headers={"X-API-Key": "wrong"}).status_code == 401


def test_health_without_a_key_says_only_that_it_is_alive(secured):
    body = httpx.get(secured.url + "/health").json()
    assert body == {"status": "ok", "backend": "sqlite"}


def test_scopes(secured):
    post = lambda key: httpx.post(secured.url + "/documents", json={"documents": [DOC]}, headers={"X-API-Key": key})  # noqa: E731
    assert post(READ_KEY).status_code == 403
    assert post(WRITE_KEY).status_code == 200
    r = httpx.get(secured.url + "/search", params={"q": "物流"}, headers={"Authorization": f"Bearer {READ_KEY}"})
    assert r.status_code == 200 and r.json()["total"] == 1
    assert httpx.get(secured.url + "/health", headers={"X-API-Key": READ_KEY}).json()["documents"] == 1
