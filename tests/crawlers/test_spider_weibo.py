"""The Weibo spider against the local fixture site: card layouts, HTML text, ok: 0 end, incremental stop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawlers.errors import PageError
from crawlers.spiders.weibo import parse_search, weibo_text
from tests.crawlers.conftest import stored, voclens_crawl
from tests.crawlers.site.social import weibo_answer, weibo_edge, weibo_post, weibo_search


def test_parse_search_reads_posts_in_cards_and_card_groups():
    page = parse_search(json.dumps(weibo_answer(weibo_search("小米13", 3), 1), ensure_ascii=True), "小米13", "Xiaomi")
    assert [i.source_id for i in page.items] == [weibo_post(i, "小米13", 0)["id"] for i in (2, 1, 0)]
    first = page.items[0]
    assert first.created_at == "2026-10-01T11:00:00+08:00" and first.tz == "Asia/Shanghai"
    assert first.text.startswith("@小米之家 小米13") and "[doge]" in first.text and "<" not in first.text
    assert first.text.endswith("\n#小米13#")
    assert first.author == "微博用户2" and first.scope == "weibo:小米13" and first.channel == "social"
    assert first.meta == {"keyword": "小米13", "reposts": 2, "comments": 2, "likes": 6}
    assert first.author_id == "5000002"  # hashed by the pipeline, never in meta
    assert not page.last
    assert parse_search('{"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}}', "x").last


@pytest.mark.parametrize(("body", "kind"), [
    ("<html><head><title>登录 - 新浪微博</title></head></html>", "blocked"),
    ('{"ok": 1, "data": {"cards": [{"mblog": {"id": 1, "te', "malformed-json"),
    ('{"ok": 1, "data": {}}', "unexpected-json"),
])
def test_parse_search_names_what_is_wrong(body, kind):
    with pytest.raises(PageError) as exc:
        parse_search(body, "x")
    assert exc.value.kind == kind


def test_weibo_text_keeps_emoji_alt_and_line_breaks():
    assert weibo_text("好用<img alt=[赞] src='a.png'><br/>第二行 &amp; <a href='/n/x'>@x</a>") == "好用[赞]\n第二行 & @x"
    assert weibo_text("<img src='a.png'>") is None


def test_crawl_pages_to_ok_0_keeps_valid_posts_and_stops_at_known_ones(make_site, tmp_path: Path):
    edge, expect = weibo_edge("扫地机")
    site = make_site({"weibo": {
        "小米13": weibo_search("小米13", 25, behaviour={"2": [503], "1": ["blocked"]}),  # 3 pages, then ok: 0
        "扫地机": edge,                                                                   # \u-escaped JSON, gaps
    }})
    data, args = tmp_path / "data", ["-a", "keywords=小米13,扫地机", "-a", f"base_url={site.url}", "-a", "brand=Xiaomi"]
    stats = voclens_crawl(data, "weibo", *args)
    assert stats["finish_reason"] == "finished"
    assert stats["new"] == 25 + expect["valid"]
    assert (stats["invalid"], stats["invalid_by_field"]) == (expect["invalid"], expect["invalid_fields"])
    assert stats["errors"]["page:blocked"] == 1 and stats["errors"]["retried:503"] == 1
    pages = [p for p in site.requests() if p.startswith("/api/container/getIndex") and "%E5%B0%8F%E7%B1%B313" in p]
    assert sorted(p.rsplit("page=", 1)[1] for p in pages) == ["1", "1", "2", "2", "3", "4"]  # blocked, 503 retried
    assert "containerid=100103type%3D61%26q%3D" in pages[0]
    docs = stored(data)
    post = docs[weibo_post(24, "小米13", 0)["id"]]
    assert post.brand == "Xiaomi" and post.channel == "social" and post.author_hash and "微博用户" not in post.model_dump_json()
    assert post.created_at.isoformat() == "2026-10-02T01:00:00+00:00"   # Fri Oct 02 09:00 +0800
    assert post.meta["likes"] == 72 and post.meta["truncated"] is True and post.meta["keyword"] == "小米13"
    assert docs[weibo_post(1, "扫地机", 0)["id"]].meta["repost_of"] == "4800000000000001"
    assert docs[weibo_post(103, "扫地机", 0)["id"]].author_hash is None

    search = weibo_search("小米13", 25)
    search["posts"] += weibo_search("小米13", 3, offset=25)["posts"]  # three newer posts
    site.update({"weibo": {"小米13": search}})
    site.reset()
    again = voclens_crawl(data, "weibo", "-a", "keywords=小米13", "-a", f"base_url={site.url}")
    # the newest known post sits exactly at the watermark and is re-checked (an update); older ones are not
    assert (again["new"], again["updated"], again["incremental_stops"]) == (3, 1, 1)
    assert len([p for p in site.requests() if p.startswith("/api/")]) == 1


def test_since_bounds_the_crawl(make_site, tmp_path: Path):
    site = make_site({"weibo": {"小米13": weibo_search("小米13", 25)}})
    # post i: 2026-10-01 09:00 Beijing (01:00 UTC) + i hours; since 21:00 UTC keeps i = 20..24
    stats = voclens_crawl(tmp_path / "data", "weibo", "-a", "keywords=小米13", "-a", f"base_url={site.url}",
                          "-a", "since=2026-10-01T21:00:00+00:00")
    assert stats["new"] == 5
    assert len([p for p in site.requests() if p.startswith("/api/")]) == 1


def test_mixed_order_pages_to_the_end_without_incremental_stops(make_site, tmp_path: Path):
    site = make_site({"weibo": {"小米13": weibo_search("小米13", 15)}})
    data, args = tmp_path / "data", ["-a", "keywords=小米13", "-a", f"base_url={site.url}", "-a", "order=mixed"]
    assert voclens_crawl(data, "weibo", *args)["new"] == 15
    site.reset()
    again = voclens_crawl(data, "weibo", *args)
    assert (again["new"], again["updated"], again["incremental_stops"]) == (0, 15, 0)
    pages = [p for p in site.requests() if p.startswith("/api/")]
    assert len(pages) == 3 and all("containerid=100103type%3D1%26q%3D" in p for p in pages)  # 2 pages, then ok: 0


def test_no_raw_user_id_or_handle_anywhere_in_the_stored_crawl(make_site, tmp_path: Path):
    uids = [7_312_345_600 + i for i in range(4)]
    posts = [weibo_post(i, "小米13", 60 * i, user={"id": uid, "screen_name": f"handle_{uid}"})
             for i, uid in enumerate(uids)]
    site = make_site({"weibo": {"小米13": {"posts": posts}}})
    data = tmp_path / "data"
    assert voclens_crawl(data, "weibo", "-a", "keywords=小米13", "-a", f"base_url={site.url}")["new"] == 4
    docs = stored(data)
    dumped = "".join(d.model_dump_json() for d in docs.values())
    for uid in uids:
        assert str(uid) not in dumped and f"handle_{uid}" not in dumped
    assert all("user_id" not in d.meta for d in docs.values())
    hashes = {d.author_hash for d in docs.values()}
    assert len(hashes) == 4 and all(h.startswith("a_") for h in hashes)
    for path in data.glob("voclens.db*"):  # the database file, its WAL and shared memory
        raw = path.read_bytes()
        for uid in uids:
            assert str(uid).encode() not in raw and f"handle_{uid}".encode() not in raw, path.name
