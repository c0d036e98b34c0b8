"""Scale-out: two ``voclens crawl`` workers share one crawl through a real Redis server (scrapy-redis)."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import redis

from tests.crawlers.conftest import ROOT, crawl_command, crawl_env, stored
from tests.crawlers.site.social import appstore_app

APPS = ("1001", "1002", "1003", "1004")


def _worker(data: Path, site_url: str, redis_url: str) -> subprocess.Popen:
    cmd = crawl_command("appstore", "-a", f"apps={','.join(APPS)}", "-a", f"base_url={site_url}",
                        "--redis-url", redis_url,
                        # one page at a time per worker, a little apart, so both workers get a share
                        # (one in flight: a worker takes a request from Redis only when it can fetch it)
                        "-s", "CONCURRENT_REQUESTS=1", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
                        "-s", "DOWNLOAD_DELAY=0.2", "-s", "CRAWL_REDIS_IDLE_CLOSE=2")
    return subprocess.Popen(cmd, cwd=ROOT, env=crawl_env(data), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_workers_fetch_every_page_once_and_store_every_item_once(make_site, redis_server, tmp_path: Path):
    site = make_site({"appstore": {f"us:{a}": appstore_app(a, "us", 25) for a in APPS}})  # 3 pages + an empty 4th each
    data = tmp_path / "data"
    workers = [_worker(data, site.url, redis_server.url) for _ in range(2)]
    stats = []
    for w in workers:
        out, err = w.communicate(timeout=120)
        assert w.returncode == 0, err[-3000:]
        stats.append(json.loads(out))
    fetched = Counter(p for p in site.requests() if p != "/robots.txt")
    assert len(fetched) == 4 * len(APPS)
    assert {p: n for p, n in fetched.items() if n > 1} == {}          # no page fetched twice
    assert all(s["pages"] > 1 for s in stats), [s["pages"] for s in stats]  # both workers took pages
    assert sum(s["new"] for s in stats) == 25 * len(APPS)
    assert sum(s["updated"] + s["duplicates_exact"] for s in stats) == 0  # every item landed exactly once
    docs = stored(data)
    assert len(docs) == 25 * len(APPS) and {d.product_id for d in docs.values()} == set(APPS)
    # the last worker of a finished run deletes the run's queue, filter and worker count
    assert redis.Redis.from_url(redis_server.url).keys("voclens:appstore:*") == []


def test_without_redis_the_setting_changes_nothing(tmp_path: Path):
    from api.crawl import scrapy_settings
    from api.settings import Settings

    plain = scrapy_settings(Settings(data_dir=tmp_path))
    assert plain.get("SCHEDULER") == "scrapy.core.scheduler.Scheduler" and plain.get("CRAWL_REDIS_URL") is None
    shared = scrapy_settings(Settings(data_dir=tmp_path, crawl_redis_url="redis://10.0.0.5:6379/1"), redis_run="r1")
    assert shared.get("SCHEDULER") == "scrapy_redis.scheduler.Scheduler"
    assert shared.get("DUPEFILTER_CLASS") == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert shared.get("SCHEDULER_QUEUE_KEY") == "voclens:%(spider)s:r1:requests"
    assert shared.getbool("SCHEDULER_PERSIST") and shared.get("REDIS_URL") == "redis://10.0.0.5:6379/1"
    assert list(shared.getdict("ITEM_PIPELINES")) == list(plain.getdict("ITEM_PIPELINES"))  # our pipelines stay


def test_a_missing_redis_server_fails_in_ci_and_skips_locally(monkeypatch, tmp_path: Path):
    import pytest

    from tests.redis_server import start_redis

    monkeypatch.setenv("PATH", str(tmp_path))  # no redis-server on it
    monkeypatch.setenv("CI", "1")
    with pytest.raises(RuntimeError, match="CI needs a real Redis server"):
        start_redis(tmp_path)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="redis-server is not installed"):
        start_redis(tmp_path)


def test_a_crawl_with_queue_publishes_and_a_worker_classifies_and_writes(make_site, redis_server, tmp_path: Path):
    from crawlers.queue import connect, queue_depth
    from tests.crawlers.conftest import voclens_crawl

    site = make_site({"appstore": {"us:2001": appstore_app("2001", "us", 25)}})
    data = tmp_path / "data"
    env = {"VOCLENS_QUEUE_REDIS_URL": redis_server.url, "VOCLENS_QUEUE_STREAM": "crawl-queue-test"}
    stats = voclens_crawl(data, "appstore", "-a", "apps=2001", "-a", f"base_url={site.url}", "--queue", env=env)
    assert (stats["new"], stats["queued"]) == (0, 25) and stored(data) == {}  # nothing written by the crawl itself
    assert queue_depth(connect(redis_server.url), "crawl-queue-test")["depth"] == 25
    worker = subprocess.run([*crawl_command("appstore")[:3], "worker", "--exit-when-empty", "--json"], cwd=ROOT,
                            env=crawl_env(data, **env), capture_output=True, text=True, timeout=120)
    assert worker.returncode == 0, worker.stderr[-2000:]
    assert json.loads(worker.stdout)["written"] == 25
    docs = stored(data)
    assert len(docs) == 25 and all(d.model_version and d.sentiment for d in docs.values())
