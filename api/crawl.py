"""The edge between voclens settings and Scrapy: Scrapy settings for a crawl, and its components.

``voclens crawl`` hands ``open_components`` to the crawl as the ``CRAWL_COMPONENTS``
Scrapy setting (plain ``scrapy crawl`` takes ``-s CRAWL_COMPONENTS=api.crawl.open_components``),
so the crawl writes to the configured backend with the configured model and salt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy.settings import Settings as ScrapySettings

from .settings import Settings


def scrapy_settings(
    settings: Settings,
    *,
    classify: bool = True,
    model: str | None = None,
    jobdir: Path | None = None,
    overrides: dict[str, Any] | None = None,
    redis_url: str | None = None,
    redis_run: str = "default",
    queue: bool = False,
) -> ScrapySettings:
    """``crawlers.settings`` with voclens ``crawl_*`` settings (health thresholds too) and command-line options applied.

    Args:
        overrides: raw Scrapy settings (``--set KEY=VALUE``), applied last.
        redis_url: share the crawl with other workers through this Redis
            (default: ``crawl_redis_url``); ``redis_run`` names the shared run.
        queue: publish documents to the classification queue (``queue_redis_url``)
            for ``voclens worker`` instead of classifying and writing them here.
    """
    s = ScrapySettings()
    s.setmodule("crawlers.settings", priority="project")
    s.setdict({
        "USER_AGENT": settings.crawl_user_agent,
        "CRAWL_PROXY": settings.crawl_proxy,
        "CONCURRENT_REQUESTS_PER_DOMAIN": settings.crawl_concurrency_per_domain,
        "DOWNLOAD_DELAY": settings.crawl_download_delay,
        "CRAWL_BATCH_SIZE": settings.crawl_batch_size,
        "CRAWL_NEAR_DUPLICATES": settings.crawl_near_duplicates,
        "CRAWL_CLASSIFY": classify,
        "CRAWL_MODEL": model,
        "CRAWL_COMPONENTS": open_components,
        "CRAWL_HEALTH_MAX_REJECTED_SHARE": settings.crawl_health_max_rejected_share,
        "CRAWL_HEALTH_MAX_FAILED_SHARE": settings.crawl_health_max_failed_share,
        "CRAWL_HEALTH_MAX_ITEM_LESS_SHARE": settings.crawl_health_max_item_less_share,
        "CRAWL_HEALTH_MIN_ITEMS": settings.crawl_health_min_items,
        "CRAWL_HEALTH_MIN_PAGES": settings.crawl_health_min_pages,
    }, priority="cmdline")
    if queue:
        s.setdict({"CRAWL_QUEUE_URL": queue_url(settings), "CRAWL_QUEUE_STREAM": settings.queue_stream,
                   "CRAWL_CLASSIFY": False}, priority="cmdline")
    redis_url = redis_url or settings.crawl_redis_url
    if redis_url:
        from crawlers.distributed import redis_settings

        s.setdict(redis_settings(redis_url, redis_run), priority="cmdline")
    if jobdir is not None:
        s.set("JOBDIR", str(jobdir), priority="cmdline")
    if overrides:
        s.setdict(overrides, priority="cmdline")
    return s


def open_components(crawler_settings: ScrapySettings):
    """``CRAWL_COMPONENTS`` factory: backend, analyser, classifier and crawl state from voclens settings."""
    from crawlers.runtime import CrawlComponents
    from crawlers.state import STATE_FILE, CrawlState

    from .components import analyser_for, load_classifier, open_configured_backend

    settings = Settings()
    classifier = None
    if crawler_settings.getbool("CRAWL_CLASSIFY", True):
        classifier = load_classifier(settings, crawler_settings.get("CRAWL_MODEL") or None)
    backend = open_configured_backend(settings)
    from .own_topics import with_own_topics

    classifier = with_own_topics(classifier, backend)  # own topics' labels at the write
    return CrawlComponents(backend=backend, analyser=analyser_for(settings), classifier=classifier,
                           state=CrawlState(settings.data_dir / STATE_FILE), salt=settings.author_salt)


def queue_url(settings: Settings) -> str:
    """The Redis of the classification queue: ``queue_redis_url``, else ``crawl_redis_url``.

    Raises:
        ValueError: neither is set (the message names both settings).
    """
    url = settings.queue_redis_url or settings.crawl_redis_url
    if not url:
        raise ValueError("the queue needs Redis: set queue_redis_url (VOCLENS_QUEUE_REDIS_URL=redis://host:6379/0)")
    return url
