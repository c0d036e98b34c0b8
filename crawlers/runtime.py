"""What a crawl writes with: the backend, analyser, classifier and crawl state, opened once per crawl.

Whoever starts a crawl hands in the factory that builds them, as the Scrapy
setting ``CRAWL_COMPONENTS``: a callable ``f(scrapy_settings) -> CrawlComponents``
(``voclens crawl`` passes the one that reads voclens settings; a test or a
bench passes its own), or, from a plain ``scrapy crawl -s``, its dotted path.
So the crawlers package never reads voclens settings or environment
variables, and names nothing above it. There is no default: a crawl without
a factory stops with ``ComponentsError`` before anything is fetched.

The item pipelines open the components in ``open_spider`` (``open_components``);
spiders and pipelines reach them afterwards through ``components(crawler)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from scrapy.utils.misc import load_object

from index.base import Backend
from nlp.analyser import Analyser
from nlp.classifier import Classifier

from .errors import ComponentsError
from .state import CrawlState

log = logging.getLogger(__name__)


@dataclass
class CrawlComponents:
    """Everything the pipelines write with.

    Attributes:
        salt: key for hashing author handles (voclens ``author_salt``).
        write_failures: batches that could not be written; while non-zero the
            crawl does not advance its watermarks.
    """

    backend: Backend
    analyser: Analyser
    classifier: Classifier | None
    state: CrawlState
    salt: str
    write_failures: int = 0
    closed: bool = field(default=False, repr=False)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.state.close()
            self.backend.close()


ComponentsFactory = Callable[[BaseSettings], CrawlComponents]


def component_factory(settings: BaseSettings) -> ComponentsFactory:
    """The ``CRAWL_COMPONENTS`` factory: a callable as given, a dotted path loaded.

    Raises:
        ComponentsError: the setting is missing, or names nothing callable.
    """
    factory = settings.get("CRAWL_COMPONENTS")
    if isinstance(factory, str) and factory.strip():
        try:
            factory = load_object(factory.strip())
        except (ImportError, NameError, ValueError) as exc:
            raise ComponentsError(f"CRAWL_COMPONENTS {factory!r} cannot be loaded: {exc}") from None
    if not callable(factory):
        raise ComponentsError(
            "CRAWL_COMPONENTS is not set: a crawl needs a factory that opens the backend, analyser, "
            "classifier and crawl state it writes with. Start crawls with `voclens crawl`; with plain "
            "Scrapy, pass -s CRAWL_COMPONENTS=<module.function> (see docs/crawling.md)."
            if factory in (None, "") else f"CRAWL_COMPONENTS must be a callable or its dotted path, not {factory!r}")
    return factory


def open_components(crawler: Crawler) -> CrawlComponents:
    """Open the crawl's components through its factory, once; they close when the spider closes.

    Called by every voclens item pipeline in ``open_spider``: the first opens
    them, the rest get the same object.

    Raises:
        ComponentsError: the crawl has no factory (see ``component_factory``).
    """
    comp = getattr(crawler, "_voclens_components", None)
    if comp is None:
        comp = component_factory(crawler.settings)(crawler.settings)
        crawler._voclens_components = comp
        # Connected after the spider's own spider_closed handler, so the spider
        # can still advance its watermarks before the state file is closed.
        crawler.signals.connect(lambda spider, reason: comp.close(), signal=signals.spider_closed, weak=False)
    return comp


def components(crawler: Crawler) -> CrawlComponents:
    """The crawl's open components (spiders read the crawl state and the salt through them).

    Raises:
        ComponentsError: they are not open: no voclens item pipeline has opened the spider.
    """
    comp = getattr(crawler, "_voclens_components", None)
    if comp is None:
        raise ComponentsError("the crawl's components are not open: the voclens item pipelines open them when "
                              "the spider opens (ITEM_PIPELINES in crawlers/settings.py)")
    return comp
