"""Scrapy settings of the voclens crawlers (``SCRAPY_SETTINGS_MODULE=crawlers.settings``).

Crawl behaviour lives here; what to write with (backend, model, salt, data
directory) comes from the ``CRAWL_COMPONENTS`` factory that the command
starting the crawl sets (``crawlers.runtime``).
``voclens crawl`` maps voclens settings (``crawl_*``) and its options onto
these; ``scrapy crawl -s KEY=VALUE`` overrides them directly.
"""

BOT_NAME = "voclens"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

# -- good citizenship --------------------------------------------------------------
USER_AGENT = "voclens/0.1 (+https://github.com/voclens/voclens)"
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_TIMEOUT = 30
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# -- retries: 429 and 5xx with backoff (crawlers.middlewares.BackoffRetryMiddleware) --
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
RETRY_BACKOFF_BASE = 1.0
RETRY_BACKOFF_MAX = 60.0
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.BackoffRetryMiddleware": 550,
    "crawlers.middlewares.ProxyMiddleware": 740,  # before HttpProxyMiddleware (750)
    # robots.txt checked for every request, also those queued while it downloads (crawlers/robots.py)
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawlers.robots.RobotsTxtMiddleware": 100,
}
#: Proxy URL for every request (``http://user:pass@host:port``); None = direct or *_proxy env vars.
CRAWL_PROXY = None

# -- the voclens pipeline ------------------------------------------------------------
ITEM_PIPELINES = {
    "crawlers.pipelines.DocumentPipeline": 100,
    "crawlers.pipelines.DedupePipeline": 200,
    "crawlers.pipelines.IndexPipeline": 300,
}
#: Factory ``f(scrapy_settings) -> CrawlComponents`` (backend, analyser, classifier, state), or its
#: dotted path: set by whoever starts the crawl (``voclens crawl`` does); none = the crawl stops with an error.
CRAWL_COMPONENTS = None
#: Classify items with the configured model (False: language and keywords only).
CRAWL_CLASSIFY = True
#: Model name for classification; None = voclens ``model`` setting.
CRAWL_MODEL = None
#: Documents per enrich-and-write batch.
CRAWL_BATCH_SIZE = 100
#: Near-duplicates (copy-pasted reviews): "mark" stores them with meta.duplicate_of; "drop" skips them.
CRAWL_NEAR_DUPLICATES = "mark"

# -- spider contracts (scrapy check): @site and @fills, see crawlers/contracts.py ----
SPIDER_CONTRACTS = {"crawlers.contracts.SiteContract": 10, "crawlers.contracts.FillsContract": 10}
#: Origin @site contracts fetch from (a fixture site in tests); None = each spider's base_url.
CONTRACT_SITE_URL = None

# -- scale-out (optional): scheduler queue and seen-requests filter in Redis (crawlers/distributed.py) --
#: ``redis://host:port/db`` shared by every worker; None = this process crawls alone (``voclens crawl --redis-url``).
CRAWL_REDIS_URL = None
#: Seconds an idle worker waits for other workers to queue more pages before it closes.
CRAWL_REDIS_IDLE_CLOSE = 5.0
EXTENSIONS = {
    "crawlers.distributed.RedisWorkers": 500,  # switched off unless CRAWL_REDIS_URL is set
    "crawlers.health.CrawlHealth": 600,
}

# -- crawl health: fail the crawl when a share passes its threshold (crawlers/health.py) --
SPIDER_MIDDLEWARES = {"crawlers.health.PageItemsMiddleware": 1100}  # after Scrapy's own: sees what callbacks yield
#: Judge crawls at all (False: a crawl that stores nothing still "finishes").
CRAWL_HEALTH_ENABLED = True
#: Fail when more than this share of items is rejected as invalid (judged from CRAWL_HEALTH_MIN_ITEMS items).
CRAWL_HEALTH_MAX_REJECTED_SHARE = 0.5
#: Fail when more than this share of requested pages failed after retries (or robots.txt refused them).
CRAWL_HEALTH_MAX_FAILED_SHARE = 0.5
#: Fail when more than this share of fetched pages held no item (none yielded, none skipped as known or old).
CRAWL_HEALTH_MAX_ITEM_LESS_SHARE = 0.8
#: Fewest items before the rejected share is judged, and fewest pages before the page shares are.
CRAWL_HEALTH_MIN_ITEMS = 5
CRAWL_HEALTH_MIN_PAGES = 1
#: More spidermon monitors or suites (dotted paths) whose failure fails the crawl, e.g.
#: "spidermon.contrib.scrapy.monitors.ItemCountMonitor" with SPIDERMON_MIN_ITEMS = 10.
CRAWL_HEALTH_MONITORS: list[str] = []

# -- privacy: log items by source:source_id, never their content (crawlers/logformatter.py) --
LOG_FORMATTER = "crawlers.logformatter.PrivateLogFormatter"

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
