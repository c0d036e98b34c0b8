"""Hostile input over HTTP and the CLI (issue 23): nothing answers 5xx or prints a traceback.

Routes are enumerated from the OpenAPI schema, so a new route is covered without editing this file.
``HOSTILE_CASE_IDS`` lists every hostile HTTP case; ``len(HOSTILE_CASE_IDS)`` is the number to quote.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiKey, Settings, hash_api_key
from tests.api.conftest import Server

ROOT = Path(__file__).resolve().parents[2]
READ_KEY, WRITE_KEY, RW_KEY = "vl_hostile_reader", "vl_hostile_writer_only", "vl_hostile_read_write"
KEYS = [ApiKey(name="r", hash=hash_api_key(READ_KEY), scopes=("read",)),
        ApiKey(name="w", hash=hash_api_key(WRITE_KEY), scopes=("write",)),
        ApiKey(name="rw", hash=hash_api_key(RW_KEY), scopes=("read", "write"))]
SECRET_TEXT = "秘密的物流评论 secretdocumenttext"
DOC = {"source": "jd", "source_id": "hostile-1", "text": SECRET_TEXT, "created_at": "2026-11-01T00:00:00Z",
       "brand": "Voltra"}
SUB = {"name": "secret-sub-name", "owner": "secret-owner@example.com", "q": "secretsubquery",
       "frequency": "weekly", "weekday": "mon", "hour": 9, "tz": "Asia/Shanghai",
       "channel": "email", "email_to": ["secret-recipient@example.com"]}
#: Stored values a write-only key must never see in any response body.
STORED = [SECRET_TEXT, "secretdocumenttext", SUB["owner"], SUB["q"], SUB["name"], SUB["email_to"][0]]

EDGE_SINCE, EDGE_UNTIL = "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"
CONTROL = "物流\x00\x01\x07\x1b[31m\x7f\u202e"
#: Hostile values sent in every query parameter a GET operation declares.
HOSTILE_VALUES = {
    "edge-since": EDGE_SINCE,
    "edge-until": EDGE_UNTIL,
    "edge-dates-in-q": f"since:{EDGE_SINCE} until:{EDGE_UNTIL}",
    "huge-int": str(10**30),
    "negative-huge-int": str(-(10**30)),
    "nested-json": "[" * 500 + "]" * 500,
    "nested-json-object": '{"a":' * 300 + "1" + "}" * 300,
    "arbitrary-string": "not-a-cursor!@#$%^&*()",
    "base64-garbage": "eyJ4IjogWzEsMiwzXX0=",
    "unknown-field": "nosuchfield:物流",
    "nested-quotes": '"a "b "c" d" e"',
    "long-10000": "x" * 10000,
    "control-chars": CONTROL,
    "nul": "\x00",
    "empty": "",
}
#: Raw (already percent-encoded) query strings: invalid UTF-8 and encoded NULs.
RAW_VALUES = {"invalid-utf8": "%FF%FE%C3%28", "encoded-nul": "%00%00", "overlong-utf8": "%C0%AF%E0%80%AF"}


def _settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, api_keys=KEYS, rate_limit=None, auth_failure_limit=None)


def _schema() -> dict:
    return create_app(Settings(data_dir="/nonexistent-unused")).openapi()


SCHEMA = _schema()
OPERATIONS = [(method.upper(), path, op) for path, ops in SCHEMA["paths"].items() for method, op in ops.items()
              if method in ("get", "post", "put", "patch", "delete")]
READ_OPERATIONS = [(p, op) for m, p, op in OPERATIONS if m == "GET"]


def _query_params(op: dict) -> list[str]:
    return [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"]


#: Found by this suite: /trends answers a float ``negative`` count (1.0) where the schema says int; the
#: serializer warning becomes an error under pytest's warning filter, so the case answers 500 here.
KNOWN_BUG = "trends bucket 'negative' is a float, not an int (PydanticSerializationUnexpectedValue)"
KNOWN_BUG_CASES: set[tuple[str, str, str]] = set()  # none open; the trends float counts were fixed


def _cases():
    cases = []
    for path, op in READ_OPERATIONS:
        names = _query_params(op) or ["q"]  # an undeclared parameter must be harmless too
        for name in names:
            for vid in HOSTILE_VALUES:
                marks = [pytest.mark.xfail(reason=KNOWN_BUG, strict=False)] if (path, name, vid) in KNOWN_BUG_CASES else []
                cases.append(pytest.param(path, name, vid, None, id=f"GET {path} {name}={vid}", marks=marks))
            for vid in RAW_VALUES:
                cases.append(pytest.param(path, name, None, vid, id=f"GET {path} {name}=raw:{vid}"))
        for vid in RAW_VALUES:  # hostile path segments
            if "{" in path:
                cases.append(pytest.param(path, "<path>", None, vid, id=f"GET {path} <path>=raw:{vid}"))
    return cases


HOSTILE_CASES = _cases()
HOSTILE_CASE_IDS = [c.id for c in HOSTILE_CASES]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    app = create_app(_settings(tmp_path_factory.mktemp("hostile") / "data"))
    with TestClient(app, raise_server_exceptions=bool(os.environ.get("HOSTILE_RAISE"))) as c:
        r = c.post("/documents", json={"documents": [DOC]}, headers={"X-API-Key": RW_KEY})
        assert r.status_code == 200, r.text
        doc_id = r.json()["ids"][0]
        r = c.post("/subscriptions", json=SUB, headers={"X-API-Key": RW_KEY})
        assert r.status_code == 201, r.text
        yield c, {"doc_id": doc_id, "sub_id": r.json()["id"], "author_hash": "0" * 64}


def _fill(path: str, ids: dict, raw: str | None = None) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", raw if raw is not None else value)
    return path


def test_hostile_cases_are_counted():
    print(f"\n{len(HOSTILE_CASE_IDS)} hostile HTTP cases over {len(READ_OPERATIONS)} read operations")
    assert len(HOSTILE_CASE_IDS) >= len(READ_OPERATIONS) * len(HOSTILE_VALUES)
    assert {"/search", "/trends", "/deliveries"} <= {p for p, _ in READ_OPERATIONS}


@pytest.mark.parametrize(("path", "name", "vid", "raw"), HOSTILE_CASES)
def test_hostile_read_input_never_answers_5xx(seeded, path, name, vid, raw):
    client, ids = seeded
    if name == "<path>":
        url = _fill(path, ids, raw=RAW_VALUES[raw])
        r = client.get(url, headers={"X-API-Key": READ_KEY})
    elif raw is not None:
        r = client.get(_fill(path, ids) + f"?{name}={RAW_VALUES[raw]}", headers={"X-API-Key": READ_KEY})
    else:
        r = client.get(_fill(path, ids), params={name: HOSTILE_VALUES[vid]}, headers={"X-API-Key": READ_KEY})
    assert 200 <= r.status_code < 500, (r.status_code, r.text[:500])
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json"), r.text[:300]


# -- write-only key matrix ---------------------------------------------------------------------
#: Operations a write-only key may complete: they answer with no stored data.
WRITE_ONLY_ALLOWED = {("POST", "/documents"), ("DELETE", "/documents/{doc_id}"), ("DELETE", "/authors/{author_hash}"),
                      ("POST", "/subscriptions"), ("DELETE", "/subscriptions/{sub_id}"), ("GET", "/erasures"),
                      ("DELETE", "/own-topics/{key}"), ("DELETE", "/cases/rules/{rule_id}"),
                      ("GET", "/health"), ("GET", "/access"),  # /access: the key's own name and scopes
                      ("GET", "/health/live"), ("GET", "/health/ready")}  # statuses only without the read scope


def _answers_stored_data(method: str, path: str) -> bool:
    return (method, path) not in WRITE_ONLY_ALLOWED


@pytest.fixture
def fresh(tmp_path):
    app = create_app(_settings(tmp_path / "data"))
    with TestClient(app, raise_server_exceptions=False) as c:
        doc_id = c.post("/documents", json={"documents": [DOC]}, headers={"X-API-Key": RW_KEY}).json()["ids"][0]
        sub_id = c.post("/subscriptions", json=SUB, headers={"X-API-Key": RW_KEY}).json()["id"]
        yield c, {"doc_id": doc_id, "sub_id": sub_id, "author_hash": "0" * 64, "case_id": "1", "rule_id": "r1"}


def _body_for(method: str, path: str, ids: dict):
    if (method, path) == ("POST", "/documents"):
        return {"documents": [{**DOC, "source_id": "hostile-2", "text": "another"}]}
    if (method, path) == ("POST", "/subscriptions"):
        return {**SUB, "name": "mine", "owner": "me@example.com", "q": "", "email_to": ["me@example.com"]}
    if method in ("PATCH", "PUT"):
        return {"hour": 8}
    return None


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, _ in OPERATIONS], ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_a_write_only_key_gets_no_stored_data(fresh, method, path):
    client, ids = fresh
    body = _body_for(method, path, ids)
    r = client.request(method, _fill(path, ids), json=body, headers={"X-API-Key": WRITE_KEY})
    assert r.status_code < 500, r.text[:300]
    if _answers_stored_data(method, path):
        assert r.status_code == 403, (r.status_code, r.text[:300])
    for value in STORED:
        assert value not in r.text, f"{method} {path} leaked {value!r} to a write-only key"


def test_every_get_except_public_and_erasure_log_is_forbidden_to_write_only():
    gets = {p for m, p, _ in OPERATIONS if m == "GET"}
    assert gets - {p for m, p in WRITE_ONLY_ALLOWED if m == "GET"}, "no read operation enumerated"


# -- concurrent first use ----------------------------------------------------------------------
@pytest.mark.parametrize("round_", range(2))
def test_concurrent_first_use_of_a_fresh_data_folder(tmp_path, round_):
    keys = [{"name": k.name, "hash": k.hash, "scopes": list(k.scopes)} for k in KEYS]
    srv = Server(tmp_path / "data", env={"VOCLENS_API_KEYS": json.dumps(keys), "VOCLENS_RATE_LIMIT": "100000/minute"})
    try:
        barrier, results = threading.Barrier(8), []

        def hit(i):
            path = ["/deliveries", "/subscriptions", f"/subscriptions/x{i}/deliveries", "/search"][i % 4]
            barrier.wait()
            results.append(httpx.get(srv.url + path, headers={"X-API-Key": READ_KEY}, timeout=30).status_code)

        threads = [threading.Thread(target=hit, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        srv.stop()
    assert len(results) == 8 and all(s < 500 for s in results), results


# -- CLI --------------------------------------------------------------------------------------
CLI_CASES = {
    "edge-since": ["--since", EDGE_SINCE],
    "edge-until": ["--until", EDGE_UNTIL],
    "edge-both": ["--since", EDGE_SINCE, "--until", EDGE_UNTIL],
    "edge-in-q": [f"since:{EDGE_SINCE} until:{EDGE_UNTIL}"],
    "long-query": ["x" * 10000],
    "nested-quotes": ['"a "b "c" d" e"'],
    "control-chars": ["物流\x01\x07\x1b[31m\x7f"],
    "unknown-field": ["nosuchfield:物流"],
    "huge-since": ["--since", f"{10**30}d"],
}


@pytest.mark.parametrize("command", ["search", "trends"])
@pytest.mark.parametrize("case", list(CLI_CASES))
def test_cli_hostile_input_never_prints_a_traceback(tmp_path, command, case):
    env = {**os.environ, "VOCLENS_DATA_DIR": str(tmp_path / "data")}
    r = subprocess.run([sys.executable, "-m", "api.cli", command, *CLI_CASES[case]], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, r.stderr[-2000:]
    if r.returncode != 0:
        assert r.returncode in (1, 2) and r.stderr.strip(), (r.returncode, r.stderr)
        assert len([line for line in r.stderr.strip().splitlines() if line.strip()]) <= 5, r.stderr
