"""The JD spider against the local fixture site: items, pagination, encodings, incremental stop."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers.errors import PageError
from crawlers.spiders.jd import parse_comments
from nlp.privacy import hash_author
from tests.crawlers.conftest import stored, voclens_crawl
from tests.crawlers.site.catalog import jd_edge_product, jd_product


def test_parse_comments_reads_json_and_jsonp():
    body = '{"comments": [{"id": 7, "content": "好", "creationTime": "2026-11-18 14:05:00", "score": 4, ' \
           '"nickname": "a***b", "productColor": "黑色"}], "maxPage": 3}'
    for text in (body, f"fetchJSON_comment98({body});"):
        page = parse_comments(text, "42")
        assert page.max_page == 3
        [item] = page.items
        assert (item.source_id, item.rating, item.tz, item.scope) == ("7", 4, "Asia/Shanghai", "jd:42")
        assert item.meta == {"variant": {"color": "黑色"}}


@pytest.mark.parametrize(("body", "kind"), [
    ('{"comments": [{"id": 1, "content": "trunc', "malformed-json"),
    ("<html><body>验证码</body></html>", "blocked"),
    ('{"maxPage": 1}', "unexpected-json"),
])
def test_parse_comments_names_what_is_wrong(body, kind):
    with pytest.raises(PageError) as exc:
        parse_comments(body, "1")
    assert exc.value.kind == kind


def test_crawl_stores_every_valid_review_across_pages_and_encodings(make_site, tmp_path: Path):
    edge, expect = jd_edge_product("200002")
    site = make_site({"jd": {
        "100001": jd_product("100001", 25),                                          # 3 pages
        "200002": edge,                                                              # broken records
        "300003": {**jd_product("300003", 12), "encoding": "gbk", "jsonp": True},    # GBK JSONP, 2 pages
    }})
    data = tmp_path / "data"
    stats = voclens_crawl(data, "jd", "-a", "products=100001,200002,300003", "-a", f"base_url={site.url}",
                          "-a", "brand=Xiaomi")
    assert stats["finish_reason"] == "finished"
    assert stats["new"] == 25 + expect["valid"] + 12
    assert stats["invalid"] == expect["invalid"]
    assert stats["invalid_by_field"] == expect["invalid_fields"]
    assert stats["duplicates_near"] == expect["near"]
    pages = [p for p in site.requests() if p.startswith("/comment/")]
    assert sorted(p for p in pages if "productId=100001" in p) == sorted(
        f"/comment/productPageComments.action?productId=100001&score=0&sortType=6&page={n}&pageSize=10"
        for n in range(3))
    docs = stored(data)
    assert len(docs) == stats["new"]
    gbk = docs["300003005"]
    assert "购买" in gbk.text and gbk.product_name == "小米13 300003"    # GBK decoded
    first = docs["100001000"]
    assert first.brand == "Xiaomi" and first.product_id == "100001" and first.rating == 1.0
    assert first.created_at.isoformat() == "2026-10-01T01:00:00+00:00"  # 09:00 Beijing time
    assert first.meta["variant"] == {"color": "黑色", "size": "128GB"}
    assert first.author_hash and "j***" not in first.model_dump_json()
    assert first.sentiment is not None and first.lang == "zh"
    pii = docs["200002001"]
    assert "13812345678" not in pii.text and "shop@example.com" not in pii.text
    # newest first: the spam copy crawled first is the original, the other one points at it
    assert docs["200002002"].meta["duplicate_of"] == docs["200002003"].id
    assert "duplicate_of" not in docs["200002003"].meta


def test_second_crawl_stops_paging_at_known_reviews(make_site, tmp_path: Path):
    site = make_site({"jd": {"100001": jd_product("100001", 25)}})
    data, args = tmp_path / "data", ["-a", "products=100001", "-a", f"base_url={site.url}"]
    assert voclens_crawl(data, "jd", *args)["new"] == 25
    product = jd_product("100001", 25)
    product["comments"] += jd_product("100001", 3, offset=25)["comments"]  # three newer reviews
    site.update({"jd": {"100001": product}})
    site.reset()
    stats = voclens_crawl(data, "jd", *args)
    # the newest known review sits exactly at the watermark and is re-checked (an update); older ones are not
    assert (stats["new"], stats["updated"], stats["incremental_stops"]) == (3, 1, 1)
    assert [p for p in site.requests() if p.startswith("/comment/")] == [
        "/comment/productPageComments.action?productId=100001&score=0&sortType=6&page=0&pageSize=10"]
    assert len(stored(data)) == 28
    full = voclens_crawl(data, "jd", *args, "-a", "incremental=false")
    assert (full["new"], full["updated"]) == (0, 28)


def test_since_bounds_the_crawl(make_site, tmp_path: Path):
    site = make_site({"jd": {"100001": jd_product("100001", 25)}})
    # review i was written at 2026-10-01 09:00 Beijing (01:00 UTC) + i hours: since 21:00 UTC keeps i = 20..24
    stats = voclens_crawl(tmp_path / "data", "jd", "-a", "products=100001", "-a", f"base_url={site.url}",
                          "-a", "since=2026-10-01T21:00:00+00:00")
    assert stats["new"] == 5
    assert len([p for p in site.requests() if p.startswith("/comment/")]) == 1


def test_bad_arguments_stop_before_any_request(make_site, tmp_path: Path):
    site = make_site({"jd": {}})
    out = voclens_crawl(tmp_path / "data", "jd", "-a", "products=12,abc", "-a", f"base_url={site.url}",
                        "-a", "colour=red", expect_rc=1)
    assert "products: Value error, JD product ids are numbers; got abc" in out["stderr"]
    assert "colour: unknown argument" in out["stderr"]
    assert site.requests() == []


def _with_follow_ups(product: dict) -> dict:
    """Follow-ups (追评) in the shape JD answers with: ``afterUserComment.created`` and ``.hAfterUserComment.content``.

    The shape is the one of a real 2017 answer (``captures/jd/4183290-2017-08.json``, tested in
    ``test_real_captures.py``); the fixture site writes follow-ups into generated comments for what that
    capture does not show: the older flat shape without a date, an empty follow-up, a crawl that re-reads one.
    """
    first, second, third = product["comments"][:3]
    first.update(afterDays=6, afterUserComment={
        "id": 38334463, "created": "2026-10-08 20:15:00", "anonymous": 1,
        "hAfterUserComment": {"id": 38334463, "content": "用了一周，电池开始掉得快了，有点失望"}})
    second["afterUserComment"] = {"content": "追评：还行"}                               # older flat shape, no date
    third["afterUserComment"] = {"created": "2026-10-09 08:00:00", "hAfterUserComment": {"content": " "}}  # empty
    return product


def test_parse_follow_up_is_its_own_review_with_its_own_date():
    product = _with_follow_ups(jd_product("100001", 3))
    page = parse_comments(json.dumps(product, ensure_ascii=False), "100001", "https://item.jd.com/100001.html")
    assert [i.source_id for i in page.items] == ["100001000", "100001000:after", "100001001", "100001002"]
    first, after, second, third = page.items
    assert (after.text, after.created_at, after.tz, after.rating) == (
        "用了一周，电池开始掉得快了，有点失望", "2026-10-08 20:15:00", "Asia/Shanghai", None)
    assert after.author == first.author == "j***0" and after.product_name == first.product_name
    assert after.meta == {"follow_up_of": "100001000", "after_days": 6, "variant": {"color": "黑色", "size": "128GB"}}
    assert first.meta["follow_up_id"] == "100001000:after" and "follow_up" not in first.meta
    # no date of its own: the text stays on the first review; an empty follow-up is nothing
    assert second.meta["follow_up"] == "追评：还行" and "follow_up_id" not in second.meta
    assert "follow_up" not in third.meta and "follow_up_id" not in third.meta


def test_crawl_stores_follow_ups_as_separate_documents(make_site, tmp_path: Path):
    site = make_site({"jd": {"100001": _with_follow_ups(jd_product("100001", 3))}})
    data, args = tmp_path / "data", ["-a", "products=100001", "-a", f"base_url={site.url}"]
    stats = voclens_crawl(data, "jd", *args, env={"VOCLENS_AUTHOR_SALT": "jd-follow-up-salt"})
    assert (stats["new"], stats["invalid"]) == (4, 0)
    docs = stored(data)
    after, first = docs["100001000:after"], docs["100001000"]
    assert after.created_at == datetime(2026, 10, 8, 12, 15, tzinfo=UTC)        # 20:15 Beijing time
    assert after.rating is None and after.text.startswith("用了一周")
    assert after.author_hash == first.author_hash == hash_author("jd", "j***0", "jd-follow-up-salt")
    assert after.id != first.id and after.meta["follow_up_of"] == "100001000"
    again = voclens_crawl(data, "jd", *args, "-a", "incremental=false", env={"VOCLENS_AUTHOR_SALT": "jd-follow-up-salt"})
    assert (again["new"], again["updated"]) == (0, 4)                          # stable ids: updates, not copies
