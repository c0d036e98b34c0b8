"""One crawl shared by several worker processes through Redis (scrapy-redis scheduler and dupefilter).

Every worker runs the same ``voclens crawl SPIDER ... --redis-url redis://...``.
Their requests go to one Redis queue and one request-fingerprint set, so a
page is fetched by one worker only, and the start requests every worker
yields are queued once. Items still go through each worker's own voclens
pipelines (normalise, de-duplicate, classify, write), so the backend must
be one the workers share.

scrapy-redis clears its keys when a worker closes unless ``SCHEDULER_PERSIST``
is set; with several workers that would empty the queue under the others.
So keys persist, are named per run (``voclens:<spider>:<run>:...``, the run
defaults to a hash of the spider's arguments), and ``RedisWorkers`` deletes
them when the last worker of a finished run closes. An idle worker waits
``CRAWL_REDIS_IDLE_CLOSE`` seconds for others to queue more pages before it
closes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured

from .health import FAILED

log = logging.getLogger(__name__)


def run_key(spider: str, args: dict[str, str]) -> str:
    """Default run name: workers started with the same spider and arguments share a queue."""
    digest = hashlib.sha256(json.dumps([spider, sorted(args.items())], ensure_ascii=False).encode()).hexdigest()
    return digest[:12]


def redis_settings(redis_url: str, run: str) -> dict[str, Any]:
    """Scrapy settings that put the scheduler queue and the seen-requests filter in Redis.

    Args:
        redis_url: ``redis://[:password@]host:port/db``.
        run: the run name; workers with the same spider and run share one crawl.
    """
    prefix = f"voclens:%(spider)s:{run}"
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_PERSIST": True,            # RedisWorkers cleans up after the last worker instead
        "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:dupefilter",
        "REDIS_URL": redis_url,
        "CRAWL_REDIS_URL": redis_url,
        "CRAWL_REDIS_RUN": run,
    }


class RedisWorkers:
    """Counts the workers of a run in Redis, keeps idle workers a moment, cleans up after the last one.

    Switched off (``NotConfigured``) unless ``CRAWL_REDIS_URL`` is set and the
    scrapy-redis scheduler is in use (``redis_settings`` sets both).
    Stats: ``voclens/redis/idle_waits`` (times this worker waited for others).
    """

    def __init__(self, crawler: Crawler, server, idle_close: float):
        self.crawler = crawler
        self.server = server
        self.idle_close = idle_close
        self.idle_since: float | None = None
        self.prefix = ""

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        url = crawler.settings.get("CRAWL_REDIS_URL")
        if not url or crawler.settings.get("SCHEDULER") != "scrapy_redis.scheduler.Scheduler":
            raise NotConfigured  # no message: a crawl without Redis is the normal case, not worth a warning
        import redis

        ext = cls(crawler, redis.Redis.from_url(url), crawler.settings.getfloat("CRAWL_REDIS_IDLE_CLOSE", 5.0))
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def keys(self) -> dict[str, str]:
        return {"queue": f"{self.prefix}:requests", "seen": f"{self.prefix}:dupefilter", "workers": f"{self.prefix}:workers"}

    def opened(self, spider) -> None:
        self.prefix = f"voclens:{spider.name}:{self.crawler.settings.get('CRAWL_REDIS_RUN')}"
        n = self.server.incr(self.keys()["workers"])
        log.info("redis worker joined", extra={"run": self.prefix, "workers": n})

    def idle(self, spider) -> None:
        """Wait for pages other workers may still queue; close after ``idle_close`` quiet seconds."""
        if self.server.zcard(self.keys()["queue"]):
            self.idle_since = None
            raise DontCloseSpider("requests are queued in Redis")
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_close:
            self.crawler.stats.inc_value("voclens/redis/idle_waits")
            raise DontCloseSpider("waiting for other workers")

    def closed(self, spider, reason: str) -> None:
        keys = self.keys()
        left = self.server.decr(keys["workers"])
        # a crawl failed by its health checks also ran to the end: kept keys would make the next run fetch nothing
        if left <= 0 and (reason == "finished" or reason.startswith(FAILED)) and not self.server.zcard(keys["queue"]):
            self.server.delete(*keys.values())
            log.info("last redis worker finished: run keys deleted", extra={"run": self.prefix})
        else:
            log.info("redis worker left", extra={"run": self.prefix, "workers": left, "reason": reason})
