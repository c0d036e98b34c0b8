"""The Reddit spider against the local fixture site: search listings, after-cursors, comment trees, deleted authors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawlers.errors import PageError
from crawlers.spiders.reddit import parse_comments, parse_search
from tests.crawlers.conftest import stored, voclens_crawl
from tests.crawlers.site.social import reddit_comments_answer, reddit_post, reddit_search_answer, reddit_sub, reddit_thread


def test_parse_search_handles_deleted_authors_and_removed_texts():
    sub = reddit_sub("VacuumCleaners", "voltra", 3)
    sub["posts"][2]["data"].update(author="[deleted]", selftext="[removed]")
    page = parse_search(json.dumps(reddit_search_answer(sub, {"q": "voltra"})), "VacuumCleaners", "voltra")
    assert page.after is None
    item = page.posts[0].item
    assert item.source_id == "t3_vac0002" and item.author is None
    assert item.text == "Voltra V8: suction is strong on carpets? (2)" and item.title is None   # the title stands in
    assert item.meta["text_gone"] == "[removed]" and item.scope == "reddit:VacuumCleaners:voltra"
    assert item.url == "https://www.reddit.com/r/VacuumCleaners/comments/vac0002/voltra_v8_2/"
    kept = page.posts[1].item
    assert kept.title == "Voltra V8: the box was dented but the unit was fine? (1)" and kept.text.endswith("Q&A <3")
    assert kept.created_at == reddit_post(1, "VacuumCleaners", 1)["data"]["created_utc"]


def test_parse_comments_walks_the_tree_and_counts_what_is_gone():
    post, tree, expect = reddit_thread("Vacuums", 1, 5)
    sub = {"query": "q", "posts": [post], "comments": {post["data"]["name"]: tree}}
    page = parse_comments(json.dumps(reddit_comments_answer(sub, post["data"]["id"])), "reddit:Vacuums:q", "t3_vac0001")
    assert [(i.source_id, i.meta["depth"], i.author) for i in page.items] == [
        ("t1_Vacuums1a", 0, "commenter"), ("t1_Vacuums1b", 1, None), ("t1_Vacuums1d", 0, "commenter")]
    assert (len(page.items), page.gone, page.more) == (expect["comments"], expect["gone"], expect["more"])
    assert page.items[0].meta["post"] == "t3_vac0001"


@pytest.mark.parametrize(("body", "kind"), [
    ("<html><body>Too Many Requests</body></html>", "blocked"),
    ('[{"kind": "Listing", "data": {"children": [', "malformed-json"),
    ('{"kind": "Listing"}', "unexpected-json"),
])
def test_parse_comments_names_what_is_wrong(body, kind):
    with pytest.raises(PageError) as exc:
        parse_comments(body, "s", "t3_x")
    assert exc.value.kind == kind


def test_crawl_follows_after_cursors_and_comments_then_stops_at_known_posts(make_site, tmp_path: Path):
    sub = reddit_sub("VacuumCleaners", "voltra", 23, behaviour={"first": ["malformed"]})   # 3 pages of 10
    post, tree, expect = reddit_thread("VacuumCleaners", 30, 30)
    sub["posts"].append(post)
    sub["comments"][post["data"]["name"]] = tree
    site = make_site({"reddit": {"VacuumCleaners": sub, "Roomba": reddit_sub("Roomba", "voltra", 4)}})
    data, args = tmp_path / "data", ["-a", "subreddits=VacuumCleaners,r/Roomba", "-a", "query=voltra",
                                     "-a", f"base_url={site.url}", "-a", "brand=Voltra"]
    stats = voclens_crawl(data, "reddit", *args)
    assert stats["finish_reason"] == "finished"
    assert stats["new"] == 24 + expect["comments"] + 4
    assert stats["errors"]["page:malformed-json"] == 1
    searches = [p for p in site.requests() if "/VacuumCleaners/search.json" in p]
    assert len(searches) == 4 and "after=" not in searches[0] and "after=t3_vac0014" in searches[2]
    assert [p for p in site.requests() if "/comments/" in p] == [
        "/r/VacuumCleaners/comments/vac0030/voltra_v8_30.json?raw_json=1&sort=new&limit=500"]  # the only post with comments
    docs = stored(data)
    comment = docs["t1_VacuumCleaners30b"]
    assert comment.channel == "social" and comment.brand == "Voltra" and comment.author_hash is None
    assert comment.meta["post"] == "t3_vac0030" and comment.meta["depth"] == 1
    assert "[removed]" not in {d.text for d in docs.values()} and "[deleted]" not in {d.text for d in docs.values()}
    assert docs["t3_roo0003"].created_at.isoformat() == "2026-10-01T12:00:00+00:00"

    sub = reddit_sub("VacuumCleaners", "voltra", 23)
    sub["posts"] += reddit_sub("VacuumCleaners", "voltra", 2, offset=40)["posts"]
    site.update({"reddit": {"VacuumCleaners": sub, "Roomba": reddit_sub("Roomba", "voltra", 4)}})
    site.reset()
    again = voclens_crawl(data, "reddit", "-a", "subreddits=VacuumCleaners", "-a", "query=voltra", "-a", f"base_url={site.url}")
    assert (again["new"], again["incremental_stops"]) == (2, 1)
    assert len(site.requests()) == 2  # robots.txt and the first search page


def test_bad_arguments_stop_before_any_request(make_site, tmp_path: Path):
    site = make_site({"reddit": {}})
    out = voclens_crawl(tmp_path / "data", "reddit", "-a", "subreddits=ok,no/pe", "-a", f"base_url={site.url}", expect_rc=1)
    assert "subreddits: Value error, subreddit names are letters, digits and _; got no/pe" in out["stderr"]
    assert "query: required" in out["stderr"]
    assert site.requests() == []
