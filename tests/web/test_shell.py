"""The web app's shell and files, without a browser: served offline, outside the rate limit, and /access."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings, hash_api_key
from api.web import STATIC_DIR

ROOT = Path(__file__).resolve().parents[2]
READ, WRITE = "vl_shell_read", "vl_shell_write"
KEYS = [{"name": "wall", "hash": hash_api_key(READ), "scopes": ["read"]},
        {"name": "lead", "hash": hash_api_key(WRITE), "scopes": ["read", "write"]}]


@pytest.fixture
def client(tmp_path):
    with TestClient(create_app(Settings(data_dir=tmp_path, rate_limit="5/minute"))) as c:
        yield c


@pytest.fixture
def keyed(tmp_path):
    with TestClient(create_app(Settings(data_dir=tmp_path, api_keys=KEYS))) as c:
        yield c


def test_the_app_is_at_the_root_with_its_config_and_a_strict_policy(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    config = json.loads(re.search(r'id="voclens-config">(.*?)</script>', r.text).group(1))
    assert config["topics"][0] == "logistics" and config["keys_required"] is False
    assert "/" not in client.get("/openapi.json").json()["paths"]  # the API's schema is unchanged by the app


def local_references() -> set[str]:
    """Every file the shell and the modules load: src/href in the HTML, imports in the JavaScript."""
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    refs = set(re.findall(r'(?:src|href)="(static/[^"]+)"', html))
    for js in (STATIC_DIR / "js").rglob("*.js"):
        for target in re.findall(r'^import .*? from "(\.[^"]+)";', js.read_text(encoding="utf-8"), re.M):
            refs.add(f"static/{(js.parent / target).resolve().relative_to(STATIC_DIR).as_posix()}")
    return refs


def test_everything_is_served_from_the_package_and_nothing_from_elsewhere(client):
    refs = local_references()
    assert len(refs) >= 12
    for ref in refs:
        r = client.get("/" + ref)
        assert r.status_code == 200, ref
        assert r.headers["cache-control"] == "no-cache"
    for path in [STATIC_DIR / "index.html", STATIC_DIR / "app.css", *(STATIC_DIR / "js").rglob("*.js")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=\"(https?:)?//|@import|cdn\.", text), path


def test_static_files_use_no_rate_budget(client):
    for _ in range(12):
        assert client.get("/static/app.css").status_code == 200
    answers = [client.get("/access").status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]


def test_access_without_keys_is_open(client):
    assert client.get("/access").json() == {"keys_required": False, "key": None, "scopes": ["read", "write"]}


def test_access_with_keys(keyed):
    assert keyed.get("/access").json() == {"keys_required": True, "key": None, "scopes": []}
    assert keyed.get("/access", headers={"X-API-Key": READ}).json() == {"keys_required": True, "key": "wall", "scopes": ["read"]}
    assert keyed.get("/access", headers={"Authorization": f"Bearer {WRITE}"}).json()["scopes"] == ["read", "write"]
    r = keyed.get("/access", headers={"X-API-Key": "vl_wrong"})
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    assert '"keys_required": true' in keyed.get("/").text
    assert keyed.get("/").status_code == 200  # the shell holds no data: it is served without a key


def test_vendored_files_match_the_manifest():
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "vendor-web"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    manifest = json.loads((STATIC_DIR / "vendor" / "manifest.json").read_text())
    assert manifest["echarts"]["version"] and manifest["echarts"]["integrity"].startswith("sha512-")


@pytest.mark.slow
def test_demo_prints_the_url_that_opens_the_app(tmp_path):
    import os
    import time

    import httpx

    from tests.api.conftest import free_port

    port = free_port()
    log = tmp_path / "demo.log"
    env = {**os.environ, "VOCLENS_DATA_DIR": str(tmp_path / "data")}
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "api.cli", "demo", "--port", str(port)], env=env, cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 120
        while not (url := re.search(r"voclens on (http://\S+/) ", log.read_text())):
            assert proc.poll() is None and time.time() < deadline, log.read_text()
            time.sleep(0.2)
        url = url.group(1)
        assert url == f"http://127.0.0.1:{port}/"
        while True:
            try:
                page = httpx.get(url, timeout=2)
                break
            except httpx.TransportError:
                assert time.time() < deadline
                time.sleep(0.2)
        assert page.status_code == 200 and 'id="voclens-config"' in page.text
        assert httpx.get(url + "search", params={"limit": 1}).json()["total"] > 300  # the demo corpus, behind the page
    finally:
        proc.terminate()
        proc.wait(10)
