"""robots.txt against several concurrent first requests to one site (the crawl that fetched /private/feed.xml).

Before ``crawlers.robots.RobotsTxtMiddleware``, only the first request that
waited for robots.txt was checked; the third and later start requests of a
site were let through. The fixture site logs every request it serves, so
"never fetched" is checked on the server side, not from crawl stats alone.
"""

from __future__ import annotations

from pathlib import Path

from tests.crawlers.conftest import voclens_crawl
from tests.crawlers.site.catalog import atom_page, rss_feed


def test_disallowed_feeds_are_never_fetched_among_many_first_requests(make_site, tmp_path: Path):
    feed = {"body": atom_page(range(0, 3), None), "content_type": "application/atom+xml"}
    pages = {f"/news{i}.xml": {"body": rss_feed(3, offset=10 * i), "content_type": "application/rss+xml"}
             for i in range(4)}
    private = ["/private/feed.xml", "/private/a.xml", "/private/b.xml"]
    pages.update({p: feed for p in private})
    site = make_site({"pages": pages})
    # disallowed URLs last and in the middle: every one of them waits for robots.txt
    order = ["/news0.xml", "/news1.xml", "/private/a.xml", "/news2.xml", "/news3.xml", "/private/b.xml",
             "/private/feed.xml"]
    stats = voclens_crawl(tmp_path / "data", "feeds", "-a", "urls=" + ",".join(site.url + p for p in order),
                          "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16")
    fetched = site.requests()
    assert not [p for p in fetched if p.startswith("/private/")], fetched
    assert stats["robots_forbidden"] == 3
    assert stats["new"] == 4 * 3
    assert fetched.count("/robots.txt") == 1


def feeds_site(make_site, robots: dict):
    pages = {"/news.xml": {"body": rss_feed(3), "content_type": "application/rss+xml"},
             "/private/feed.xml": {"body": atom_page(range(0, 3), None), "content_type": "application/atom+xml"}}
    return make_site({"pages": pages, "robots": robots})


def test_robots_txt_error_then_ok_is_retried_and_obeyed(make_site, tmp_path: Path):
    site = feeds_site(make_site, {"behaviour": {"0": [503]}})
    stats = voclens_crawl(tmp_path / "data", "feeds", "-a", f"urls={site.url}/news.xml,{site.url}/private/feed.xml")
    fetched = site.requests()
    assert fetched.count("/robots.txt") == 2 and "/private/feed.xml" not in fetched
    assert (stats["new"], stats["robots_forbidden"]) == (3, 1)


def test_unavailable_robots_txt_means_nothing_is_fetched(make_site, tmp_path: Path):
    """RFC 9309: a robots.txt that keeps failing (5xx after the retries) is a complete disallow.

    The crawl then got nothing, so it fails its health checks instead of "finishing" (crawlers/health.py).
    """
    site = feeds_site(make_site, {"behaviour": {"0": [503] * 10}})
    stats = voclens_crawl(tmp_path / "data", "feeds", "-a", f"urls={site.url}/news.xml,{site.url}/private/feed.xml",
                          "-s", "RETRY_TIMES=1", expect_rc=1)
    assert set(site.requests()) == {"/robots.txt"}
    assert (stats["new"], stats["robots_forbidden"]) == (0, 2)
    assert stats["finish_reason"] == "failed: 100% of requests failed (2 of 2, threshold 50%)"


def test_missing_robots_txt_allows_everything(make_site, tmp_path: Path):
    site = feeds_site(make_site, {"behaviour": {"0": [404] * 10}})
    stats = voclens_crawl(tmp_path / "data", "feeds", "-a", f"urls={site.url}/news.xml,{site.url}/private/feed.xml")
    assert "/private/feed.xml" in site.requests() and stats["new"] == 6
