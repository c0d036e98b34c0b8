"""Erasure over HTTP and on the command line, against a real server and a real SQLite index.

The backend behaviour itself (both backends) is in ``tests/index/test_contract.py``.
"""

from __future__ import annotations

import json

import httpx
import pytest

from api.settings import hash_api_key
from index.document import document_id
from nlp.privacy import DEFAULT_AUTHOR_SALT, hash_author
from tests.api.conftest import Server
from tests.api.test_cli import voclens

READ_KEY, WRITE_KEY = "vl_read_only_key_for_erasure", "vl_writer_key_for_erasure"
TEXT = "物流太慢了，快递员还骂人 Zqxjvw"


def _doc(source_id: str, text: str = TEXT, **extra) -> dict:
    return {"source": "jd", "source_id": source_id, "text": text, "created_at": "2026-11-01T00:00:00Z", **extra}


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    keys = [
        {"name": "dashboard", "hash": hash_api_key(READ_KEY), "scopes": ["read"]},
        {"name": "privacy-officer", "hash": hash_api_key(WRITE_KEY), "scopes": ["read", "write"]},
    ]
    srv = Server(tmp_path_factory.mktemp("erasure") / "data", env={"VOCLENS_API_KEYS": json.dumps(keys)})
    yield srv
    srv.stop()


def _call(srv, method, path, key=None, **kw):
    headers = {"X-API-Key": key} if key else {}
    return httpx.request(method, srv.url + path, headers=headers, timeout=30, **kw)


def test_erasure_needs_the_write_scope(secured):
    doc_id = _call(secured, "POST", "/documents", WRITE_KEY, json={"documents": [_doc("w1")]}).json()["ids"][0]
    for path in (f"/documents/{doc_id}", "/authors/a_" + "0" * 24):
        r = _call(secured, "DELETE", path)
        assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
        assert _call(secured, "DELETE", path, "wrong").status_code == 401
        r = _call(secured, "DELETE", path, READ_KEY)
        assert r.status_code == 403 and r.json()["title"] == "Forbidden"
    assert _call(secured, "GET", "/erasures", READ_KEY).status_code == 403
    assert _call(secured, "GET", f"/documents/{doc_id}", READ_KEY).status_code == 200  # nothing was erased


def test_delete_a_document_then_re_ingest_is_refused(secured):
    doc_id = _call(secured, "POST", "/documents", WRITE_KEY, json={"documents": [_doc("d1")]}).json()["ids"][0]
    r = _call(secured, "DELETE", f"/documents/{doc_id}", WRITE_KEY)
    assert r.status_code == 200
    body = r.json()
    assert (body["kind"], body["key"], body["actor"], body["documents"]) == ("document", doc_id, "privacy-officer", 1)
    assert _call(secured, "GET", f"/documents/{doc_id}", READ_KEY).status_code == 404
    assert _call(secured, "GET", "/search", READ_KEY, params={"q": "Zqxjvw"}).json()["total"] == 1  # only w1
    # a re-crawl or re-import of the same review is refused, and counted, not an error
    r = _call(secured, "POST", "/documents", WRITE_KEY, json={"documents": [_doc("d1"), _doc("d2", "包装很好")]})
    assert r.status_code == 200
    assert (r.json()["created"], r.json()["erased"], len(r.json()["ids"])) == (1, 1, 1)
    assert _call(secured, "GET", f"/documents/{doc_id}", READ_KEY).status_code == 404
    # erasing again answers 200 with nothing removed; an id never seen is 404 in the API's error shape
    assert _call(secured, "DELETE", f"/documents/{doc_id}", WRITE_KEY).json()["documents"] == 0
    r = _call(secured, "DELETE", "/documents/" + "f" * 32, WRITE_KEY)
    assert r.status_code == 404 and r.json()["title"] == "Document not found"
    assert _call(secured, "DELETE", "/documents/not-an-id", WRITE_KEY).status_code == 422


def test_delete_an_author(secured):
    docs = [_doc("p1", author="小王"), _doc("p2", "客服很差", author="小王"), _doc("p3", "还行", author="小李")]
    _call(secured, "POST", "/documents", WRITE_KEY, json={"documents": docs})
    author_hash = hash_author("jd", "小王", DEFAULT_AUTHOR_SALT)
    r = _call(secured, "DELETE", f"/authors/{author_hash}", WRITE_KEY)
    assert r.status_code == 200 and r.json()["documents"] == 2 and r.json()["kind"] == "author"
    r = _call(secured, "POST", "/documents", WRITE_KEY, json={"documents": [_doc("p4", "新评论", author="小王")]})
    assert (r.json()["created"], r.json()["erased"]) == (0, 1)
    hits = _call(secured, "GET", "/search", READ_KEY, params={"source": "jd", "limit": 50}).json()["results"]
    assert author_hash not in {h["document"].get("author_hash") for h in hits}
    assert _call(secured, "DELETE", "/authors/小王", WRITE_KEY).status_code == 422  # a handle is not a hash


def test_the_erasure_log_names_what_when_and_which_key_never_the_text(secured):
    log = _call(secured, "GET", "/erasures", WRITE_KEY).json()
    assert log and all(set(e) == {"kind", "key", "at", "actor", "documents"} for e in log)
    assert {e["actor"] for e in log} == {"privacy-officer"}
    raw = json.dumps(log, ensure_ascii=False)
    assert "Zqxjvw" not in raw and "物流" not in raw and "小王" not in raw


def test_openapi_documents_the_erasure_endpoints(secured):
    spec = httpx.get(secured.url + "/openapi.json").json()
    for path in ("/documents/{doc_id}", "/authors/{author_hash}"):
        op = spec["paths"][path]["delete"]
        assert op["description"] and {"401", "403"} <= set(op["responses"])
        assert "application/problem+json" in op["responses"]["403"]["content"]
    assert "404" in spec["paths"]["/documents/{doc_id}"]["delete"]["responses"]


def test_cli_erase_by_handle_hashes_like_ingest_and_re_import_is_refused(tmp_path):
    data = tmp_path / "data"
    rows = [_doc("c1", author="bob"), _doc("c2", "客服很差", author="bob"), _doc("c3", "还行", author="amy")]
    src = tmp_path / "reviews.jsonl"
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    voclens("ingest", str(src), data_dir=data)
    r = voclens("erase", "--author", "bob", "--source", "jd", "--json", data_dir=data)
    record = json.loads(r.stdout)
    assert record["documents"] == 2 and record["actor"] == "cli" and record["key"].startswith("a_")
    assert "bob" not in r.stdout
    summary = json.loads(voclens("ingest", str(src), "--json", "--no-resume", data_dir=data).stdout)
    assert (summary["created"], summary["updated"], summary["erased"], summary["rejected"]) == (0, 1, 2, 0)
    assert "refused as erased" in voclens("ingest", str(src), "--no-resume", data_dir=data).stdout
    # --doc, the log, and the errors a person can make
    doc_id = document_id("jd", "c3")
    assert "1 document(s) removed" in voclens("erase", "--doc", doc_id, data_dir=data).stdout
    log = json.loads(voclens("erasures", "--json", data_dir=data).stdout)
    assert [(e["kind"], e["documents"]) for e in log] == [("document", 1), ("author", 2)]
    assert voclens("erase", "--author", "bob", data_dir=data, check=False).returncode == 2  # --source missing
    assert voclens("erase", data_dir=data, check=False).returncode == 2
    bad = voclens("erase", "--doc", "f" * 32, data_dir=data, check=False)
    assert bad.returncode == 1 and "no document" in bad.stderr
