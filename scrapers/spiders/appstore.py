"""Apple App Store customer reviews, from the public RSS feed in its JSON form, one feed per country.

``https://itunes.apple.com/{country}/rss/customerreviews/page={n}/id={app_id}/sortby=mostrecent/json``:
``feed.entry`` holds up to 50 reviews, every value wrapped as ``{"label": …}``; Apple serves at most 10 pages
(500 reviews) per country. Quirks handled: a page with one review has ``entry`` as an object, not a list; older
feeds start with an entry describing the app itself (it has ``im:name``, no ``im:rating``); an empty page has no
``entry``; the ``rel=next`` link points at the XML feed with the JSON path in ``urlDesc``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

from scrapy.http import Response

from scrapers.items import ReviewItem
from scrapers.spiders.base import ReviewSpider
from scrapers.spiders.markup import clean, dig, label, number

FEED_URL = "https://itunes.apple.com/{country}/rss/customerreviews/page={page}/id={app_id}/sortby=mostrecent/json"
LAST_FEED_PAGE = 10  # Apple's feed stops at page 10 (its rel=last link), whatever the number of reviews


class AppstoreSpider(ReviewSpider):
    name = "appstore"
    official_path = (
        "App Store Connect API (GET /v1/apps/{id}/customerReviews, with an API key of your developer account)."
    )

    def url_for_app(self, app_id: str) -> str:
        return FEED_URL.format(country=self.country, page=1, app_id=app_id)

    def parse_reviews(self, response: Response) -> Iterator[ReviewItem]:
        entries = dig(_feed(response), "entry") or []
        if isinstance(entries, dict):
            entries = [entries]
        for entry in entries:
            if not isinstance(entry, dict) or ("im:name" in entry and "im:rating" not in entry):
                continue  # the entry describing the app, not a review
            yield self.item(
                external_id=label(entry, "id"),
                url=dig(entry, "link", "attributes", "href"),
                author=label(entry, "author", "name"),
                rating=number(label(entry, "im:rating")),
                title=clean(label(entry, "title")),
                body=clean(label(entry, "content")),
                created_at=label(entry, "updated"),
                region=self.country,
                raw=entry,
            )

    def parse_next(self, response: Response) -> str | None:
        feed = _feed(response)
        if not dig(feed, "entry"):
            return None
        links = dig(feed, "link") or []
        links = [links] if isinstance(links, dict) else links
        href = next((dig(link, "attributes", "href") for link in links if _rel(link) == "next"), None)
        if not href:
            return None
        url = _json_feed_url(href)
        page = re.search(r"/page=(\d+)/", url)
        if page and int(page.group(1)) > LAST_FEED_PAGE:
            return None
        return url


def _feed(response: Response) -> dict[str, Any]:
    try:
        data = json.loads(response.body)
    except ValueError:
        return {}
    return dig(data, "feed") or {}


def _rel(link: Any) -> str | None:
    return dig(link, "attributes", "rel")


def _json_feed_url(href: str) -> str:
    """Apple's next link is ``…/page=2/…/xml?urlDesc=/customerreviews/page=2/…/json``: use the JSON one."""
    desc = parse_qs(urlparse(href).query).get("urlDesc")
    if desc and "/rss/" in href:
        return href.split("/rss/", 1)[0] + "/rss" + desc[0]
    return href
