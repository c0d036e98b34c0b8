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
"""

from __future__ import annotations

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as _ScrapyRobotsTxtMiddleware
from scrapy.http import Request
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


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
