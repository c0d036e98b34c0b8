"""Item pipelines: item -> document -> de-duplicated -> enriched and classified -> written in bulk.

``DocumentPipeline`` normalises, validates and applies privacy in one step
because ``record_to_document`` does all three for every way in (imports,
the API, crawls): dates to UTC, ratings to 0-5, author handles hashed,
phone numbers and e-mails masked. An invalid item is dropped with its
reason and counted by field (``voclens/invalid/<field>``); the crawl goes on.

Stats written (Scrapy stats, summarised by ``crawlers.report``):
``voclens/items_seen``, ``voclens/new``, ``voclens/updated``, ``voclens/erased`` (refused:
the document or its author was erased, see ``Backend.erase``),
``voclens/duplicates/exact``, ``voclens/duplicates/near``,
``voclens/invalid/<field>``, ``voclens/write_errors/<type>``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from .dedupe import FingerprintIndex, simhash
from .enrich import enrich
from .errors import RecordError
from .items import CrawledDocument, FeedbackItem
from .normalize import RecordOptions, record_to_document
from .runtime import CrawlComponents, component_factory, open_components

log = logging.getLogger(__name__)


class _Pipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        component_factory(crawler.settings)  # no factory: stop here, before the spider opens
        self.comp: CrawlComponents | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)

    def open_spider(self) -> None:
        """Open the crawl's components through its ``CRAWL_COMPONENTS`` factory (once per crawl)."""
        self.comp = open_components(self.crawler)


class DocumentPipeline(_Pipeline):
    """FeedbackItem -> CrawledDocument via ``record_to_document`` (normalise, validate, privacy)."""

    def process_item(self, item):
        if isinstance(item, CrawledDocument):
            return item
        self.stats.inc_value("voclens/items_seen")
        adapter = ItemAdapter(item)
        if isinstance(item, FeedbackItem):
            record, scope, tz, scale = item.record(), item.scope, item.tz, item.rating_scale
        else:  # a plain dict item from a custom spider: same field names
            record = {k: v for k, v in adapter.items() if k not in ("scope", "tz", "rating_scale")}
            scope, tz, scale = adapter.get("scope", ""), adapter.get("tz", "UTC"), adapter.get("rating_scale", 5.0)
        options = RecordOptions(tz=tz, rating_scale=float(scale), extra="reject",
                                salt=self.comp.salt)
        try:
            doc = record_to_document(record, options)
        except RecordError as exc:
            self.stats.inc_value("voclens/invalid")
            for field, _ in exc.problems:
                self.stats.inc_value(f"voclens/invalid/{field or 'record'}")
            raise DropItem(f"invalid item {record.get('source')}:{record.get('source_id')}: {exc}") from None
        return CrawledDocument(document=doc, scope=scope, seen_at=datetime.now(UTC))


class DedupePipeline(_Pipeline):
    """Drop exact repeats within a crawl; mark (or drop) near-duplicates of earlier texts.

    Exact repeats across crawls are not duplicates: the stable id makes the
    write an update (counted as ``updated``). Near-duplicates are found by
    SimHash among this crawl's documents and the fingerprints of earlier
    crawls; with ``CRAWL_NEAR_DUPLICATES = "mark"`` they are stored with
    ``meta.duplicate_of`` (the original's id) and ``meta.duplicate_distance``,
    so counts stay honest and the spam stays inspectable; ``"drop"`` skips them.
    """

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.mode = crawler.settings.get("CRAWL_NEAR_DUPLICATES", "mark")
        if self.mode not in ("mark", "drop"):
            raise ValueError(f"CRAWL_NEAR_DUPLICATES must be 'mark' or 'drop', not {self.mode!r}")
        self.seen_ids: set[str] = set()
        self.index = FingerprintIndex()

    def process_item(self, item: CrawledDocument):
        doc = item.document
        if doc.id in self.seen_ids:
            self.stats.inc_value("voclens/duplicates/exact")
            raise DropItem(f"duplicate: {doc.source}:{doc.source_id} was already crawled in this run")
        self.seen_ids.add(doc.id)
        item.fingerprint = simhash(doc.text)
        if item.fingerprint is None:
            return item
        match = self.index.nearest(item.fingerprint, exclude_id=doc.id)
        if match is None:
            match = self.comp.state.nearest(item.fingerprint, exclude_id=doc.id)
        self.index.add(item.fingerprint, doc.id)
        if match is None:
            return item
        original, dist = match
        self.stats.inc_value("voclens/duplicates/near")
        if self.mode == "drop":
            raise DropItem(f"near-duplicate of {original} (distance {dist}): {doc.source}:{doc.source_id}")
        item.document = doc.model_copy(update={"meta": {**doc.meta, "duplicate_of": original,
                                                         "duplicate_distance": dist}})
        return item


class IndexPipeline(_Pipeline):
    """Enrich, classify and upsert documents in batches of ``CRAWL_BATCH_SIZE``.

    A batch that fails to write is logged and counted by error type
    (``voclens/write_errors/<type>``) and stops watermarks from advancing,
    so the next crawl fetches those items again; the crawl itself goes on.
    """

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.batch_size = crawler.settings.getint("CRAWL_BATCH_SIZE", 100)
        self.buffer: list[CrawledDocument] = []
        #: ``CRAWL_QUEUE_URL`` set (``voclens crawl --queue``): publish for ``voclens worker`` instead of writing
        self.queue_url = crawler.settings.get("CRAWL_QUEUE_URL")
        self.publisher = None

    def open_spider(self) -> None:
        super().open_spider()
        if self.queue_url:
            from .queue import Publisher, connect

            self.publisher = Publisher(connect(self.queue_url),
                                       self.crawler.settings.get("CRAWL_QUEUE_STREAM", "voclens:documents"))

    def process_item(self, item: CrawledDocument):
        self.buffer.append(item)
        if len(self.buffer) >= self.batch_size:
            self.flush()
        return item

    def close_spider(self):
        self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        comp = self.comp
        docs = [c.document for c in batch]
        if self.publisher is not None:
            self._publish(batch, docs)
            return
        try:
            enriched = enrich(docs, comp.analyser, comp.classifier)
            result = comp.backend.upsert(enriched)
        except Exception as exc:  # a backend or model failure must not kill the crawl
            comp.write_failures += 1
            self.stats.inc_value(f"voclens/write_errors/{type(exc).__name__}", len(batch))
            log.error("batch write failed", extra={"documents": len(batch), "error": str(exc)})
            return
        self.stats.inc_value("voclens/new", result.created)
        self.stats.inc_value("voclens/updated", result.updated)
        if result.erased:
            self.stats.inc_value("voclens/erased", result.erased)
        comp.state.add_fingerprints((c.document.id, c.fingerprint) for c in batch if c.fingerprint is not None)
        log.info("batch written", extra={"documents": len(batch), "new": result.created,
                                         "updated": result.updated, "erased": result.erased})

    def _publish(self, batch: list[CrawledDocument], docs: list) -> None:
        """Queue the batch unclassified (``voclens worker`` classifies and writes it); counted as ``voclens/queued``."""
        try:
            self.publisher.publish(docs)
        except Exception as exc:  # Redis down: counted like a failed write, watermarks stay
            self.comp.write_failures += 1
            self.stats.inc_value(f"voclens/write_errors/{type(exc).__name__}", len(batch))
            log.error("batch publish failed", extra={"documents": len(batch), "error": str(exc)})
            return
        self.stats.inc_value("voclens/queued", len(docs))
        self.comp.state.add_fingerprints((c.document.id, c.fingerprint) for c in batch if c.fingerprint is not None)
