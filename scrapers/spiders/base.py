"""What every review spider shares: start requests from config, pagination that stops early, block reports.

A spider subclass supplies two pure parsers, ``parse_reviews(response)`` (the page's reviews) and
``parse_next(response)`` (the next page's URL or None), plus ``url_for_app`` when an id can name the start page.
Pagination stops at ``max_pages``, on a page older than ``since``, and — for incremental crawls — on a page whose
reviews are all stored already, unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlparse

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from scrapers.items import InvalidItem, ReviewItem, parse_date
from scrapers.spiders.markup import clean, dig, number


class ReviewSpider(scrapy.Spider):
    """Base of the review spiders. Spider arguments are the fields of ``scrapers.config.SourceSettings``."""

    #: The site's official way to get the same reviews, shown whenever the site blocks the crawler.
    official_path: ClassVar[str] = ""

    def __init__(
        self,
        product: str = "default",
        start_urls: Iterable[str] | str | None = None,
        app_id: str | None = None,
        country: str = "us",
        language: str | None = None,
        max_pages: int | str = 50,
        since: str | datetime | None = None,
        incremental: bool | str = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        urls = start_urls.split(",") if isinstance(start_urls, str) else list(start_urls or [])
        self.product = product
        self.start_urls = [as_url(u) for u in urls if u]
        self.app_id = app_id
        self.country = country.lower()
        self.language = language
        self.max_pages = int(max_pages)
        self.since = parse_date(since) if since else None
        self.incremental = incremental not in (False, "false", "0", "no")

    # -- to be provided by each site ------------------------------------------------------------------------
    def parse_reviews(self, response: Response) -> Iterator[ReviewItem]:
        raise NotImplementedError

    def parse_next(self, response: Response) -> str | None:
        raise NotImplementedError

    def url_for_app(self, app_id: str) -> str:
        raise ValueError(f"{self.name}: set start_urls for this source (the site has no id-based address)")

    def item(self, **fields: Any) -> ReviewItem:
        return ReviewItem(source=self.name, product=self.product, **fields)

    def item_from_json_ld(self, review: dict[str, Any], **fields: Any) -> ReviewItem:
        """A schema.org ``Review`` object (the JSON-LD most review sites embed for search engines)."""
        ident = str(review.get("@id") or review.get("identifier") or review.get("url") or "")
        author = review.get("author")
        best = number(dig(review, "reviewRating", "bestRating"))
        found: dict[str, Any] = {
            "external_id": ident.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1].removeprefix("review-") or None,
            "url": review.get("url") or (ident if ident.startswith("http") and "/#/" not in ident else None),
            "author": dig(author, "name") if isinstance(author, dict) else author,
            "rating": number(dig(review, "reviewRating", "ratingValue")),
            "rating_scale": int(best) if best else 5,
            "title": clean(review.get("headline") or review.get("name")),
            "body": clean(review.get("reviewBody")),
            "language": review.get("inLanguage"),
            "created_at": review.get("datePublished"),
            "raw": review,
        }
        return self.item(**{**found, **fields})

    # -- crawling ---------------------------------------------------------------------------------------------
    async def start(self) -> Any:
        urls = self.start_urls or ([self.url_for_app(self.app_id)] if self.app_id else [])
        if not urls:
            raise ValueError(f"{self.name}: source for {self.product!r} has neither start_urls nor app_id")
        for url in urls:
            yield self.page_request(url, page=1)

    def page_request(self, url: str, *, page: int, **kwargs: Any) -> Request:
        return Request(
            url, callback=self.on_page, errback=self.on_error, meta={"page": page}, dont_filter=page == 1, **kwargs
        )

    def next_request(self, response: Response, page: int) -> Request | None:
        url = self.parse_next(response)
        return self.page_request(response.urljoin(url), page=page + 1) if url else None

    def on_page(self, response: Response) -> Iterator[ReviewItem | Request]:
        page = int(response.meta.get("page", 1))
        self.crawler.stats.inc_value("vocmine/pages")
        reviews = list(self.parse_reviews(response))
        recent = [r for r in reviews if not self._older_than_since(r)]
        if len(recent) < len(reviews):
            self.crawler.stats.inc_value("vocmine/older_than_since", len(reviews) - len(recent))
        if not reviews:
            self.logger.warning("no reviews on %s (an empty page, or the site's layout changed)", response.url)
        stop = self._stop_reason(reviews, recent, page)
        yield from recent
        follow = self.next_request(response, page)
        if follow is None:
            return
        if stop:
            self.logger.info("not following page %d of %s: %s", page + 1, response.url, stop)
            self.crawler.stats.inc_value(f"vocmine/stopped/{stop.split(':')[0]}")
            return
        yield follow

    def _stop_reason(self, reviews: list[ReviewItem], recent: list[ReviewItem], page: int) -> str | None:
        if page >= self.max_pages:
            return f"max_pages: {self.max_pages} reached"
        if reviews and not recent:
            return f"since: every review is older than {self.since:%Y-%m-%d}"
        if not reviews:
            return None
        pipeline = _feedback_pipeline(self.crawler)
        if self.incremental and pipeline is not None and pipeline.page_is_known(recent):
            return "incremental: every review on the page is stored already, unchanged"
        return None

    def _older_than_since(self, item: ReviewItem) -> bool:
        if self.since is None:
            return False
        try:
            return parse_date(item.created_at) < self.since
        except InvalidItem:
            return False  # the pipeline rejects it with the reason

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        if failure.check(HttpError) and failure.value.response.status in (401, 403):
            self.report_blocked(url, f"HTTP {failure.value.response.status} (access denied)")
        elif failure.check(IgnoreRequest) and not failure.check(HttpError):
            self.report_blocked(url, str(failure.value) or "request ignored")
        else:
            if failure.check(HttpError):
                reason = f"HTTP {failure.value.response.status}"
            else:
                reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"
            self.logger.error("could not fetch %s: %s", url, reason)
            _append_stat(self.crawler, "vocmine/errors", f"{url}: {reason}")

    def report_blocked(self, url: str, reason: str) -> None:
        message = f"{self.name} ({self.product}): {reason}: {url} was not fetched."
        if self.official_path:
            message += f" Official path: {self.official_path}"
        self.logger.error(message)
        _append_stat(self.crawler, "vocmine/blocked", message)


def as_url(location: str) -> str:
    """URLs pass through; a file path (relative to the working directory) becomes a ``file://`` URL."""
    if urlparse(location).scheme in ("http", "https", "file", "data"):
        return location
    return Path(location).expanduser().resolve().as_uri()


def _feedback_pipeline(crawler: Any) -> Any:
    from scrapers.pipelines import FeedbackPipeline

    try:
        return crawler.get_item_pipeline(FeedbackPipeline)
    except RuntimeError:  # the crawler has no engine yet (parsing outside a crawl)
        return None


def _append_stat(crawler: Any, key: str, message: str) -> None:
    crawler.stats.set_value(key, [*(crawler.stats.get_value(key) or []), message])
