"""``voclens crawl`` end to end: --list, and a crawl whose items the HTTP API then finds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.api.conftest import Server
from tests.crawlers.conftest import ROOT, crawl_env, voclens_crawl
from tests.crawlers.site.catalog import jd_product


def test_list_describes_every_spider_and_its_arguments(tmp_path: Path):
    proc = subprocess.run([sys.executable, "-m", "api.cli", "crawl", "--list"], cwd=ROOT, env=crawl_env(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    for name in ("jd:", "amazon:", "feeds:"):
        assert name in proc.stdout
    assert "-a products=...  (list of str, required)" in proc.stdout
    assert "-a since=...  (date, default None)" in proc.stdout


def test_crawled_items_are_found_by_the_api(make_site, tmp_path: Path):
    site = make_site({"jd": {"100001": jd_product("100001", 12)}})
    data = tmp_path / "data"
    assert voclens_crawl(data, "jd", "-a", "products=100001", "-a", f"base_url={site.url}",
                         "-a", "brand=Xiaomi")["new"] == 12
    server = Server(data)
    try:
        found = httpx.get(server.url + "/search", params={"q": "购买", "brand": "Xiaomi", "limit": 50}, timeout=30).json()
        assert found["total"] == 12
        assert {h["document"]["source"] for h in found["results"]} == {"jd"}
    finally:
        server.stop()
