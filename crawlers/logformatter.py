"""Scrapy log lines that name an item by its source and id, never by its content.

Scrapy's own formatter writes the whole item into the log when it is dropped
(a warning) or scraped (debug): the raw text, the author's handle and uid,
before any masking. Logs are kept and shipped elsewhere, so voclens logs
``source:source_id`` instead (``LOG_FORMATTER`` in ``crawlers.settings``).
"""

from __future__ import annotations

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


class PrivateLogFormatter(LogFormatter):
    """``LogFormatter`` with every item replaced by its label."""

    def dropped(self, item, exception, response, spider):
        return super().dropped(item_label(item), exception, response, spider)

    def scraped(self, item, response, spider):
        return super().scraped(item_label(item), response, spider)

    def item_error(self, item, exception, response, spider):
        return super().item_error(item_label(item), exception, response, spider)
