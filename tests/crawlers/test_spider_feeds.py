"""The RSS/Atom spider against the local fixture site: brand filter, encodings, Atom paging, incremental stop."""

from __future__ import annotations

from pathlib import Path

from crawlers.spiders.feeds import parse_feed
from tests.crawlers.conftest import stored, voclens_crawl
from tests.crawlers.site.catalog import atom_page, rss_feed


def test_parse_feed_reads_rss_in_its_declared_encoding_and_filters_by_brand():
    body = rss_feed(9, encoding="gb2312").encode("gb2312")
    page = parse_feed(body, "http://x/feed.xml", ["voltra"])
    assert [i.source_id for i in page.items] == [f"https://news.example.com/a/{i}" for i in (6, 3, 0)]
    first = page.items[0]
    assert first.brand == "voltra" and first.title == "Voltra 吸尘器：第6篇报道"
    assert "<p>" not in first.text and "Voltra 吸尘器" in first.text
    assert first.created_at == "2026-10-01T07:00:00+00:00"  # 15:00 +0800, as UTC
    assert len(parse_feed(body, "http://x/feed.xml", []).items) == 9


def test_crawl_follows_atom_paging_and_stops_at_known_entries(make_site, tmp_path: Path):
    pages = {
        "/news.xml": {"body": rss_feed(12, encoding="gb2312"), "encoding": "gb2312", "content_type": "application/rss+xml",
                      "declare_charset": False},
        "/blog/atom.xml": {"body": atom_page(range(6, 12), "/blog/atom-2.xml"), "content_type": "application/atom+xml"},
        "/blog/atom-2.xml": {"body": atom_page(range(0, 6), None), "content_type": "application/atom+xml"},
        "/broken.xml": {"body": "<rss><channel><item><title>Voltra", "content_type": "application/rss+xml"},
    }
    site = make_site({"pages": pages})
    urls = ",".join(site.url + p for p in ("/news.xml", "/blog/atom.xml", "/broken.xml"))
    data, args = tmp_path / "data", ["-a", f"urls={urls}", "-a", "brands=Voltra"]
    stats = voclens_crawl(data, "feeds", *args)
    assert stats["new"] == 4 + 12            # every third news item; all blog posts (two pages)
    assert stats["errors"]["page:malformed-xml"] == 2  # the page and its one retry
    docs = stored(data)
    post = docs["tag:blog.example.com,2026:11"]
    assert post.url == f"{site.url}/posts/11" and post.lang == "en" and post.author_hash
    assert "<b>" not in post.text
    news = docs["https://news.example.com/a/9"]
    assert news.brand == "Voltra" and news.created_at.isoformat() == "2026-10-01T10:00:00+00:00"

    pages["/blog/atom.xml"]["body"] = atom_page(range(7, 13), "/blog/atom-2.xml")  # one new post
    site.update({"pages": pages})
    site.reset()
    again = voclens_crawl(data, "feeds", "-a", f"urls={site.url}/blog/atom.xml", "-a", "brands=Voltra")
    assert again["new"] == 1 and again["incremental_stops"] == 1
    assert "/blog/atom-2.xml" not in site.requests()


def test_robots_txt_is_obeyed(make_site, tmp_path: Path):
    feed = {"body": atom_page(range(0, 3), None), "content_type": "application/atom+xml"}
    site = make_site({"pages": {"/private/feed.xml": feed, "/news.xml": {"body": rss_feed(3), "content_type": "application/rss+xml"}}})
    stats = voclens_crawl(tmp_path / "data", "feeds", "-a", f"urls={site.url}/news.xml,{site.url}/private/feed.xml")
    assert stats["robots_forbidden"] == 1 and stats["new"] == 3
    assert "/private/feed.xml" not in site.requests()


def test_atom_xhtml_content_and_rss_content_encoded_and_dc_creator_are_read():
    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><author><name>Site Team</name></author>'
            b'<entry><id>urn:1</id><title>Voltra V8 review</title><updated>2026-10-01T08:00:00Z</updated>'
            b'<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Strong <b>suction</b>, short battery.</p>'
            b'</div></content></entry></feed>')
    (entry,) = parse_feed(atom, "http://x/atom.xml", []).items
    assert (entry.text, entry.title, entry.author) == ("Strong suction, short battery.", "Voltra V8 review", "Site Team")
    rss = (b'<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
           b'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>c</title><item><title>V8 after a month</title>'
           b'<link>http://x/a</link><dc:creator>Ann Example</dc:creator><pubDate>Thu, 01 Oct 2026 08:00:00 +0000</pubDate>'
           b'<description>Short teaser</description><content:encoded><![CDATA[<p>The full review: it still works.</p>]]>'
           b'</content:encoded></item></channel></rss>')
    (item,) = parse_feed(rss, "http://x/rss", []).items
    assert (item.text, item.author, item.created_at) == (
        "The full review: it still works.", "Ann Example", "2026-10-01T08:00:00+00:00")
