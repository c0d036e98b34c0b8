"""The HTTP API through a real server process: ingest, search, trends, topics, limits, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

NOW = datetime.now(UTC).replace(microsecond=0)


def _ago(**kw) -> str:
    return (NOW - timedelta(**kw)).isoformat()


CORPUS = [
    {"source": "jd", "source_id": "1", "brand": "Voltra", "channel": "review", "text": "物流太慢了，等了一个星期才到",
     "created_at": _ago(days=10), "rating": 2, "author": "alice"},
    {"source": "jd", "source_id": "2", "brand": "Voltra", "channel": "review", "text": "快递很快，充电宝质量也不错",
     "created_at": _ago(days=9), "rating": 5},
    {"source": "amazon", "source_id": "A1", "brand": "Voltra", "channel": "review", "title": "Refund please",
     "text": "The charger stopped working, I asked for refunds twice and got nothing", "created_at": _ago(days=3),
     "rating": 1},
    {"source": "amazon", "source_id": "A2", "brand": "Lumio", "channel": "review",
     "text": "Great kettle, boils fast, worth the money. Call me on 138-1234-5678", "created_at": _ago(days=2),
     "rating": 5},
    {"source": "weibo", "source_id": "w1", "brand": "Qinghe", "channel": "social", "text": "爽肤水瓶子漏液了，洒了一半，太失望",
     "created_at": _ago(hours=5)},
    {"source": "weibo", "source_id": "w2", "brand": "Qinghe", "channel": "social", "text": "收到就漏液，包装太差",
     "created_at": _ago(hours=4)},
    {"source": "weibo", "source_id": "w3", "brand": "Qinghe", "channel": "social", "text": "又是漏液！客服也不回复",
     "created_at": _ago(hours=3)},
]


@pytest.fixture(scope="module")
def loaded(client):
    r = client.post("/documents", json={"documents": CORPUS})
    assert r.status_code == 200, r.text
    return r.json()


def test_batch_ingest_reports_counts(loaded):
    assert loaded["created"] == len(CORPUS) and loaded["rejected"] == 0 and len(loaded["ids"]) == len(CORPUS)


def test_reingest_is_idempotent(client, loaded):
    r = client.post("/documents", json={"documents": CORPUS[:2]})
    assert r.json()["created"] == 0 and r.json()["updated"] == 2
    assert client.get("/search").json()["total"] == len(CORPUS)


def test_bad_items_are_reported_and_good_ones_kept(client, loaded):
    r = client.post("/documents", json={"documents": [
        {"source": "jd", "source_id": "x1", "text": "好评", "created_at": "not a date"},
        {"source": "jd", "source_id": "x2", "text": "好评 good", "created_at": _ago(days=1), "shoe_size": 42},
        {"source": "jd", "source_id": "x3", "text": "包装很好", "created_at": _ago(days=1)},
    ]})
    body = r.json()
    assert r.status_code == 200 and body["created"] == 1 and body["rejected"] == 2
    assert [(e["index"], e["fields"]) for e in body["errors"]] == [(0, ["created_at"]), (1, ["shoe_size"])]
    client.post("/documents", json={"documents": []})
    all_bad = client.post("/documents", json={"documents": [{"text": "x"}]})
    assert all_bad.status_code == 422
    assert all_bad.headers["content-type"].startswith("application/problem+json")


def test_search_chinese_and_english_match_as_users_expect(client, loaded):
    assert {h["document"]["source_id"] for h in client.get("/search", params={"q": "物流"}).json()["results"]} == {"1"}
    refund = client.get("/search", params={"q": "refund"}).json()
    assert [h["document"]["source_id"] for h in refund["results"]] == ["A1"]
    assert "<mark>" in " ".join(refund["results"][0]["highlights"].values())


def test_search_filters_and_field_syntax(client, loaded):
    neg = client.get("/search", params={"q": "brand:Qinghe 漏液", "sort": "newest"}).json()
    assert [h["document"]["source_id"] for h in neg["results"]] == ["w3", "w2", "w1"]
    only_social = client.get("/search", params={"channel": "social", "brand": "Qinghe"}).json()
    assert only_social["total"] == 3
    excl = client.get("/search", params={"q": "漏液 -客服"}).json()
    assert {h["document"]["source_id"] for h in excl["results"]} == {"w1", "w2"}
    since = client.get("/search", params={"since": _ago(days=1)}).json()
    assert {h["document"]["source_id"] for h in since["results"]} >= {"w1", "w2", "w3"}
    low = client.get("/search", params={"rating_max": 2}).json()
    assert {h["document"]["source_id"] for h in low["results"]} == {"1", "A1"}


def test_privacy_masking_and_hashing_visible_through_the_api(client, loaded):
    doc = client.get(f"/documents/{loaded['ids'][3]}").json()
    assert "[phone]" in doc["text"] and "1234" not in doc["text"]
    first = client.get(f"/documents/{loaded['ids'][0]}").json()
    assert first["author_hash"].startswith("a_") and "alice" not in str(first)


def test_cursor_pagination_walks_every_result_once(client, loaded):
    seen, cursor = [], None
    while True:
        params = {"limit": 2, "sort": "newest", **({"cursor": cursor} if cursor else {})}
        page = client.get("/search", params=params).json()
        seen += [h["document"]["id"] for h in page["results"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == client.get("/search").json()["total"]


def test_trends_and_topics(client, loaded):
    t = client.get("/trends", params={"interval": "day", "tz": "Asia/Shanghai", "metric": "volume"}).json()
    assert sum(b["volume"] for b in t["series"][0]["buckets"]) == client.get("/search").json()["total"]
    assert t["metric"] == "volume" and t["values"][0]["points"]
    split = client.get("/trends", params={"split": "brand", "interval": "week"}).json()
    assert {s["key"] for s in split["series"]} >= {"Voltra", "Qinghe", "Lumio"}
    top = client.get("/topics/top", params={"polarity": "negative"}).json()
    assert top["topics"] and all(t["negative"] >= 1 for t in top["topics"])
    kw = client.get("/keywords/emerging", params={"window": "1d", "baseline": "28d", "min_count": 2}).json()
    assert kw["items"][0]["key"] == "漏液"
    em = client.get("/topics/emerging", params={"window": "1d", "baseline": "28d", "min_count": 1}).json()
    assert "current" in em and isinstance(em["items"], list)


@pytest.mark.parametrize(
    "path, params, status, field",
    [
        ("/search", {"q": "x" * 5000}, 422, "q"),
        ("/search", {"limit": 5000}, 422, "limit"),
        ("/search", {"q": "brnad:Voltra"}, 400, "q"),
        ("/search", {"q": "物流 color:red"}, 400, "q"),
        ("/search", {"topic": "shipping"}, 422, "topic"),
        ("/search", {"channel": "fax"}, 422, "channel"),
        ("/search", {"brand": "x" * 129}, 422, "brand"),
        ("/topics/emerging", {"min_count": 10**30}, 422, "min_count"),
        ("/search", {"cursor": "garbage!!"}, 400, "cursor"),
        ("/search", {"sentiment": "angry"}, 422, "sentiment"),
        ("/search", {"since": "yesterday"}, 422, "since"),
        ("/search", {"since": "2026-02-01", "until": "2026-01-01"}, 422, None),
        ("/search", {"topic": "logistics:furious"}, 422, "topic"),
        ("/trends", {"tz": "Mars/Olympus"}, 422, "tz"),
        ("/trends", {"interval": "fortnight"}, 422, "interval"),
        ("/topics/emerging", {"window": "forever"}, 422, "window"),
        ("/documents/00000000000000000000000000000000", {}, 404, None),
    ],
)
def test_errors_are_problem_json_naming_the_field(client, loaded, path, params, status, field):
    r = client.get(path, params=params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    if field:
        assert body.get("field") == field


@pytest.mark.parametrize("q", [
    "'; DROP TABLE documents; --", '"unbalanced', "NEAR(a b)", "a OR", "OR", "-", "*", "^物流", "(((", "col:val:x:y",
    "\x00\x01", "物流 AND NOT 质量", 'text:"x" OR brand:', "😀😀",
])
def test_injection_like_queries_are_answered_safely(client, loaded, q):
    r = client.get("/search", params={"q": q})
    assert r.status_code in (200, 400), r.text
    if r.status_code == 400:
        assert r.json()["field"] == "q"
    assert client.get("/search").json()["total"] >= len(CORPUS)


def test_batch_limit(client):
    r = client.post("/documents", json={"documents": [{"text": "x"}] * 1001})
    assert r.status_code == 413 and r.json()["field"] == "documents"


def test_health_and_openapi_docs(client, loaded):
    h = client.get("/health").json()
    assert h["status"] == "ok" and h["backend"] == "sqlite" and h["documents"] >= len(CORPUS)
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"/search", "/trends", "/topics/top", "/topics/emerging", "/documents", "/documents/{doc_id}",
            "/health"} <= set(spec["paths"])


def test_write_route_masks_title_product_name_and_meta_and_error_messages(client, loaded):
    """Last in the file: it adds a document the counts above do not expect."""
    record = {"source": "shop", "source_id": "pii-1", "text": "客服不回，加我微信 lumio_fan88 或 QQ 87654321",
              "title": "call (415) 555-2671", "product_name": "Voltra 卡号 4111 1111 1111 1111",
              "created_at": _ago(hours=1), "author": "bob_the_buyer", "author_id": 90817263,
              "meta": {"note": "身份证11010519491231002X", "thread": [{"mail": "jane＠example.com"}],
                       "user": {"id": 90817263, "name": "Bob"}}}
    bad = {**record, "source_id": "pii-2", "created_at": "13912345678"}
    r = client.post("/documents", json={"documents": [record, bad]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rejected"] == 1 and "13912345678" not in r.text and "[phone]" in body["errors"][0]["message"]
    doc = client.get(f"/documents/{body['ids'][0]}").json()
    assert doc["text"] == "客服不回，加我微信 [wechat] 或 QQ [qq]"
    assert doc["title"] == "call [phone]" and doc["product_name"] == "Voltra 卡号 [bank_card]"
    assert doc["meta"]["note"] == "身份证[id_number]" and doc["meta"]["thread"] == [{"mail": "[email]"}]
    assert doc["meta"]["user"]["id"] == doc["author_hash"]
    dumped = str(doc)
    for raw in ("lumio_fan88", "87654321", "555-2671", "4111", "11010519491231002X", "jane", "bob_the_buyer",
                "90817263", "Bob"):
        assert raw not in dumped
