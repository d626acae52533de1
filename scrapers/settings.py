"""Scrapy settings of the vocmine project, and their overlay from vocmine's own config (``scrapers`` section).

The module-level names are the project defaults Scrapy reads (``scrapy list`` works from the repo root through
``scrapy.cfg``); :func:`for_source` adds what comes from ``configs/*.yaml`` for one configured source.
"""

from __future__ import annotations

import hashlib
from typing import Any

BOT_NAME = "vocmine"
SPIDER_MODULES = ["scrapers.spiders"]
NEWSPIDER_MODULE = "scrapers.spiders"

# Politeness: robots.txt, one request at a time per site, a delay that AutoThrottle adapts to the server.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
DOWNLOAD_TIMEOUT = 60

# Retries: 429 and 503 wait for Retry-After (PoliteRetryMiddleware replaces Scrapy's RetryMiddleware).
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "scrapers.middlewares.RobotsTxtMiddleware": 100,  # same place; fixes concurrent waiters (see its docstring)
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "scrapers.middlewares.PoliteRetryMiddleware": 550,
    "scrapers.middlewares.BotWallMiddleware": 560,  # sees responses before the retry middleware does
}
ITEM_PIPELINES = {"scrapers.pipelines.FeedbackPipeline": 300}

# The development cache never stores failures, so a 429 is not replayed forever.
HTTPCACHE_ENABLED = False
HTTPCACHE_IGNORE_HTTP_CODES = [403, 429, 500, 502, 503, 504]
HTTPCACHE_EXPIRATION_SECS = 24 * 3600

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
DEFAULT_DROPITEM_LOG_LEVEL = "WARNING"


def for_source(config: Any, source: Any, *, store_path: str) -> dict[str, Any]:
    """Scrapy settings for one configured source (``config`` is the root vocmine Settings)."""
    scrapers = config.scrapers
    crawl_dir = config.paths.crawl_dir.resolve()
    return {
        "USER_AGENT": scrapers.user_agent,
        "ROBOTSTXT_OBEY": scrapers.obey_robots,
        "CONCURRENT_REQUESTS_PER_DOMAIN": scrapers.concurrency_per_domain,
        "DOWNLOAD_DELAY": scrapers.download_delay,
        "AUTOTHROTTLE_ENABLED": scrapers.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(scrapers.download_delay, 1.0),
        "RETRY_TIMES": scrapers.retry_times,
        "VOCMINE_RETRY_BACKOFF": scrapers.retry_backoff_s,
        "VOCMINE_MAX_RETRY_AFTER": scrapers.max_retry_after_s,
        "HTTPCACHE_ENABLED": scrapers.http_cache,
        "HTTPCACHE_DIR": str(crawl_dir / "httpcache"),
        "JOBDIR": str(job_dir(config, source)),
        "VOCMINE_STORE": store_path,
        "VOCMINE_BATCH_SIZE": scrapers.batch_size,
    }


def job_dir(config: Any, source: Any) -> Any:
    """Where an interrupted crawl of this source keeps its queue, so the next run resumes it."""
    key = "|".join([source.spider, source.product, source.country, source.app_id or "", *source.start_urls])
    digest = hashlib.sha1(key.encode()).hexdigest()[:8]
    return config.paths.crawl_dir.resolve() / "jobs" / f"{source.spider}-{source.product}-{digest}"
