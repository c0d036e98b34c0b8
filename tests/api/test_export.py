"""GET /search/export: every match as CSV, streamed through cursor paging, through a real server."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from api.export import BOM, COLUMNS, EXPORT_PAGE, document_row, safe_cell
from index.document import Document

START = datetime(2026, 10, 1, tzinfo=UTC)
#: More than two backend pages of one brand, a few of another, one with a formula-looking text.
MANY = 2 * EXPORT_PAGE + 37
RECORDS = [
    {"source": "jd", "source_id": f"e{i}", "brand": "Voltra", "channel": "review", "text": f"物流太慢 第{i}单",
     "created_at": (START + timedelta(minutes=i)).isoformat(), "rating": 1 + i % 5}
    for i in range(MANY)
] + [
    {"source": "weibo", "source_id": f"q{i}", "brand": "Qinghe", "channel": "social", "text": "包装漏液",
     "created_at": (START + timedelta(hours=i)).isoformat()} for i in range(5)
] + [{"source": "zendesk", "source_id": "t1", "brand": "Qinghe", "channel": "ticket",
      "text": "=HYPERLINK(\"http://evil.example\",\"click\") refund please", "created_at": START.isoformat()}]


@pytest.fixture(scope="module")
def loaded(client):
    r = client.post("/documents", json={"documents": RECORDS})
    assert r.status_code == 200 and r.json()["created"] == len(RECORDS), r.text


def paged_ids(client, **params) -> list[str]:
    ids, cursor = [], None
    while True:
        body = client.get("/search", params={**params, "limit": 100, **({"cursor": cursor} if cursor else {})}).json()
        ids += [h["document"]["id"] for h in body["results"]]
        if not (cursor := body["next_cursor"]):
            return ids


def read_csv(response) -> list[dict]:
    assert response.text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(response.text.removeprefix(BOM))))


def test_export_has_every_match_in_the_search_order(client, loaded):
    r = client.get("/search/export", params={"brand": "Voltra", "q": "物流"})
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="voclens-export.csv"'
    rows = read_csv(r)
    assert list(rows[0]) == list(COLUMNS)
    assert int(r.headers["x-total-count"]) == len(rows) == MANY
    assert [row["id"] for row in rows] == paged_ids(client, brand="Voltra", q="物流", sort="newest")
    assert {row["brand"] for row in rows} == {"Voltra"}


@pytest.mark.parametrize("sort", ["relevance", "oldest"])
def test_export_follows_the_sort(client, loaded, sort):
    rows = read_csv(client.get("/search/export", params={"q": "物流", "sort": sort}))
    assert [row["id"] for row in rows] == paged_ids(client, q="物流", sort=sort)


def test_an_empty_result_is_a_header(client, loaded):
    r = client.get("/search/export", params={"brand": "Nobody"})
    assert r.status_code == 200 and r.headers["x-total-count"] == "0" and read_csv(r) == []
    assert r.text == BOM + ",".join(COLUMNS) + "\r\n"


def test_a_formula_in_a_customer_text_stays_text(client, loaded):
    [row] = read_csv(client.get("/search/export", params={"channel": "ticket"}))
    assert row["text"].startswith("'=HYPERLINK(")


def test_bad_requests_answer_a_problem_not_a_broken_file(client, loaded):
    r = client.get("/search/export", params={"q": "brnad:Voltra"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    r = client.get("/search/export", params={"channel": "fax"})
    assert r.status_code == 422 and r.json()["field"] == "channel"


def test_document_row_and_safe_cell():
    doc = Document(source="jd", source_id="1", text="-5 stars, @seller", created_at=START, rating=4.0, brand="Lumio",
                   topics=[{"topic": "logistics", "polarity": "negative", "score": 0.9}], meta={"likes": 3})
    row = dict(zip(COLUMNS, document_row(doc), strict=True))
    assert row["text"] == "'-5 stars, @seller" and row["rating"] == "4" and row["topics"] == "logistics:negative"
    assert row["meta"] == '{"likes": 3}' and row["created_at"] == "2026-10-01T00:00:00+00:00"
    assert [safe_cell(v) for v in ("+1", "@a", "a=b", "\tx", "")] == ["'+1", "'@a", "a=b", "'\tx", ""]
