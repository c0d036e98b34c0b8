"""Crawl health: a broken spider fails its crawl loudly (exit 1, a finish reason that says why, an alert when
scheduled), and a normal crawl does not. Real crawls of the local fixture site; real SMTP and webhook receivers."""

from __future__ import annotations

import json
import re
import socket
import subprocess
from pathlib import Path

import pytest

from crawlers.health import Thresholds, assess
from tests.api.digests.conftest import SECRET, receiver, smtp  # noqa: F401  (real receivers, as the digest tests use)
from tests.crawlers.conftest import ROOT, crawl_command, crawl_env, stored, voclens_crawl
from tests.crawlers.site.catalog import jd_product
from tests.crawlers.site.schemaorg import product_pages, web_reviews


# -- the verdict, from stats -------------------------------------------------------------------------------
def stats(items=0, invalid=0, pages=0, item_less=0, **failed) -> dict:
    return {"voclens/items_seen": items, "voclens/invalid": invalid, "voclens/health/pages": pages,
            "voclens/health/item_less_pages": item_less, **{f"voclens/failed_pages/{k}": v for k, v in failed.items()}}


def test_each_share_fails_only_above_its_threshold():
    t = Thresholds()
    assert assess(stats(items=10, invalid=5, pages=3), t).verdict == "ok"           # 50% is not above 50%
    h = assess(stats(items=10, invalid=6, pages=3), t)
    assert h.verdict == "failed" and h.reasons == ["60% of items rejected (6 of 10, threshold 50%)"]
    h = assess(stats(pages=1, **{"http-500": 2}), t)
    assert h.reasons == ["66.7% of requests failed (2 of 3, threshold 50%)"]
    h = assess(stats(items=1, pages=5, item_less=5), t)
    assert h.reasons == ["100% of pages held no items (5 of 5, threshold 80%)"]
    assert assess(stats(items=40, pages=5, item_less=4), t).verdict == "ok"         # an empty last page is normal


def test_small_crawls_are_not_judged_on_items_and_thresholds_are_settings():
    h = assess(stats(items=4, invalid=4, pages=1), Thresholds())
    assert h.verdict == "ok" and not h.check("rejected_items").judged             # fewer than min_items (5)
    assert assess(stats(items=4, invalid=4, pages=1), Thresholds(min_items=3)).verdict == "failed"
    assert assess(stats(items=10, invalid=10, pages=1), Thresholds(max_rejected_share=1.0)).verdict == "ok"
    expected = assess(stats(pages=4, item_less=4), Thresholds(), item_less_expected=True)
    assert expected.verdict == "ok" and expected.check("item_less_pages").share == 1.0
    assert assess({}, Thresholds()).verdict == "ok"                                # nothing asked for: nothing judged


def test_the_extension_judges_again_on_every_idle_and_records_the_verdict():
    """Redis workers keep an idle spider open (DontCloseSpider) and Scrapy asks again: each ask is judged."""
    from scrapy import Spider
    from scrapy.exceptions import CloseSpider
    from scrapy.utils.test import get_crawler

    from crawlers.health import CrawlHealth

    crawler = get_crawler(Spider)
    spider = Spider("x")
    ext = CrawlHealth.from_crawler(crawler)
    for key, value in stats(items=10, invalid=9, pages=2).items():
        crawler.stats.set_value(key, value)
    for _ in range(2):
        with pytest.raises(CloseSpider) as closing:
            ext.idle(spider)
        assert closing.value.reason == "failed: 90% of items rejected (9 of 10, threshold 50%)"
    ext.closed(spider, "failed: 90% of items rejected (9 of 10, threshold 50%)")
    assert crawler.stats.get_value("voclens/health")["verdict"] == "failed"
    ext.closed(spider, "shutdown")
    assert crawler.stats.get_value("voclens/health")["verdict"] == "not judged"


def test_a_misnamed_extra_monitor_is_an_error_not_a_silent_switch_off():
    from scrapy.settings import Settings as ScrapySettings

    from crawlers.health import CrawlHealthMonitor, health_monitors

    assert health_monitors(ScrapySettings()) == [CrawlHealthMonitor]
    with pytest.raises(ValueError, match="json.dumps.*is not a spidermon Monitor"):
        health_monitors(ScrapySettings({"CRAWL_HEALTH_MONITORS": ["json.dumps"]}))


# -- real crawls ---------------------------------------------------------------------------------------------
def jd_site(make_site, **products):
    return make_site({"jd": {pid: spec for pid, spec in products.items()}})


def test_a_healthy_crawl_and_its_incremental_rerun_exit_0_and_report_their_shares(make_site, tmp_path: Path):
    site = jd_site(make_site, **{"100001": jd_product("100001", 25), "200002": jd_product("200002", 8)})
    data, args = tmp_path / "data", ["-a", "products=100001,200002", "-a", f"base_url={site.url}"]
    first = voclens_crawl(data, "jd", *args)
    assert first["finish_reason"] == "finished" and first["new"] == 33
    health = first["health"]
    assert health["verdict"] == "ok" and health["reasons"] == []
    assert health["rejected_items"] == {"count": 0, "of": 33, "share": 0.0, "threshold": 0.5, "judged": True,
                                        "failed": False}
    assert (health["failed_requests"]["of"], health["item_less_pages"]["of"]) == (4, 4)
    assert first["alert"] is None
    # nothing new: every page holds only known reviews, which is not an empty page
    again = voclens_crawl(data, "jd", *args)
    assert again["finish_reason"] == "finished" and again["new"] == 0 and again["health"]["verdict"] == "ok"
    assert again["health"]["item_less_pages"]["count"] == 0


def renamed_markup(pages: dict) -> dict:
    """The same pages after a redesign: the schema.org microdata attributes renamed, so no parser sees a review."""
    out = {}
    for path, page in pages.items():
        body = re.sub(r"\bitem(scope|type|prop)\b", r"data-\1", page["body"])
        out[path] = {**page, "body": body}
    return out


def test_a_changed_layout_fails_the_crawl_and_keeps_the_watermark(make_site, tmp_path: Path):
    before = product_pages("v8", web_reviews("v8", 8), shape="microdata")
    site = make_site({"pages": before})
    data, args = tmp_path / "data", ["-a", f"urls={site.url}/shop/v8/reviews.html"]
    assert voclens_crawl(data, "schemaorg", *args)["new"] == 8

    after = product_pages("v8", web_reviews("v8", 8) + web_reviews("v8", 3, offset=20), shape="microdata")
    site.update({"pages": renamed_markup(after)})
    broken = voclens_crawl(data, "schemaorg", *args, expect_rc=1)
    assert broken["finish_reason"] == "failed: 100% of pages held no items (1 of 1, threshold 80%)"
    assert broken["health"]["verdict"] == "failed" and broken["health"]["item_less_pages"]["share"] == 1.0
    assert len(stored(data)) == 8

    # the same crawl, told that item-less pages are fine, finishes (thresholds are voclens settings)
    lenient = voclens_crawl(data, "schemaorg", *args, env={"VOCLENS_CRAWL_HEALTH_MAX_ITEM_LESS_SHARE": "1"})
    assert lenient["finish_reason"] == "finished" and lenient["health"]["item_less_pages"]["failed"] is False

    site.update({"pages": after})  # the spider is fixed (here: the site changed back)
    fixed = voclens_crawl(data, "schemaorg", *args)
    assert fixed["new"] == 3 and len(stored(data)) == 11


def test_a_renamed_date_field_rejects_every_item_and_fails_the_crawl(make_site, tmp_path: Path):
    product = jd_product("100001", 25)
    for c in product["comments"]:
        c["commentTime"] = c.pop("creationTime")  # the payload renamed the field the spider reads
    site = jd_site(make_site, **{"100001": product})
    out = voclens_crawl(tmp_path / "data", "jd", "-a", "products=100001", "-a", f"base_url={site.url}", expect_rc=1)
    assert out["finish_reason"] == "failed: 100% of items rejected (25 of 25, threshold 50%)"
    assert out["invalid_by_field"] == {"created_at": 25} and out["new"] == 0


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket is: connections are refused


@pytest.mark.parametrize("how", ["http-500", "closed-port"])
def test_every_request_failing_fails_the_crawl(make_site, tmp_path: Path, how: str):
    if how == "http-500":
        always = {"behaviour": {"0": [500] * 20}}
        site = jd_site(make_site, **{"100001": jd_product("100001", 5, **always),
                                     "200002": jd_product("200002", 5, **always)})
        base = site.url
    else:
        base = f"http://127.0.0.1:{closed_port()}"
    out = voclens_crawl(tmp_path / "data", "jd", "-a", "products=100001,200002", "-a", f"base_url={base}",
                        "-s", "RETRY_TIMES=1", expect_rc=1)
    assert out["finish_reason"] == "failed: 100% of requests failed (2 of 2, threshold 50%)"
    failed = {k for k in out["errors"] if k.startswith("failed:")}
    # a closed port makes robots.txt unavailable, and RFC 9309 then refuses every page (IgnoreRequest)
    assert failed == ({"failed:http-500"} if how == "http-500" else {"failed:IgnoreRequest"})


def test_any_spidermon_monitor_can_fail_the_crawl(make_site, tmp_path: Path):
    site = jd_site(make_site, **{"100001": jd_product("100001", 5)})
    out = voclens_crawl(tmp_path / "data", "jd", "-a", "products=100001", "-a", f"base_url={site.url}",
                        "-s", "CRAWL_HEALTH_MONITORS=spidermon.contrib.scrapy.monitors.ItemCountMonitor",
                        "-s", "SPIDERMON_MIN_ITEMS=100", expect_rc=1)
    assert out["finish_reason"].startswith("failed: Expecting 'item_scraped_count' to be '>=' to '100.0'")
    assert out["health"]["verdict"] == "failed" and out["health"]["rejected_items"]["failed"] is False


# -- alerts for scheduled crawls -----------------------------------------------------------------------------
def scheduled_crawl(data: Path, site_url: str, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess:
    """The broken-date crawl as cron runs it: no terminal on stdin."""
    cmd = crawl_command("jd", "-a", "products=100001", "-a", f"base_url={site_url}", *extra)
    return subprocess.run(cmd, cwd=ROOT, env=crawl_env(data, **env), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=120)


def test_a_failed_scheduled_crawl_alerts_by_email_and_webhook(make_site, tmp_path: Path, smtp, receiver):  # noqa: F811
    product = jd_product("100001", 12)
    for c in product["comments"]:
        c["commentTime"] = c.pop("creationTime")
    site = jd_site(make_site, **{"100001": product, "200002": jd_product("200002", 6)})
    env = {"VOCLENS_CRAWL_ALERT_EMAIL_TO": "ops@example.com,oncall@example.com", "VOCLENS_SMTP_HOST": "127.0.0.1",
           "VOCLENS_SMTP_PORT": str(smtp.port), "VOCLENS_SMTP_FROM": "crawls@voclens.test",
           "VOCLENS_CRAWL_ALERT_WEBHOOK_URL": receiver.url, "VOCLENS_WEBHOOK_ALLOW_PRIVATE": "true",
           "VOCLENS_WEBHOOK_SIGNING_SECRET": SECRET}

    proc = scheduled_crawl(tmp_path / "data", site.url, env)
    assert proc.returncode == 1, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    reason = "100% of items rejected (12 of 12, threshold 50%)"
    assert out["finish_reason"] == f"failed: {reason}"
    assert out["alert"] == {"sent": ["email", "webhook"], "failed": []}

    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert smtp.envelopes[0] == ("crawls@voclens.test", ["ops@example.com", "oncall@example.com"])
    assert mail["Subject"].strip() == f"[voclens] crawl jd failed: {reason}"  # folded: long
    text = mail.get_content()
    assert "voclens crawl jd -a products=100001" in text and "Rejected items: 100% (12 of 12; threshold 50%)" in text
    assert "Invalid by field: created_at 12" in text and "docs/crawling.md#when-a-spider-breaks" in text

    assert len(receiver.requests) == 1
    hook = receiver.requests[0]
    assert hook["signature_ok"] and hook["headers"]["Idempotency-Key"] == hook["json"]["idempotency_key"]
    assert hook["json"]["type"] == "voclens.crawl_failed" and hook["json"]["finish_reason"] == f"failed: {reason}"
    assert hook["json"]["health"]["rejected_items"]["share"] == 1.0
    assert mail["Message-ID"] == f"<{hook['json']['idempotency_key']}@voclens>"

    # --no-alert: failed, not alerted; a healthy scheduled crawl: nothing to alert
    assert scheduled_crawl(tmp_path / "data2", site.url, env, "--no-alert").returncode == 1
    healthy = subprocess.run(crawl_command("jd", "-a", "products=200002", "-a", f"base_url={site.url}"), cwd=ROOT,
                             env=crawl_env(tmp_path / "data3", **env), stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=120)
    assert healthy.returncode == 0 and json.loads(healthy.stdout)["alert"] is None
    assert len(smtp.messages) == 1 and len(receiver.requests) == 1


def test_an_alert_that_cannot_be_sent_is_reported_and_alert_needs_a_channel(make_site, tmp_path: Path):
    product = jd_product("100001", 6)
    for c in product["comments"]:
        c["commentTime"] = c.pop("creationTime")
    site = jd_site(make_site, **{"100001": product})
    env = {"VOCLENS_CRAWL_ALERT_EMAIL_TO": "ops@example.com", "VOCLENS_SMTP_HOST": "127.0.0.1",
           "VOCLENS_SMTP_PORT": str(closed_port())}
    proc = scheduled_crawl(tmp_path / "data", site.url, env, "--alert")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["alert"]["failed"][0]["channel"] == "email"
    assert "crawl alert by email not sent: SMTP 127.0.0.1" in proc.stderr

    refused = scheduled_crawl(tmp_path / "data", site.url, {}, "--alert")
    assert refused.returncode == 2 and "crawl_alert_email_to" in refused.stderr


def test_a_failed_shared_run_clears_its_redis_keys_so_the_next_run_fetches_again(make_site, redis_server,
                                                                                 tmp_path: Path):
    import redis

    product = jd_product("100001", 12)
    for c in product["comments"]:
        c["commentTime"] = c.pop("creationTime")
    site = jd_site(make_site, **{"100001": product})
    args = ["-a", "products=100001", "-a", f"base_url={site.url}", "--redis-url", redis_server.url,
            "-s", "CRAWL_REDIS_IDLE_CLOSE=0.5"]
    for _ in range(2):  # the second run fetches the pages again: the failed run left no seen-requests filter
        site.reset()
        out = voclens_crawl(tmp_path / "data", "jd", *args, expect_rc=1)
        assert out["finish_reason"].startswith("failed: 100% of items rejected")
        assert [p for p in site.requests() if p.startswith("/comment/")] != []
    assert redis.Redis.from_url(redis_server.url).keys("voclens:jd:*") == []
