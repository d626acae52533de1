"""Downloader middlewares: robots.txt for every request, polite retries that honour ``Retry-After``, bot walls.

Both report through the request's errback (``ReviewSpider.on_error``), so a block ends up in the crawl summary.
"""

from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message
from twisted.internet.defer import Deferred

log = logging.getLogger(__name__)


class BlockedByBotWall(IgnoreRequest):
    """The site answered with a bot challenge (CAPTCHA / JavaScript check) instead of the page."""


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware with one fix: every request that waits for robots.txt gets its rules.

    Scrapy 2.19 lets all requests that arrive while robots.txt is downloading await one shared Deferred; the first
    waiter consumes the result and the others get None, which means "allow everything" (measured: with three start
    URLs on one site the third, disallowed, was fetched). Once robots.txt is parsed the rules are stored per host,
    so a waiter that got None reads them from there.
    """

    async def robot_parser(self, request: Request) -> Any:
        parser = await super().robot_parser(request)
        if parser is None:
            settled = self._parsers.get(urlparse_cached(request).netloc)
            if settled is not None and not isinstance(settled, Deferred):
                return settled
        return parser


class PoliteRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, plus waiting: ``Retry-After`` when sent (429/503), else exponential backoff.

    The wait holds back every request to that host, not only the retried one: a server that says "slow down"
    means the whole site. Waits longer than ``VOCMINE_MAX_RETRY_AFTER`` give the request up instead.
    """

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("VOCMINE_RETRY_BACKOFF", 2.0)
        self.max_wait = settings.getfloat("VOCMINE_MAX_RETRY_AFTER", 300.0)
        self._not_before: dict[str, float] = {}

    async def process_request(self, request: Request) -> None:
        wait = self._not_before.get(_host(request), 0.0) - time.monotonic()
        if wait > 0:
            await sleep(wait)

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        wait = self._wait(request, retry_after=response.headers.get(b"Retry-After"))
        if wait is None:
            log.warning("giving up %s: Retry-After asks for more than %.0fs", request.url, self.max_wait)
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        self._hold(request, wait)
        return retry

    def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:  # type: ignore[override]
        retry = super().process_exception(request, exception)
        if isinstance(retry, Request):
            self._hold(request, self._wait(request, retry_after=None) or 0.0)
        return retry

    def _wait(self, request: Request, *, retry_after: bytes | None) -> float | None:
        if retry_after:
            seconds = parse_retry_after(retry_after.decode("latin-1"))
            if seconds is not None:
                return seconds if seconds <= self.max_wait else None
        return min(self.backoff * 2 ** request.meta.get("retry_times", 0), self.max_wait)

    def _hold(self, request: Request, wait: float) -> None:
        host = _host(request)
        self._not_before[host] = max(self._not_before.get(host, 0.0), time.monotonic() + wait)
        self.crawler.stats.inc_value("vocmine/retry_wait_ms", round(wait * 1000))
        log.info("waiting %.1fs before retrying %s", wait, request.url)


def parse_retry_after(value: str) -> float | None:
    """``Retry-After`` is either delay seconds or an HTTP date (RFC 9110 §10.2.3)."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


# Markers of the challenge pages served by the common bot-protection services, as they appear in page source.
BOT_WALL_MARKERS = {
    "Cloudflare": (b"cf-chl-", b"challenge-platform", b"<title>Just a moment...</title>"),
    "DataDome": (b"captcha-delivery.com", b"geo.captcha-delivery"),
    "PerimeterX / HUMAN": (b"px-captcha", b"_pxAppId"),
    "Akamai": (b"errors.edgesuite.net",),
    "Imperva": (b"_Incapsula_Resource",),
}


class BotWallMiddleware:
    """Recognise bot-protection challenge pages and stop there: vocmine never tries to get around them."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> BotWallMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in (200, 202, 403, 405, 429, 503):
            return response
        head = response.body[:20_000]
        for service, markers in BOT_WALL_MARKERS.items():
            if any(marker in head for marker in markers):
                self.crawler.stats.inc_value("vocmine/bot_wall")
                raise BlockedByBotWall(f"{service} bot challenge (HTTP {response.status})")
        return response


def _host(request: Request) -> str:
    return urlparse_cached(request).netloc
