"""The Amazon spider against the local fixture site: HTML reviews, pagination, block pages, incremental stop."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.errors import PageError
from crawlers.spiders.amazon import parse_reviews
from tests.crawlers.conftest import stored, voclens_crawl
from tests.crawlers.site.catalog import amazon_product, amazon_review
from tests.crawlers.site.server import BLOCKED_HTML, amazon_html

ASIN = "B0TEST0001"


def test_parse_reviews_reads_every_field():
    html = amazon_html(ASIN, amazon_product(ASIN, 12), 1, 10)
    page = parse_reviews(html, ASIN, f"http://x/product-reviews/{ASIN}/?pageNumber=1")
    assert len(page.items) == 10 and page.next_url.endswith("pageNumber=2")
    newest = page.items[0]  # review 11: 12 days after 2026-10-01
    assert newest.source_id == "R0001000011" and newest.created_at == "2026-10-12"
    assert (newest.rating, newest.rating_scale) == (2.0, 5.0)
    assert newest.title.startswith("Review 11:") and newest.author == "Customer 11"
    assert newest.meta == {"verified_purchase": True, "helpful_votes": 9, "country": "United States",
                           "variant": "Color: Silver"}
    last = parse_reviews(amazon_html(ASIN, amazon_product(ASIN, 12), 2, 10), ASIN, "http://x/")
    assert len(last.items) == 2 and last.next_url is None


@pytest.mark.parametrize(("html", "kind"), [(BLOCKED_HTML, "blocked"), ("<html><body>oops</body></html>", "unexpected-html")])
def test_parse_reviews_recognises_pages_without_reviews(html, kind):
    with pytest.raises(PageError) as exc:
        parse_reviews(html, ASIN, "http://x/")
    assert exc.value.kind == kind


def test_crawl_follows_pages_handles_a_block_page_and_stops_at_known_reviews(make_site, tmp_path: Path):
    product = amazon_product(ASIN, 23, behaviour={"2": ["blocked"]})
    product["reviews"] += [
        amazon_review(90, ASIN, 40, body=None, title=None),           # stars only: kept as a rating
        amazon_review(91, ASIN, 41, stars=None, date="Reviewed in the United States on Smarch 40, 2026"),
    ]
    site = make_site({"amazon": {ASIN: product}})
    data, args = tmp_path / "data", ["-a", f"asins={ASIN}", "-a", f"base_url={site.url}", "-a", "brand=Voltra"]
    stats = voclens_crawl(data, "amazon", *args)
    assert stats["new"] == 24 and stats["invalid"] == 1
    assert stats["invalid_by_field"] == {"created_at": 1}
    assert stats["errors"]["page:blocked"] == 1
    pages = [p for p in site.requests() if p.startswith("/product-reviews/")]
    assert sorted(pages) == sorted([f"/product-reviews/{ASIN}/?sortBy=recent&pageNumber={n}" for n in (1, 2, 2, 3)])
    docs = stored(data)
    doc = docs["R0001000007"]
    assert doc.rating == 3.0 and doc.title and doc.lang == "en" and doc.brand == "Voltra"
    assert doc.meta["verified_purchase"] is True and doc.meta["helpful_votes"] == 9
    assert doc.url.endswith("/gp/customer-reviews/R0001000007")
    stars_only = docs["R0001000090"]
    assert (stars_only.text, stars_only.title, stars_only.rating, stars_only.meta["rating_only"]) == ("", None, 1.0, True)

    product["reviews"] += amazon_product(ASIN, 2, offset=50)["reviews"]  # two newer reviews
    product.pop("behaviour")
    site.update({"amazon": {ASIN: product}})
    site.reset()
    again = voclens_crawl(data, "amazon", *args)
    assert again["new"] == 2 and again["incremental_stops"] == 1
    assert [p for p in site.requests() if p.startswith("/product-reviews/")] == [
        f"/product-reviews/{ASIN}/?sortBy=recent&pageNumber=1"]
