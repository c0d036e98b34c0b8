"""``scrapy check`` for real: every spider's contracts against the fixture site, in a subprocess.

The contracts live in the callbacks' docstrings (``@site``, ``@cb_kwargs``,
``@returns``, ``@scrapes``, ``@fills``); ``@site`` paths are joined to
``CONTRACT_SITE_URL``, here the fixture site's loopback address.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.crawlers.conftest import FAST, ROOT, crawl_env
from tests.crawlers.site.catalog import amazon_product, atom_page, jd_product
from tests.crawlers.site.schemaorg import product_pages, web_reviews

SPIDERS = ("amazon", "feeds", "jd", "schemaorg")


def contract_catalog() -> dict:
    return {
        "jd": {"100001": jd_product("100001", 25)},
        "amazon": {"B0TEST0001": amazon_product("B0TEST0001", 23)},
        "pages": {
            "/blog/atom.xml": {"body": atom_page(range(6, 12), "/blog/atom-2.xml"), "content_type": "application/atom+xml"},
            **product_pages("v8", web_reviews("v8", 25)),
        },
    }


def scrapy_check(site_url: str, data: Path, *spiders: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "scrapy", "check", *spiders, *FAST, "-s", f"CONTRACT_SITE_URL={site_url}"]
    env = crawl_env(data, SCRAPY_SETTINGS_MODULE="crawlers.settings")
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_every_spiders_contracts_pass_against_the_fixture_site(make_site, tmp_path: Path):
    site = make_site(contract_catalog())
    proc = scrapy_check(site.url, tmp_path / "data")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "OK" in proc.stderr
    fetched = site.requests()
    assert "/comment/productPageComments.action?productId=100001&score=0&sortType=6&page=0&pageSize=10" in fetched
    assert {"/product-reviews/B0TEST0001/?sortBy=recent&pageNumber=1", "/blog/atom.xml",
            "/shop/v8/reviews.html"} <= set(fetched)
    listed = subprocess.run([sys.executable, "-m", "scrapy", "check", "--list"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env=crawl_env(tmp_path / "data", SCRAPY_SETTINGS_MODULE="crawlers.settings"))
    for name in SPIDERS:
        assert name in listed.stdout


def test_a_broken_page_fails_its_contract(make_site, tmp_path: Path):
    catalog = contract_catalog()
    catalog["jd"]["100001"] = jd_product("100001", 4)                      # one short page: @returns items 10 10
    catalog["jd"]["100001"]["comments"][0]["content"] = ""                 # and an empty text: @fills text
    catalog["pages"].update(product_pages("v8", web_reviews("v8", 25), shape="none"))  # markup gone
    site = make_site(catalog)
    proc = scrapy_check(site.url, tmp_path / "data")
    assert proc.returncode == 1
    assert "FAILED" in proc.stderr
    assert "[jd] parse_page (@returns post-hook)" in proc.stderr and "Returned 4 items, expected 10" in proc.stderr
    assert "[jd] parse_page (@fills post-hook)" in proc.stderr and "empty text" in proc.stderr
    assert "[schemaorg] parse_page (@returns post-hook)" in proc.stderr
    assert "[amazon]" not in proc.stderr and "[feeds]" not in proc.stderr


def test_site_contract_needs_a_site(tmp_path: Path):
    env = crawl_env(tmp_path / "data", SCRAPY_SETTINGS_MODULE="crawlers.settings")
    proc = subprocess.run([sys.executable, "-m", "scrapy", "check", "schemaorg"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "spider 'schemaorg' has no base_url; run scrapy check -s CONTRACT_SITE_URL=http://host:port" in proc.stderr
