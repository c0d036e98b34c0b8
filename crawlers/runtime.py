"""What a crawl writes with: the backend, analyser, classifier and crawl state, opened once per crawl.

Spiders and pipelines reach them through ``components(crawler)``. The object
is built by the factory named in the Scrapy setting ``CRAWL_COMPONENTS``
(default ``api.crawl.open_components``, which reads voclens settings), so the
crawlers package itself never reads environment variables, and a test or a
bench can hand in its own factory.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.misc import load_object

from index.base import Backend
from nlp.analyser import Analyser
from nlp.classifier import Classifier

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


def components(crawler: Crawler) -> CrawlComponents:
    """The crawl's components, opened on first use and closed when the spider closes."""
    comp = getattr(crawler, "_voclens_components", None)
    if comp is None:
        factory = load_object(crawler.settings.get("CRAWL_COMPONENTS"))
        comp = factory(crawler.settings)
        crawler._voclens_components = comp
        # Connected after the spider's own spider_closed handler, so the spider
        # can still advance its watermarks before the state file is closed.
        crawler.signals.connect(lambda spider, reason: comp.close(), signal=signals.spider_closed, weak=False)
    return comp
