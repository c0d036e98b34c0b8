"""Downloader middlewares: retries that back off, and the configured proxy.

Scrapy's ``RetryMiddleware`` retries at once; a site that answers 429 or 503
is asking us to slow down, so ``BackoffRetryMiddleware`` waits before each
retry: ``Retry-After`` when the site sends one (capped), otherwise
exponential backoff with jitter.
"""

from __future__ import annotations

import logging
import random

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor
from twisted.internet.task import deferLater

log = logging.getLogger(__name__)


def backoff_delay(attempt: int, base: float, cap: float, retry_after: str | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based).

    >>> backoff_delay(1, 1.0, 60.0, retry_after="7")
    7.0
    >>> 2.0 <= backoff_delay(2, 1.0, 60.0) <= 3.0
    True
    """
    if retry_after and retry_after.strip().isdigit():
        return min(float(retry_after.strip()), cap)
    delay = base * (2 ** (attempt - 1))
    return min(delay + random.uniform(0, delay / 2), cap)


class BackoffRetryMiddleware(RetryMiddleware):
    """Retry 429/5xx responses and timeouts after a growing pause.

    Settings: ``RETRY_BACKOFF_BASE`` (seconds before the first retry),
    ``RETRY_BACKOFF_MAX`` (cap, also for ``Retry-After``), plus Scrapy's
    ``RETRY_TIMES`` and ``RETRY_HTTP_CODES``.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        mw = super().from_crawler(crawler)
        mw.base = crawler.settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        mw.cap = crawler.settings.getfloat("RETRY_BACKOFF_MAX", 60.0)
        return mw

    async def _pause(self, request: Request, retry_after: str | None = None) -> None:
        attempt = request.meta.get("retry_times", 0) + 1
        delay = backoff_delay(attempt, self.base, self.cap, retry_after)
        if delay > 0:
            self.crawler.stats.inc_value("voclens/retry_backoff_seconds", round(delay, 2))
            await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))

    async def process_response(self, request: Request, response: Response, spider=None):
        if (response.status in self.retry_http_codes and not request.meta.get("dont_retry")
                and request.meta.get("retry_times", 0) < request.meta.get("max_retry_times", self.max_retry_times)):
            header = response.headers.get(b"Retry-After")
            await self._pause(request, header.decode("latin-1") if header else None)
        return super().process_response(request, response)

    async def process_exception(self, request: Request, exception: Exception, spider=None):
        if (isinstance(exception, self.exceptions_to_retry) and not request.meta.get("dont_retry")
                and request.meta.get("retry_times", 0) < request.meta.get("max_retry_times", self.max_retry_times)):
            await self._pause(request)
        return super().process_exception(request, exception)


class ProxyMiddleware:
    """Send every request through ``CRAWL_PROXY`` (unless a request names its own proxy).

    Scrapy's ``HttpProxyMiddleware`` (enabled by default) then handles the
    ``proxy`` meta key, including credentials in the URL; ``http_proxy`` and
    ``https_proxy`` environment variables keep working without this setting.
    """

    def __init__(self, proxy: str):
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        proxy = crawler.settings.get("CRAWL_PROXY")
        if not proxy:
            raise NotConfigured
        return cls(proxy)

    def process_request(self, request: Request, spider=None):
        request.meta.setdefault("proxy", self.proxy)
        return None
