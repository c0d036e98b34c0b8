"""robots.txt obeyed for every request, also for the ones queued while robots.txt is still downloading.

Scrapy's ``RobotsTxtMiddleware`` (2.13 and later) keeps one Deferred per site
while robots.txt downloads and lets every waiting request ``await`` that same
Deferred. Twisted hands a Deferred's result to its first awaiter only; the
others get ``None``, which the middleware reads as "no robots.txt, everything
allowed". So in a crawl that starts with three or more requests to one site,
the second and later waiters skipped the check: a disallowed feed was fetched
and ``robotstxt/forbidden`` stayed 0 (with one or two start URLs the single
waiter got the parser, so small crawls looked fine).

``RobotsTxtMiddleware`` here gives each waiter its own Deferred, fed from the
shared one, so every request is checked against the parsed rules.

It also follows RFC 9309 when robots.txt cannot be had: Scrapy parses a 5xx
error page as if it were robots.txt (no rules: everything allowed) and
allows everything when the download fails. Here a robots.txt that still
answers 5xx or 429 after the retries, or that cannot be downloaded, means
"disallow everything" on that site for this crawl (counted as
``voclens/robots_unavailable``; each refused page as ``robotstxt/forbidden``).
A 4xx (no robots.txt) still allows everything, as the RFC says.
"""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as _ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

log = logging.getLogger(__name__)
DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


class RobotsTxtMiddleware(_ScrapyRobotsTxtMiddleware):
    """Scrapy's middleware with one Deferred per waiting request (see the module docstring).

    Enabled in ``crawlers.settings`` in place of Scrapy's own; ``ROBOTSTXT_OBEY``
    and ``ROBOTSTXT_USER_AGENT`` work as documented by Scrapy.
    """

    async def robot_parser(self, request: Request):
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(pending, Deferred):
            return await super().robot_parser(request)  # first request of a site, or robots.txt already parsed
        own: Deferred = Deferred()

        def relay(result):
            own.callback(result)
            return result  # keep the result on the shared Deferred for the next waiter

        pending.addCallback(relay)
        return await maybe_deferred_to_future(own)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500 or response.status == 429:
            self._unavailable(netloc, f"HTTP {response.status}")
            response = response.replace(body=DISALLOW_ALL)
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest):  # refused by another middleware, not by the site
            return super()._robots_error(exc, netloc)
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        self._unavailable(netloc, f"{type(exc).__name__}: {exc}")
        parser = build_from_crawler(self._parserimpl, self.crawler, DISALLOW_ALL)
        pending = self._parsers[netloc]
        self._parsers[netloc] = parser
        if isinstance(pending, Deferred):
            pending.callback(parser)

    def _unavailable(self, netloc: str, why: str) -> None:
        self._stats.inc_value("voclens/robots_unavailable")
        log.error("robots.txt unavailable: nothing on this site is fetched in this crawl",
                  extra={"site": netloc, "error": why})
