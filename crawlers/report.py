"""The end-of-crawl summary: what a crawl saw, wrote, skipped and failed on, from Scrapy stats."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: Scrapy stats prefixes whose suffix is an error type, and the name the summary gives them.
_ERROR_PREFIXES = {
    "downloader/exception_type_count/": "download",
    "spider_exceptions/": "spider",
    "voclens/page_errors/": "page",
    "voclens/failed_pages/": "failed",
    "voclens/write_errors/": "write",
    "httperror/response_ignored_status_count/": "http",
}


@dataclass
class CrawlSummary:
    """Counts of one crawl; ``errors`` maps ``kind:type`` (``http:503``, ``page:malformed-json``) to a count."""

    spider: str
    finish_reason: str | None = None
    pages: int = 0
    items_seen: int = 0
    new: int = 0
    updated: int = 0
    #: items refused because the document or its author was erased (a takedown; not an error)
    erased: int = 0
    #: documents published to the classification queue (``voclens crawl --queue``) instead of written
    queued: int = 0
    duplicates_exact: int = 0
    duplicates_near: int = 0
    invalid: int = 0
    invalid_by_field: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    robots_forbidden: int = 0
    incremental_stops: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    backoff_s: float = 0.0
    elapsed_s: float = 0.0
    #: the shares of rejected items, failed requests and item-less pages, and the verdict
    #: (``crawlers.health``); None when health checks are switched off
    health: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarise(spider: str, stats: dict[str, Any]) -> CrawlSummary:
    """Build the summary from a crawler's final stats (``crawler.stats.get_stats()``)."""
    s = CrawlSummary(spider=spider, finish_reason=stats.get("finish_reason"))
    s.pages = int(stats.get("response_received_count", 0))
    s.items_seen = int(stats.get("voclens/items_seen", 0))
    s.new = int(stats.get("voclens/new", 0))
    s.updated = int(stats.get("voclens/updated", 0))
    s.erased = int(stats.get("voclens/erased", 0))
    s.queued = int(stats.get("voclens/queued", 0))
    s.duplicates_exact = int(stats.get("voclens/duplicates/exact", 0))
    s.duplicates_near = int(stats.get("voclens/duplicates/near", 0))
    s.retries = int(stats.get("retry/count", 0))
    s.robots_forbidden = int(stats.get("robotstxt/forbidden", 0))
    s.incremental_stops = int(stats.get("voclens/incremental_stops", 0))
    s.invalid_by_field = {k.removeprefix("voclens/invalid/"): int(v) for k, v in stats.items()
                          if k.startswith("voclens/invalid/")}
    s.invalid = int(stats.get("voclens/invalid", 0))
    for key, value in stats.items():
        for prefix, kind in _ERROR_PREFIXES.items():
            if key.startswith(prefix):
                name = key.removeprefix(prefix).rsplit(".", 1)[-1]
                s.errors[f"{kind}:{name}"] = s.errors.get(f"{kind}:{name}", 0) + int(value)
    for key, value in stats.items():
        if key.startswith("retry/reason_count/"):
            name = key.removeprefix("retry/reason_count/").split(" ", 1)[0].rsplit(".", 1)[-1]
            s.errors[f"retried:{name}"] = s.errors.get(f"retried:{name}", 0) + int(value)
    health = stats.get("voclens/health")
    s.health = dict(health) if isinstance(health, dict) else None
    s.backoff_s = round(float(stats.get("voclens/retry_backoff_seconds", 0)), 2)
    start, finish = stats.get("start_time"), stats.get("finish_time")
    if start and finish:
        s.elapsed_s = round((finish - start).total_seconds(), 3)
    return s
