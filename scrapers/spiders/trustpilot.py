"""Trustpilot company review pages (``https://www.trustpilot.com/review/<domain>``), 20 reviews a page.

Three readings of the same page, most reliable first: the Next.js page data (``__NEXT_DATA__``,
``props.pageProps.reviews``), the schema.org JSON-LD ``Review`` objects, and the rendered review cards.
Pagination follows the "next page" link (``?page=N``); the pagination block of the page data is the fallback.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response
from w3lib.url import add_or_replace_parameter

from scrapers.items import ReviewItem
from scrapers.spiders.base import ReviewSpider
from scrapers.spiders.markup import block_text, clean, dig, inline_text, is_type, json_ld, next_data, number

REVIEW_URL = "https://www.trustpilot.com/reviews/{id}"


class TrustpilotSpider(ReviewSpider):
    name = "trustpilot"
    official_path = (
        "Trustpilot Business API (GET https://api.trustpilot.com/v1/business-units/{id}/reviews with an API key) "
        "or the review export in Trustpilot Business."
    )

    def url_for_app(self, app_id: str) -> str:
        return f"https://www.trustpilot.com/review/{app_id}?sort=recency"

    def parse_reviews(self, response: Response) -> Iterator[ReviewItem]:
        data = next_data(response)
        reviews = dig(data, "props", "pageProps", "reviews")
        if isinstance(reviews, list):
            yield from (self._from_page_data(r) for r in reviews if isinstance(r, dict))
            return
        ld = [obj for obj in json_ld(response) if is_type(obj, "Review")]
        if ld:
            for review in ld:
                item = self.item_from_json_ld(review)
                yield self._with_canonical_url(item)
            return
        yield from self._from_cards(response)

    def _from_page_data(self, review: dict[str, Any]) -> ReviewItem:
        return self.item(
            external_id=review.get("id"),
            url=REVIEW_URL.format(id=review["id"]) if review.get("id") else None,
            author=dig(review, "consumer", "displayName"),
            rating=number(review.get("rating")),
            title=clean(review.get("title")),
            body=clean(review.get("text")),
            language=review.get("language"),
            created_at=dig(review, "dates", "publishedDate"),
            region=dig(review, "consumer", "countryCode"),
            raw=review,
        )

    def _with_canonical_url(self, item: ReviewItem) -> ReviewItem:
        if item.external_id:
            item.url = REVIEW_URL.format(id=item.external_id)
        return item

    def _from_cards(self, response: Response) -> Iterator[ReviewItem]:
        for card in response.css("article[data-service-review-card-paper]"):
            link = card.css('a[href*="/reviews/"]::attr(href)').get()
            review_id = link.rstrip("/").rsplit("/", 1)[-1] if link else None
            stars = card.css("[data-service-review-rating]::attr(data-service-review-rating)").get()
            yield self.item(
                external_id=review_id,
                url=REVIEW_URL.format(id=review_id) if review_id else None,
                author=inline_text(card.css("[data-consumer-name-typography]")),
                rating=number(stars or card.css("img[alt^=Rated]::attr(alt)").get()),
                title=inline_text(card.css("[data-service-review-title-typography]")),
                body=block_text(card.css("[data-service-review-text-typography]")),
                created_at=card.css("time::attr(datetime)").get(),
                region=inline_text(card.css("[data-consumer-country-typography]")),
                raw={"html": card.get()},
            )

    def parse_next(self, response: Response) -> str | None:
        href = response.css(
            'a[name="pagination-button-next"]::attr(href), a[rel="next"]::attr(href), link[rel="next"]::attr(href)'
        ).get()
        if href:
            return href
        pagination = dig(next_data(response), "props", "pageProps", "filters", "pagination")
        current, total = dig(pagination, "currentPage"), dig(pagination, "totalPages")
        if isinstance(current, int) and isinstance(total, int) and current < total:
            return add_or_replace_parameter(response.url, "page", str(current + 1))
        return None
