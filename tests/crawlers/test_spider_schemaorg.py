"""The generic schema.org spider: the pure parser on every markup shape, and real crawls of the fixture site."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx

import pytest

from crawlers.errors import PageError
from crawlers.spiders.schemaorg import parse_review_page, source_for
from index.document import Document
from tests.crawlers.conftest import stored, voclens_crawl
from tests.crawlers.site.schemaorg import product_page, product_pages, web_review, web_reviews

URL = "https://shop.example.com/p/v8.html"
SALT = "installation-salt-one"


def parse(html: str, **kwargs):
    kwargs.setdefault("salt", SALT)
    return parse_review_page(html.encode("utf-8"), URL, content_type="text/html; charset=utf-8", **kwargs)


def test_jsonld_product_with_reviews():
    reviews = [web_review(1, "a", 1), web_review(2, "a", 2, rating=None)]
    page = parse(product_page("Voltra V8", "v8", reviews, next_href="reviews-2.html"))
    assert page.next_url == "https://shop.example.com/p/reviews-2.html"
    assert page.aggregate == {"value": 4.2, "count": 57, "best": 5.0}
    first, second = page.items
    assert (first.source, first.scope, first.url) == ("web:shop.example.com", f"web:{URL}", URL)
    assert (first.author, first.created_at, first.rating, first.rating_scale) == ("Shopper 1", "2026-10-02", 2.0, 5.0)
    assert first.text == reviews[0]["text"] and first.title == "Review 1"
    assert (first.product_name, first.product_id, first.brand) == ("Voltra V8", "V8", "Voltra")
    assert first.meta["markup"] == "json-ld" and first.meta["aggregate_rating"]["count"] == 57
    assert second.rating is None  # no reviewRating: stored without a rating


def test_graph_resolves_references_and_rating_scales():
    page = parse(product_page("Voltra G", "g1", [web_review(3, "g", 3), web_review(4, "g", 4)], shape="graph"))
    by_author = {i.author: i for i in page.items}
    assert set(by_author) == {"Shopper 3", "Shopper 4"}              # Person nodes found by @id
    assert (by_author["Shopper 4"].rating, by_author["Shopper 4"].rating_scale) == (10.0, 10.0)  # 5/5 on a 0-10 scale
    assert by_author["Shopper 3"].product_name == "Voltra G"         # itemReviewed -> #product


def test_microdata_only_with_nested_author_and_rating():
    page = parse(product_page("Voltra M", "m1", [web_review(5, "m", 5)], shape="microdata"))
    [item] = page.items
    assert (item.author, item.title, item.created_at, item.rating) == ("Shopper 5", "Review 5", "2026-10-06", 1.0)
    assert item.product_name == "Voltra M" and item.product_id == "M1" and item.meta["markup"] == "microdata"


def test_both_markups_give_each_review_once():
    reviews = [web_review(i, "b", i) for i in range(3)]
    page = parse(product_page("Voltra B", "b1", reviews, shape="both"))
    assert len(page.items) == 3 and {i.meta["markup"] for i in page.items} == {"json-ld"}


def test_no_markup_is_an_empty_page_not_an_error():
    page = parse(product_page("Plain", "p", [web_review(1, "p", 1)], shape="none"))
    assert page.items == [] and page.problems == [] and page.next_url is None


def test_malformed_jsonld_is_counted_and_the_rest_still_read():
    broken = '<script type="application/ld+json">{"@type": "Review", "reviewBody": "trunc</script>'
    page = parse(product_page("Voltra X", "x", [web_review(1, "x", 1)], shape="microdata", extra_head=broken))
    assert len(page.items) == 1 and page.problems == ["malformed-jsonld"]
    with pytest.raises(PageError) as exc:
        parse(product_page("Voltra X", "x", [], shape="none", extra_head=broken))
    assert exc.value.kind == "malformed-jsonld" and "JSON-LD block 1" in str(exc.value)


def test_gbk_page_declared_only_by_meta_charset():
    html = product_page("小米吸尘器", "zh", [web_review(1, "zh", 1, zh=True)], charset="gbk")
    page = parse_review_page(html.encode("gbk"), URL, content_type="text/html", salt=SALT)
    [item] = page.items
    assert page.encoding in ("gbk", "gb18030") and item.author == "买家 1" and "购买" in item.text


def test_author_strings_comments_arrays_and_own_ids():
    blocks = [
        {"@type": "Review", "@id": "#r1", "author": "Ann", "reviewBody": "Good &amp; <b>solid</b>",
         "datePublished": "2026-10-01T08:00:00+02:00", "reviewRating": {"ratingValue": "4,5"}},
        {"@type": ["Thing", "schema:Review"], "url": "/reviews/r2", "author": [{"name": "Bo"}], "reviewBody": "Fine",
         "reviewRating": {"ratingValue": 7, "bestRating": 10, "worstRating": 2}},
    ]
    script = f'<script type="application/ld+json">\n<!--\n{json.dumps(blocks)}\n-->\n</script>'
    page = parse(f"<html><head>{script}</head><body></body></html>")
    a, b = page.items
    assert (a.source_id, a.author, a.text, a.rating) == (URL + "#r1", "Ann", "Good & solid", 4.5)
    assert (b.source_id, b.author) == ("https://shop.example.com/reviews/r2", "Bo")
    assert (b.rating, b.rating_scale, b.meta["rating_scale"]) == (3.5, 5.0, [2.0, 10.0])  # 7 on 2..10 -> 1..5


def test_source_ids_are_stable_across_pages_and_fit_the_document_model():
    review = web_review(1, "s", 1)
    one = parse(product_page("S", "s", [review]), product_url=URL).items[0]
    moved = parse_review_page(product_page("S", "s", [web_review(2, "s", 2), review]).encode(), URL + "?page=2",
                              product_url=URL, salt=SALT).items[1]
    assert one.source_id == moved.source_id and one.source_id.startswith("h:")
    assert source_for("https://Bücher.example:8443/x") == "web:xn--bcher-kva.example"
    Document(source=one.source, source_id=one.source_id, text="x", created_at="2026-10-01T00:00:00Z")


def unsalted_id(product_url: str, item) -> str:
    """The hash this spider once gave reviews without an id: anyone holding the page could recompute it."""
    key = "\x1f".join([product_url, item.author or "", item.created_at or "", item.text or ""])
    return hashlib.sha256(key.encode()).hexdigest()


def assert_not_unsalted(source_id: str, plain: str) -> None:
    assert source_id.startswith("h:") and source_id != "h:" + plain[:32]
    assert plain[:32] not in source_id and plain[:16] not in source_id and source_id[2:] not in plain


def test_a_review_without_an_id_gets_an_id_keyed_with_the_installation_salt():
    page = product_page("S", "s", [web_review(1, "s", 1), web_review(2, "s", 2, author="Jane Roe")])
    first, again, other = (parse(page, product_url=URL, salt=salt).items for salt in (SALT, SALT, "another-installation"))
    assert len(first) == 2 and first[0].source_id != first[1].source_id
    for item, same, elsewhere in zip(first, again, other, strict=True):
        assert_not_unsalted(item.source_id, unsalted_id(URL, item))
        assert same.source_id == item.source_id            # same installation: a re-crawl updates
        assert elsewhere.source_id != item.source_id       # another salt: another id


def test_crawls_key_fallback_ids_with_the_configured_salt(make_site, tmp_path: Path):
    site = make_site({"pages": product_pages("k", web_reviews("k", 4))})
    url = f"{site.url}/shop/k/reviews.html"
    args = ("-a", f"urls={url}", "-a", "incremental=false")
    one, two = {"VOCLENS_AUTHOR_SALT": "installation-one-salt"}, {"VOCLENS_AUTHOR_SALT": "installation-two-salt"}
    assert voclens_crawl(tmp_path / "a", "schemaorg", *args, env=one)["new"] == 4
    first = stored(tmp_path / "a")
    again = voclens_crawl(tmp_path / "a", "schemaorg", *args, env=one)
    assert (again.get("new", 0), again["updated"]) == (0, 4) and stored(tmp_path / "a").keys() == first.keys()
    assert voclens_crawl(tmp_path / "b", "schemaorg", *args, env=two)["new"] == 4
    assert not first.keys() & stored(tmp_path / "b").keys()
    items = parse_review_page(httpx.get(url, timeout=10).content, url, content_type="text/html", salt="x").items
    plain = sorted(unsalted_id(url, item) for item in items)
    assert len(plain) == 4
    for doc in first.values():
        for p in plain:
            assert_not_unsalted(doc.source_id, p)
            assert p[:16] not in doc.id


def test_crawl_reads_every_shape_follows_pages_and_stops_at_known_reviews(make_site, tmp_path: Path):
    jsonld = web_reviews("v8", 25)
    missing = [web_review(0, "m", 0), web_review(1, "m", 1, text=None, title=None, rating=None),
               web_review(2, "m", 2, date=None), web_review(3, "m", 3, author=None, rating=None),
               web_review(4, "m", 4, text=None, title=None)]                   # stars only: kept as a rating
    pages = {
        **product_pages("v8", jsonld),                                                  # 3 pages, rel=next
        **product_pages("g1", web_reviews("g1", 4), shape="graph"),
        **product_pages("m1", missing, shape="microdata"),
        **product_pages("zh", web_reviews("zh", 3, zh=True), encoding="gbk", declare_charset=False),
        **product_pages("more", web_reviews("more", 12), per_page=5, shape="both", next="more"),  # 3 pages
        **product_pages("plain", web_reviews("plain", 2), shape="none"),
    }
    site = make_site({"pages": pages})
    url_file = tmp_path / "urls.txt"
    url_file.write_text(f"# products\n{site.url}/shop/g1/reviews.html\n\n{site.url}/shop/zh/reviews.html\n")
    urls = ",".join(f"{site.url}/shop/{s}/reviews.html" for s in ("v8", "m1", "more", "plain"))
    data, args = tmp_path / "data", ["-a", f"urls={urls}", "-a", f"url_file={url_file}",
                                     "-a", "next_selector=a.more-reviews"]
    stats = voclens_crawl(data, "schemaorg", *args)
    assert stats["finish_reason"] == "finished"
    assert stats["new"] == 25 + 4 + 3 + 3 + 12
    assert stats["invalid_by_field"] == {"text": 1, "created_at": 1}
    assert stats["errors"]["page:no-reviews"] == 1
    fetched = site.requests()
    assert sorted(p for p in fetched if p.startswith("/shop/v8/")) == [
        "/shop/v8/reviews-2.html", "/shop/v8/reviews-3.html", "/shop/v8/reviews.html"]
    assert len([p for p in fetched if p.startswith("/shop/more/")]) == 3
    docs = list(stored(data).values())
    assert len(docs) == stats["new"]
    by_source = {d.source for d in docs}
    assert by_source == {"web:127.0.0.1"}
    zh = [d for d in docs if d.product_id == "ZH"]
    assert len(zh) == 3 and all("购买" in d.text and d.lang == "zh" for d in zh)   # GBK via <meta charset>
    g1 = [d for d in docs if d.product_id == "G1"]
    assert sorted(d.rating for d in g1) == [1.0, 2.0, 3.0, 4.0] and all(d.author_hash for d in g1)
    anonymous = [d for d in docs if d.product_id == "M1" and d.author_hash is None]
    assert len(anonymous) == 1 and anonymous[0].rating is None

    site.update({"pages": {**pages, **product_pages("v8", jsonld + web_reviews("v8", 2, offset=40))}})
    site.reset()
    again = voclens_crawl(data, "schemaorg", "-a", f"urls={site.url}/shop/v8/reviews.html")
    assert again["new"] == 2 and again["incremental_stops"] == 1
    assert [p for p in site.requests() if p.startswith("/shop/")] == ["/shop/v8/reviews.html"]
    site.reset()
    unsorted = voclens_crawl(data, "schemaorg", "-a", f"urls={site.url}/shop/v8/reviews.html", "-a", "newest_first=false")
    assert unsorted["new"] == 0 and len([p for p in site.requests() if p.startswith("/shop/v8/")]) == 3


def test_next_page_by_selector_attribute_or_rel_next():
    from parsel import Selector

    from crawlers.spiders.schemaorg import next_page

    sel = Selector(text='<link rel="prev next" href="/p?page=3"><a class="more" href="?page=9">more</a>'
                        '<button data-url="/p/b">x</button>')
    assert next_page(sel, URL, None) == "https://shop.example.com/p?page=3"
    assert next_page(sel, URL, "a.more") == "https://shop.example.com/p/v8.html?page=9"
    assert next_page(sel, URL, "button::attr(data-url)") == "https://shop.example.com/p/b"
    assert next_page(sel, URL, "a.missing") == "https://shop.example.com/p?page=3"   # falls back to rel=next
    assert next_page(Selector(text="<p>last page</p>"), URL, None) is None


def test_bad_url_file_line_is_named(make_site, tmp_path: Path):
    url_file = tmp_path / "urls.txt"
    url_file.write_text("https://a.example/p\nftp://b.example/p\n")
    out = voclens_crawl(tmp_path / "data", "schemaorg", "-a", f"url_file={url_file}", expect_rc=1)
    assert f"url_file {url_file} line 2: not an http(s) URL: 'ftp://b.example/p'" in out["stderr"]


def test_list_describes_the_generic_spider(tmp_path: Path):
    import subprocess
    import sys

    from tests.crawlers.conftest import ROOT, crawl_env

    proc = subprocess.run([sys.executable, "-m", "api.cli", "crawl", "--list"], cwd=ROOT, env=crawl_env(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "schemaorg: Any product page with schema.org Review markup" in proc.stdout
    assert "-a url_file=...  (Path, default None)" in proc.stdout
    assert "-a next_selector=...  (str, default None) CSS selector of the next-page link" in proc.stdout
