"""Scrapy log lines that name an item by its source and id, never by its content.

Scrapy's own formatter writes the whole item into the log when it is dropped
(a warning) or scraped (debug): the raw text, the author's handle and uid,
before any masking. Logs are kept and shipped elsewhere, so voclens logs
``source:source_id`` instead (``LOG_FORMATTER`` in ``crawlers.settings``).
Scrapy 2.19 also attaches the item itself to the log record (``extra={"item":
item}``), and a structured log handler writes every extra field: a filter on
Scrapy's item-handling loggers puts the label there too.
"""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter, is_item
from scrapy.logformatter import LogFormatter

from .items import CrawledDocument


def item_label(item: Any) -> str:
    """``source:source_id`` of a FeedbackItem, CrawledDocument or dict item; its type otherwise."""
    if isinstance(item, CrawledDocument):
        return f"{item.document.source}:{item.document.source_id}"
    if is_item(item):
        adapter = ItemAdapter(item)
        return f"{adapter.get('source')}:{adapter.get('source_id')}"
    return type(item).__name__


#: Scrapy's loggers that attach the item being processed to their records.
ITEM_LOGGERS = ("scrapy.core.scraper", "scrapy.core.engine")


class ItemLabelFilter(logging.Filter):
    """Replace an item attached to a log record (``record.item``) by its label."""

    def filter(self, record: logging.LogRecord) -> bool:
        item = getattr(record, "item", None)
        if item is not None and not isinstance(item, str):
            record.item = item_label(item)
        return True


def install_item_filter() -> None:
    """Put ``ItemLabelFilter`` on Scrapy's item loggers (once per process)."""
    for name in ITEM_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ItemLabelFilter) for f in logger.filters):
            logger.addFilter(ItemLabelFilter())


class PrivateLogFormatter(LogFormatter):
    """``LogFormatter`` with every item replaced by its label, in the message and on the record."""

    @classmethod
    def from_crawler(cls, crawler):
        install_item_filter()
        return cls()

    def dropped(self, item, exception, response, spider):
        return super().dropped(item_label(item), exception, response, spider)

    def scraped(self, item, response, spider):
        return super().scraped(item_label(item), response, spider)

    def item_error(self, item, exception, response, spider):
        return super().item_error(item_label(item), exception, response, spider)
