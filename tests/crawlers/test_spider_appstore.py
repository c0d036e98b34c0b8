"""The App Store spider against the local fixture site: label-wrapped entries, pages 1-10, lone entries, incremental stop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawlers.errors import PageError
from crawlers.spiders.appstore import parse_reviews
from tests.crawlers.conftest import stored, voclens_crawl
from tests.crawlers.site.social import appstore_answer, appstore_app, appstore_entry


def test_parse_reviews_skips_the_app_entry_and_reads_labels():
    page = parse_reviews(json.dumps(appstore_answer(appstore_app("1234", "us", 3), "1234", "us", 1)), "1234", "us")
    assert [i.source_id for i in page.items] == ["us:11000234002", "us:11000234001", "us:11000234000"]
    first = page.items[0]
    assert (first.rating, first.title, first.author, first.product_id) == ("3", "Review 2", "reviewer 2", "1234")
    assert first.created_at == "2026-10-01T04:00:00-07:00" and first.scope == "appstore:us:1234"
    assert first.meta == {"country": "us", "app_version": "3.2.0", "helpful_votes": 2, "votes": 2}
    assert not page.last


def test_parse_reviews_reads_a_lone_entry_and_ends_without_entries():
    lone = appstore_answer(appstore_app("1234", "gb", 11), "1234", "gb", 2)   # page 2 holds one review
    assert isinstance(lone["feed"]["entry"], dict)
    assert [i.source_id for i in parse_reviews(json.dumps(lone), "1234", "gb").items] == ["gb:11000234000"]
    assert parse_reviews(json.dumps(appstore_answer(appstore_app("1234", "gb", 11), "1234", "gb", 3)), "1234", "gb").last


@pytest.mark.parametrize(("body", "kind"), [
    ("<html><body>CustomerReviews RSS page depth is limited to 10</body></html>", "blocked"),
    ('{"feed": {"entry": [{"id": {"lab', "malformed-json"),
    ('{"errors": []}', "unexpected-json"),
])
def test_parse_reviews_names_what_is_wrong(body, kind):
    with pytest.raises(PageError) as exc:
        parse_reviews(body, "1", "us")
    assert exc.value.kind == kind


def test_crawl_pages_per_country_keeps_valid_reviews_and_stops_at_known_ones(make_site, tmp_path: Path):
    us = appstore_app("1234", "us", 25, behaviour={"2": [503]})                          # 3 pages, then no entry
    us["entries"] += [appstore_entry(90, "1234", "us", 90, content=None),                # title only: kept
                      appstore_entry(91, "1234", "us", 91, **{"im:rating": {"label": "7"}}),  # off the scale
                      appstore_entry(92, "1234", "us", 92, id=None)]                     # no id: skipped
    cn = appstore_app("1234", "cn", 10, no_charset=True)                                 # UTF-8, no charset, 1 page
    site = make_site({"appstore": {"us:1234": us, "cn:1234": cn}})
    data, args = tmp_path / "data", ["-a", "apps=id1234", "-a", "countries=US,cn", "-a", f"base_url={site.url}",
                                     "-a", "brand=Voltra"]
    stats = voclens_crawl(data, "appstore", *args)
    assert stats["finish_reason"] == "finished"
    assert stats["new"] == 25 + 1 + 10
    assert stats["invalid_by_field"] == {"rating": 1}
    pages = [p for p in site.requests() if "/us/rss/" in p]
    assert sorted(p.split("/")[4] for p in pages) == ["page=1", "page=2", "page=2", "page=3", "page=4"]
    docs = stored(data)
    review = docs["cn:11000234009"]
    assert "购买" in review.text and review.lang == "zh" and review.rating == 5.0 and review.product_id == "1234"
    assert review.meta["country"] == "cn" and review.brand == "Voltra" and review.author_hash
    assert docs["us:11000234000"].created_at.isoformat() == "2026-10-01T09:00:00+00:00"

    us = appstore_app("1234", "us", 25)
    us["entries"] += appstore_app("1234", "us", 2, offset=100)["entries"]
    site.update({"appstore": {"us:1234": us, "cn:1234": cn}})
    site.reset()
    again = voclens_crawl(data, "appstore", "-a", "apps=1234", "-a", f"base_url={site.url}")
    assert (again["new"], again["incremental_stops"]) == (2, 1)
    assert [p for p in site.requests() if "/rss/" in p] == ["/us/rss/customerreviews/page=1/id=1234/sortby=mostrecent/json"]


def test_pages_stop_at_ten(make_site, tmp_path: Path):
    site = make_site({"appstore": {"us:1": appstore_app("1", "us", 120)}})
    stats = voclens_crawl(tmp_path / "data", "appstore", "-a", "apps=1", "-a", f"base_url={site.url}")
    assert stats["new"] == 100 and len([p for p in site.requests() if "/rss/" in p]) == 10
