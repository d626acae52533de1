"""TrustRadius product reviews (``https://www.trustradius.com/products/<slug>/reviews``).

TrustRadius rates out of 10 ("Rated 8 out of 10"); the item keeps that scale and the pipeline maps it onto 1–5.
A review is an ``<article>`` with ``data-review-id``: heading, ``<time>``, the rating, the reviewer (name, job
title, and "Company, Industry, 201-500 employees"), then sections "Use Cases and Deployment Scope", "Pros" and
"Cons" (bullet lists), "Likelihood to Recommend", "Return on Investment". JSON-LD ``Review`` objects (bestRating
10) are the fallback when the articles are missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from parsel import Selector
from scrapy.http import Response

from scrapers.items import ReviewItem
from scrapers.spiders.base import ReviewSpider
from scrapers.spiders.markup import inline_text, is_type, json_ld, number, pick, sections

EMPLOYEES = re.compile(r"[\d,]+\s*(?:-|–)\s*[\d,]+\s+employees|[\d,]+\+?\s+employees", re.I)
BODY_SECTIONS = ("use cases", "likelihood to recommend", "return on investment", "overall")


class TrustradiusSpider(ReviewSpider):
    name = "trustradius"
    official_path = "TrustRadius for Vendors (review data export / syndication for your own product)."

    def url_for_app(self, app_id: str) -> str:
        return f"https://www.trustradius.com/products/{app_id}/reviews"

    def parse_reviews(self, response: Response) -> Iterator[ReviewItem]:
        articles = response.css("article[data-review-id]")
        if articles:
            yield from (self._from_article(a, response) for a in articles)
            return
        for obj in json_ld(response):
            if is_type(obj, "Review"):
                yield self.item_from_json_ld(obj, rating_scale=10)

    def _from_article(self, article: Selector, response: Response) -> ReviewItem:
        review_id = article.attrib.get("data-review-id") or None
        answers = sections(article)
        body = [pick(answers, label) for label in BODY_SECTIONS]
        company = inline_text(article.css("[data-reviewer-company]"))
        size = EMPLOYEES.search(company) if company else None
        return self.item(
            external_id=review_id,
            url=response.urljoin(f"/reviews/{review_id}") if review_id and response.url.startswith("http") else None,
            author=inline_text(article.css("[data-reviewer-name]")),
            rating=number(inline_text(article.css("[data-rating]"))),
            rating_scale=10,
            title=inline_text(article.css("h2, h3")),
            body="\n".join(b for b in body if b) or None,
            pros=pick(answers, "pros"),
            cons=pick(answers, "cons"),
            created_at=article.css("time::attr(datetime)").get(),
            reviewer_role=inline_text(article.css("[data-reviewer-title]")),
            company_size=size.group() if size else None,
            raw={"html": article.get()},
        )

    def parse_next(self, response: Response) -> str | None:
        return response.css('a[rel="next"]::attr(href), link[rel="next"]::attr(href)').get()
