"""Faults a real crawl meets: 429/503 with backoff, timeouts, malformed pages, pages that never come,
and a crawl interrupted with Ctrl-C and resumed from its JOBDIR."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from tests.crawlers.conftest import ROOT, crawl_command, crawl_env, stored, voclens_crawl
from tests.crawlers.site.catalog import jd_product

PAGE = "/comment/productPageComments.action?productId={}&score=0&sortType=6&page={}&pageSize=10"


def comment_pages(site) -> list[str]:
    return [p for p in site.requests() if p.startswith("/comment/")]


def test_429_503_timeouts_and_malformed_pages_are_retried_and_nothing_is_lost(make_site, tmp_path: Path):
    site = make_site({"jd": {
        "100001": jd_product("100001", 25, behaviour={"0": [429, 429], "2": [503]}),
        "200002": jd_product("200002", 15, behaviour={"1": ["slow"]}),
        "300003": jd_product("300003", 15, behaviour={"0": ["malformed"]}),
    }})
    data = tmp_path / "data"
    stats = voclens_crawl(data, "jd", "-a", "products=100001,200002,300003", "-a", f"base_url={site.url}",
                          "-s", "DOWNLOAD_TIMEOUT=2")
    assert stats["finish_reason"] == "finished"
    assert stats["new"] == 55 and len(stored(data)) == 55
    assert stats["errors"]["retried:429"] == 2
    assert stats["errors"]["retried:503"] == 1
    assert stats["errors"]["page:malformed-json"] == 1
    assert stats["errors"]["retried:page"] == 1
    assert any(k.startswith("retried:") and "Timeout" in k for k in stats["errors"]), stats["errors"]
    pages = comment_pages(site)
    assert pages.count(PAGE.format("100001", 0)) == 3 and pages.count(PAGE.format("300003", 0)) == 2
    assert stats["backoff_s"] >= 2.0  # two Retry-After: 1 answers were honoured


def test_a_page_that_never_comes_keeps_its_scope_watermark(make_site, tmp_path: Path):
    """Page 1 of 3 fails for good: the crawl finishes with what it could read, and the next
    crawl is not stopped early by a watermark that would skip the unread pages."""
    site = make_site({"jd": {"100001": jd_product("100001", 25, behaviour={"1": [503] * 4})}})
    data, args = tmp_path / "data", ["-a", "products=100001", "-a", f"base_url={site.url}"]
    stats = voclens_crawl(data, "jd", *args)
    assert stats["finish_reason"] == "finished"
    assert stats["new"] == 10 and stats["errors"]["failed:http-503"] == 1
    again = voclens_crawl(data, "jd", *args)  # the site has recovered
    assert (again["new"], again["incremental_stops"]) == (15, 0)
    assert len(stored(data)) == 25


def test_interrupted_crawl_resumes_from_jobdir_without_loss_or_duplicates(make_site, tmp_path: Path):
    products = [str(100001 + i) for i in range(4)]
    site = make_site({"jd": {p: jd_product(p, 50) for p in products}})  # 4 x 5 pages
    data, jobdir = tmp_path / "data", tmp_path / "job"
    cmd = crawl_command("jd", "-a", f"products={','.join(products)}", "-a", f"base_url={site.url}",
                        "-s", "DOWNLOAD_DELAY=0.25", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
                        "-s", "CRAWL_BATCH_SIZE=10", "--jobdir", str(jobdir))
    log = open(tmp_path / "crawl-1.log", "w+")  # a file, not a pipe nobody reads while waiting
    proc = subprocess.Popen(cmd, cwd=ROOT, env=crawl_env(data), stdout=subprocess.DEVNULL, stderr=log, text=True)
    deadline = time.time() + 60
    while len(comment_pages(site)) < 6 and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    log.seek(0)
    assert proc.returncode == 130, log.read()[-3000:]
    log.close()
    first_pages = comment_pages(site)
    first = len(stored(data))
    assert 0 < first < 200
    assert first == 10 * len(first_pages)  # every fetched page was written before exiting

    site.reset()
    proc = subprocess.run(cmd, cwd=ROOT, env=crawl_env(data), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import json

    stats = json.loads(proc.stdout)
    docs = stored(data)
    assert len(docs) == 200  # nothing lost
    assert stats["new"] == 200 - first and stats["updated"] == 0  # nothing fetched or written twice
    assert not set(comment_pages(site)) & set(first_pages)
