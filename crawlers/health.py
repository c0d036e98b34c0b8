"""Crawl health: a crawl that rejects most items, gets no items from its pages, or fails most requests fails.

Sites change their markup without notice; a spider then still "finishes",
having stored nothing. Scrapy's own finish reason cannot see that, so cron
and the operator saw success. Here each crawl is judged when it would
finish, on three shares taken from its stats:

* **rejected items**: items the pipeline rejected as invalid (``voclens/invalid``)
  among the items the spiders produced (``voclens/items_seen``): a date
  format the parser no longer reads, a renamed text field;
* **failed requests**: pages that never came (HTTP errors and download
  failures after the retries, pages refused by robots.txt, counted by
  ``VoclensSpider.page_error`` as ``voclens/failed_pages/*``) among every page
  the spider asked for;
* **item-less pages**: pages that reached their callback and held no item
  at all (none yielded, none skipped as older than ``since`` or than the
  watermark) among the pages that reached their callback: renamed review
  markup, a login wall served with status 200.

A share above its threshold, with at least the minimum of items or pages to
judge by, fails the crawl: the extension closes the spider with the reason
``failed: 100% of items rejected (12 of 12, threshold 50%)`` instead of
``finished``. That reason is Scrapy's own ``finish_reason``, so everything
downstream sees a failed crawl: the spider does not advance its watermarks
(the items it rejected are fetched again once the parser is fixed),
``voclens crawl`` exits 1, and a scheduled crawl sends an alert (``api.crawl_alert``).

The judging is done with spidermon (https://spidermon.readthedocs.io), Zyte's
monitoring framework for Scrapy: the checks are one spidermon ``Monitor``,
and ``CRAWL_HEALTH_MONITORS`` adds any other spidermon monitor or suite
(its built-in item-count, field-coverage or finish-reason monitors, or a
project's own) whose failure then fails the crawl the same way. spidermon's
own extension is not used, because it runs its suites on ``spider_closed``,
after the spider has already advanced its watermarks for a "finished"
crawl; ``CrawlHealth`` runs the suite on ``spider_idle``, the moment Scrapy
is about to close the spider as finished, so a verdict can still change the
reason (by raising ``CloseSpider``).

Settings (``crawlers.settings``; ``voclens crawl`` maps the voclens
``crawl_health_*`` settings onto them): ``CRAWL_HEALTH_ENABLED``,
``CRAWL_HEALTH_MAX_REJECTED_SHARE``, ``CRAWL_HEALTH_MAX_FAILED_SHARE``,
``CRAWL_HEALTH_MAX_ITEM_LESS_SHARE`` (a share of 1.0 switches that check off),
``CRAWL_HEALTH_MIN_ITEMS``, ``CRAWL_HEALTH_MIN_PAGES``, ``CRAWL_HEALTH_MONITORS``.

A spider whose pages may rightly hold no wanted item (a feed filtered by
brand) sets ``item_less_pages_expected = True``; its item-less pages are
then counted but not judged.

Stats written: ``voclens/health/pages`` and ``voclens/health/item_less_pages``
(by ``PageItemsMiddleware``), and ``voclens/health``, the verdict as a dict
(``Health.as_dict``), which ``crawlers.report`` puts in the crawl summary.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from itemadapter import is_item
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.misc import load_object
from spidermon import Monitor, MonitorSuite, monitors
from spidermon.runners import MonitorRunner

log = logging.getLogger(__name__)

#: Prefix of the finish reason of a crawl that failed its health checks.
FAILED = "failed: "
#: Stats that count items a page held but the spider skipped on purpose (older than ``since`` or the
#: watermark, a deleted comment): such a page is not item-less. A spider adding a reason to skip adds it here.
SKIP_STATS = ("voclens/since_skipped", "voclens/known_skipped", "voclens/reddit/comments_gone")
FAILED_PAGES_PREFIX = "voclens/failed_pages/"


def _pct(share: float) -> str:
    return f"{share * 100:.1f}".rstrip("0").rstrip(".") + "%"


@dataclass(frozen=True)
class Thresholds:
    """When a crawl fails: a share above ``max_*``, judged once there are ``min_*`` items or pages.

    Defaults: a broken layout (most items rejected, most pages empty, the site
    refusing every request) trips them; a normal crawl (a few invalid items, an
    empty last page, a page that stayed unavailable) does not.
    """

    max_rejected_share: float = 0.5
    max_failed_share: float = 0.5
    max_item_less_share: float = 0.8
    min_items: int = 5
    min_pages: int = 1

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Thresholds:
        d = cls()
        return cls(
            max_rejected_share=settings.getfloat("CRAWL_HEALTH_MAX_REJECTED_SHARE", d.max_rejected_share),
            max_failed_share=settings.getfloat("CRAWL_HEALTH_MAX_FAILED_SHARE", d.max_failed_share),
            max_item_less_share=settings.getfloat("CRAWL_HEALTH_MAX_ITEM_LESS_SHARE", d.max_item_less_share),
            min_items=settings.getint("CRAWL_HEALTH_MIN_ITEMS", d.min_items),
            min_pages=settings.getint("CRAWL_HEALTH_MIN_PAGES", d.min_pages),
        )


@dataclass(frozen=True)
class Check:
    """One share and its verdict: ``count`` of ``total`` against ``threshold``, judged from ``minimum``."""

    name: str
    what: str  # "items rejected", "requests failed", "pages held no items"
    count: int
    total: int
    threshold: float
    minimum: int
    expected: bool = False  # the spider said such pages are normal: counted, not judged

    @property
    def share(self) -> float | None:
        return self.count / self.total if self.total else None

    @property
    def judged(self) -> bool:
        return not self.expected and self.total >= max(self.minimum, 1)

    @property
    def failed(self) -> bool:
        return self.judged and self.share is not None and self.share > self.threshold

    @property
    def reason(self) -> str:
        share = self.share or 0.0
        return f"{_pct(share)} of {self.what} ({self.count} of {self.total}, threshold {_pct(self.threshold)})"

    def as_dict(self) -> dict[str, Any]:
        share = self.share
        return {"count": self.count, "of": self.total, "share": None if share is None else round(share, 4),
                "threshold": self.threshold, "judged": self.judged, "failed": self.failed}


@dataclass
class Health:
    """The three checks of one crawl and the verdict: ``ok``, ``failed`` or ``not judged`` (interrupted)."""

    checks: list[Check]
    verdict: str = "ok"
    reasons: list[str] = field(default_factory=list)

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    def as_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "reasons": list(self.reasons),
                **{c.name: c.as_dict() for c in self.checks}}


def assess(stats: Mapping[str, Any], thresholds: Thresholds, *, item_less_expected: bool = False) -> Health:
    """The health of a crawl from its stats; pure, so the same numbers give the same verdict anywhere.

    >>> h = assess({"voclens/items_seen": 12, "voclens/invalid": 12, "voclens/health/pages": 2}, Thresholds())
    >>> h.verdict, h.reasons
    ('failed', ['100% of items rejected (12 of 12, threshold 50%)'])
    """
    failed = sum(int(v) for k, v in stats.items() if k.startswith(FAILED_PAGES_PREFIX))
    pages = int(stats.get("voclens/health/pages", 0))
    checks = [
        Check("rejected_items", "items rejected", int(stats.get("voclens/invalid", 0)),
              int(stats.get("voclens/items_seen", 0)), thresholds.max_rejected_share, thresholds.min_items),
        Check("failed_requests", "requests failed", failed, pages + failed, thresholds.max_failed_share,
              thresholds.min_pages),
        Check("item_less_pages", "pages held no items", int(stats.get("voclens/health/item_less_pages", 0)), pages,
              thresholds.max_item_less_share, thresholds.min_pages, expected=item_less_expected),
    ]
    reasons = [c.reason for c in checks if c.failed]
    return Health(checks=checks, verdict="failed" if reasons else "ok", reasons=reasons)


# -- spidermon: the checks as a monitor, in a suite that can hold more ---------------------------------------
@monitors.name("Crawl health")
class CrawlHealthMonitor(Monitor):
    """The three shares of ``assess``; each test fails with the check's reason, or is skipped when not judged."""

    def _judge(self, name: str) -> None:
        check = self.data.health.check(name)
        if not check.judged:
            self.skipTest(f"not judged: {check.total} counted, {check.minimum} needed" if not check.expected
                          else "the spider expects pages without items")
        if check.failed:
            self.fail(check.reason)

    @monitors.name("Rejected items")
    def test_rejected_items(self):
        self._judge("rejected_items")

    @monitors.name("Failed requests")
    def test_failed_requests(self):
        self._judge("failed_requests")

    @monitors.name("Pages without items")
    def test_item_less_pages(self):
        self._judge("item_less_pages")


def health_monitors(settings: BaseSettings) -> list[type]:
    """``CrawlHealthMonitor`` plus the monitors and suites named in ``CRAWL_HEALTH_MONITORS``.

    Raises:
        ValueError: a name that is not a spidermon ``Monitor`` or ``MonitorSuite`` class (not
            ``NotConfigured``, which would switch the health checks off without a word).
    """
    extra = []
    for path in settings.getlist("CRAWL_HEALTH_MONITORS"):
        cls = load_object(path) if isinstance(path, str) else path
        if not (isinstance(cls, type) and issubclass(cls, Monitor | MonitorSuite)):
            raise ValueError(f"CRAWL_HEALTH_MONITORS: {path!r} is not a spidermon Monitor or MonitorSuite class")
        extra.append(cls)
    return [CrawlHealthMonitor, *extra]


def failures(result) -> list[str]:
    """One line per failed monitor of a spidermon run: its message, or the exception it raised."""
    lines = []
    for item in result.monitors_failed_results:
        if item.reason:
            lines.append(item.reason)
        else:  # the monitor itself raised: name it and the last line of its traceback
            last = (item.error or "").strip().splitlines()[-1:] or ["error"]
            lines.append(f"monitor {item.item.name!r} raised {last[0]}")
    return lines


class CrawlHealth:
    """Judges the crawl when it would finish and fails it with the reason; records the verdict in the stats."""

    def __init__(self, crawler: Crawler, thresholds: Thresholds):
        self.crawler = crawler
        self.thresholds = thresholds
        self.monitors = health_monitors(crawler.settings)
        self.reasons: list[str] | None = None  # None until judged

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlHealth:
        if not crawler.settings.getbool("CRAWL_HEALTH_ENABLED", True):
            raise NotConfigured
        ext = cls(crawler, Thresholds.from_settings(crawler.settings))
        crawler.signals.connect(ext.idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def assess(self, spider) -> Health:
        return assess(self.crawler.stats.get_stats(), self.thresholds,
                      item_less_expected=bool(getattr(spider, "item_less_pages_expected", False)))

    def judge(self, spider) -> list[str]:
        """Run the suite on the stats now; the failures, one line each (empty: healthy)."""
        health = self.assess(spider)
        # a fresh suite each time: a unittest suite drops its tests once they have run
        suite = MonitorSuite(name="voclens crawl health", monitors=self.monitors, crawler=self.crawler)
        runner = MonitorRunner()  # the base runner: no per-test log lines; closed() logs the verdict once
        result = runner.run(suite, stats=self.crawler.stats.get_stats(), crawler=self.crawler, spider=spider,
                            stats_history=[], job=None, health=health)
        return failures(result)

    def idle(self, spider) -> None:
        """``spider_idle``: Scrapy closes the spider as finished after this unless told otherwise."""
        self.reasons = self.judge(spider)
        if self.reasons:
            raise CloseSpider(FAILED + "; ".join(self.reasons))

    def closed(self, spider, reason: str) -> None:
        health = self.assess(spider)
        if reason.startswith(FAILED) and self.reasons:
            health.verdict, health.reasons = "failed", self.reasons
            log.error("crawl failed its health checks", extra={"reasons": self.reasons})
        elif reason == "finished":
            health.verdict, health.reasons = "ok", []
        else:  # interrupted, or closed by another extension: never judged
            health.verdict, health.reasons = "not judged", []
        self.crawler.stats.set_value("voclens/health", health.as_dict())


class PageItemsMiddleware:
    """Spider middleware: counts the pages that reached their callback, and those that held no item.

    A page held items when its callback yielded one or skipped one on purpose
    (``SKIP_STATS`` grew while the callback ran; a callback runs synchronously
    between two outputs, so the growth is this page's). Output of an errback
    (an HTTP error page) is not a page here: only responses that passed every
    spider middleware's input check (``process_spider_input``; this one is
    last) reached a callback.
    """

    def __init__(self, crawler: Crawler):
        self.stats = crawler.stats
        self._to_callback: weakref.WeakSet[Response] = weakref.WeakSet()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageItemsMiddleware:
        return cls(crawler)

    def _skipped(self) -> int:
        return sum(int(self.stats.get_value(k, 0)) for k in SKIP_STATS)

    def process_spider_input(self, response: Response) -> None:
        self._to_callback.add(response)

    async def process_spider_output(self, response: Response, result):
        it = result.__aiter__()
        held = False
        while True:
            before = self._skipped()
            try:
                out = await it.__anext__()
            except StopAsyncIteration:
                held = held or self._skipped() > before
                break
            held = held or is_item(out) or self._skipped() > before
            yield out
        if response in self._to_callback:
            self.stats.inc_value("voclens/health/pages")
            if not held:
                self.stats.inc_value("voclens/health/item_less_pages")


__all__ = ["FAILED", "Check", "CrawlHealth", "CrawlHealthMonitor", "Health", "PageItemsMiddleware", "Thresholds",
           "assess", "health_monitors"]
