"""Signed export links (``POST /search/export/links``): a keyed export a browser downloads without the header.

In-process apps over a real SQLite file with API keys configured: what a link
opens, and everything it must not (another query, a second download, after its
expiry, without its key, on another installation).
"""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.export import BOM, EXPORT_PAGE
from api.export_links import ExportLinkError, check_token, make_token
from api.settings import ApiKey, Settings, hash_api_key
from index.sqlite import SQLiteBackend
from nlp.models import get_classifier
from tests.index.corpus import NOW, doc

READ_KEY, WRITE_ONLY_KEY, OTHER_READ_KEY = "vl_links_reader", "vl_links_write_only", "vl_links_other_reader"
SALT = "export-links-test-salt-0123456789"
KEYS = [ApiKey(name="reader", hash=hash_api_key(READ_KEY), scopes=("read",)),
        ApiKey(name="writer", hash=hash_api_key(WRITE_ONLY_KEY), scopes=("write",)),
        ApiKey(name="other", hash=hash_api_key(OTHER_READ_KEY), scopes=("read",))]
DOCS = [doc(f"v{i}", f"物流太慢 第{i}单", brand="Voltra", created_at=NOW - timedelta(minutes=i)) for i in range(EXPORT_PAGE + 20)] + [
    doc(f"q{i}", "包装漏液", brand="Qinghe", created_at=NOW - timedelta(hours=i)) for i in range(7)]


@pytest.fixture
def db(tmp_path):
    backend = SQLiteBackend(tmp_path / "voclens.db")
    backend.upsert(DOCS)
    yield backend
    backend.close()


def app_client(db, tmp_path, **settings) -> TestClient:
    options = {"data_dir": tmp_path, "api_keys": KEYS, "author_salt": SALT, **settings}
    return TestClient(create_app(Settings(**options), backend=db, classifier=get_classifier("fast")))


@pytest.fixture
def client(db, tmp_path):
    with app_client(db, tmp_path) as c:
        yield c


def link(client, key: str = READ_KEY, **params) -> dict:
    r = client.post("/search/export/links", params=params, headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    return r.json()


def rows(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["id"] for r in csv.DictReader(io.StringIO(response.text.removeprefix(BOM)))]


def test_a_read_key_gets_a_link_that_downloads_the_export_without_a_key(client):
    made = link(client, brand="Voltra", q="物流", sort="oldest")
    url = urlsplit(made["url"])
    assert url.path == "/search/export" and READ_KEY not in made["url"]
    assert dict(parse_qsl(url.query)) == {"brand": "Voltra", "q": "物流", "sort": "oldest", "token": made["token"]}
    assert made["total"] == EXPORT_PAGE + 20
    downloaded = client.get(made["url"])  # no X-API-Key: the token stands for it
    keyed = client.get("/search/export", params={"brand": "Voltra", "q": "物流", "sort": "oldest"},
                       headers={"X-API-Key": READ_KEY})
    assert rows(downloaded) == rows(keyed) and len(rows(downloaded)) == made["total"]
    assert downloaded.headers["x-total-count"] == str(made["total"])


def test_no_key_gets_no_link_and_a_write_only_key_neither(client):
    r = client.post("/search/export/links", params={"brand": "Voltra"})
    assert r.status_code == 401 and r.json()["detail"].startswith("an API key is required")
    r = client.post("/search/export/links", params={"brand": "Voltra"}, headers={"X-API-Key": WRITE_ONLY_KEY})
    assert r.status_code == 403
    assert client.get("/search/export", params={"brand": "Voltra"}).status_code == 401  # as before: no key, no export


def test_a_link_opens_only_its_own_query(client):
    made = link(client, brand="Voltra", channel="review")
    params = parse_qsl(urlsplit(made["url"]).query)
    tampered = {
        "another value": [(n, "Qinghe" if n == "brand" else v) for n, v in params],
        "a parameter added": [*params, ("brand", "Qinghe")],
        "a parameter removed": [(n, v) for n, v in params if n != "channel"],
        "another parameter": [*params, ("sort", "oldest")],
    }
    for what, changed in tampered.items():
        r = client.get(f"/search/export?{urlencode(changed)}")
        assert r.status_code == 401, what
        assert "not valid for this query" in r.json()["detail"], what
    # the token of one query does not open another, and failed tries do not spend the link
    assert rows(client.get(made["url"]))


def test_a_link_downloads_once(client):
    made = link(client, brand="Qinghe")
    assert len(rows(client.get(made["url"]))) == 7
    again = client.get(made["url"])
    assert again.status_code == 401 and "already used" in again.json()["detail"]
    assert again.headers["www-authenticate"] == "Bearer"
    assert len(rows(client.get(made["url"], headers={"X-API-Key": READ_KEY}))) == 7  # a key sent decides, as before
    second = link(client, brand="Qinghe")  # a new link for the same query is its own
    assert second["token"] != made["token"] and len(rows(client.get(second["url"]))) == 7


def test_a_link_expires(db, tmp_path):
    with app_client(db, tmp_path, export_link_ttl_s=1) as client:
        made = link(client, brand="Qinghe")
        time.sleep(1.1)
        r = client.get(made["url"])
        assert r.status_code == 401 and "expired" in r.json()["detail"]


def test_a_link_dies_with_its_key_and_opens_nothing_on_another_installation(db, tmp_path):
    with app_client(db, tmp_path) as client:
        made, other = link(client, brand="Qinghe"), link(client, OTHER_READ_KEY, brand="Qinghe")
    without_reader = [k for k in KEYS if k.name != "reader"]
    with app_client(db, tmp_path, api_keys=without_reader) as client:
        r = client.get(made["url"])
        assert r.status_code == 401 and "no longer configured" in r.json()["detail"]
        assert rows(client.get(other["url"]))  # the other key's link still works
    with app_client(db, tmp_path, author_salt="another-installation-salt") as client:
        assert client.get(link(client, brand="Qinghe")["url"]).status_code == 200
        made = link(client, brand="Qinghe")
    with app_client(db, tmp_path) as client:
        assert client.get(made["url"]).status_code == 401


def test_a_bad_query_gets_its_error_when_the_link_is_asked_for(client):
    r = client.post("/search/export/links", params={"topic": "no_such_topic"}, headers={"X-API-Key": READ_KEY})
    assert r.status_code == 422 and r.json()["field"] == "topic"
    r = client.post("/search/export/links", params={"q": "brnad:Voltra"}, headers={"X-API-Key": READ_KEY})
    assert r.status_code == 400


def test_without_keys_the_export_stays_open_and_a_link_is_just_the_url(db, tmp_path):
    with app_client(db, tmp_path, api_keys=[]) as client:
        made = link(client, brand="Qinghe")
        assert len(rows(client.get(made["url"]))) == len(rows(client.get(made["url"]))) == 7  # nothing to spend
        assert len(rows(client.get("/search/export", params={"brand": "Qinghe"}))) == 7


def test_a_malformed_token_says_so():
    with pytest.raises(ExportLinkError, match="malformed"):
        check_token(b"s" * 32, "not-a-token", [("brand", "Voltra")], KEYS)
    token, expires = make_token(b"s" * 32, KEYS[0].hash, [("brand", "Voltra")], ttl_s=60, now=1000)
    assert expires == 1060
    assert check_token(b"s" * 32, token, [("brand", "Voltra"), ("token", token)], KEYS, now=1059)[1] == 1060
    with pytest.raises(ExportLinkError, match="expired"):
        check_token(b"s" * 32, token, [("brand", "Voltra")], KEYS, now=1060)


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_a_link_is_spent_for_every_process_that_shares_the_rate_limit_redis(db, tmp_path, request, storage):
    """Two API processes (apps) on one index: in memory each knows only its own spent links; in Redis they share them."""
    url = "memory://"
    if storage == "redis":
        import redis

        url = request.getfixturevalue("redis_server").url.rsplit("/", 1)[0] + "/4"  # a database of its own
        redis.Redis.from_url(url).flushdb()
    with app_client(db, tmp_path, rate_limit_storage_url=url) as a, app_client(db, tmp_path, rate_limit_storage_url=url) as b:
        made = link(a, brand="Qinghe")
        assert len(rows(b.get(made["url"]))) == 7  # made by one process, downloaded through the other
        again = a.get(made["url"])
    if storage == "memory":
        assert again.status_code == 200  # the limit of a process-local store (docs/api.md#export-links)
        return
    assert again.status_code == 401 and "already used" in again.json()["detail"]
    check = redis.Redis.from_url(url)
    [key] = check.keys("voclens:export-link:*")
    assert 0 < check.ttl(key) <= 61
    assert [c["db"] for c in check.client_list()].count("4") == 1  # only this check: both apps closed theirs
