"""G2 product reviews (``https://www.g2.com/products/<slug>/reviews``), about 10 reviews a page.

A review card is the element with id ``survey-response-<id>``, marked up with schema.org microdata
(``itemprop=review``: ``name``, ``datePublished``, ``reviewRating/ratingValue``, ``author/name``). Its text is a
list of questions, each followed by its answer: "What do you like best about X?" (pros), "What do you dislike about
X?" (cons), "What problems is X solving…" and "Recommendations to others…" (body). The reviewer block shows the
job title and the segment ("Small-Business (50 or fewer emp.)", "Mid-Market (51-1000 emp.)", "Enterprise (> 1000
emp.)"). Sections are matched by their question text, not by CSS classes, which G2 renames often.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from parsel import Selector
from scrapy.http import Response

from scrapers.items import ReviewItem
from scrapers.spiders.base import ReviewSpider
from scrapers.spiders.markup import inline_text, number, pick, sections

COMPANY_SIZE = re.compile(r"(Small-Business|Mid-Market|Enterprise)|\bemp\.|employees", re.IGNORECASE)
PROS = ("What do you like best", "What do you like most")
CONS = ("What do you dislike", "What do you like least")
TITLE = ".//*[@itemprop='name' and not(self::meta) and not(ancestor::*[@itemprop='author'])]"


class G2Spider(ReviewSpider):
    name = "g2"
    official_path = (
        "G2's API for your own product's reviews (data.g2.com, token from your G2 admin) or the review export of my.G2."
    )

    def url_for_app(self, app_id: str) -> str:
        return f"https://www.g2.com/products/{app_id}/reviews"

    def parse_reviews(self, response: Response) -> Iterator[ReviewItem]:
        for card in response.css('[id^="survey-response-"]'):
            yield self._from_card(card, response)

    def _from_card(self, card: Selector, response: Response) -> ReviewItem:
        review_id = card.attrib["id"].removeprefix("survey-response-") or None
        answers = sections(card)
        other = [
            text
            for title, text in answers.items()
            if title.endswith(("?", ":")) and not title.lower().startswith(tuple(p.lower() for p in PROS + CONS))
        ]
        rating = card.css('[itemprop="reviewRating"] [itemprop="ratingValue"]::attr(content)').get()
        if rating is None:
            stars = card.css('[class*="stars-"]::attr(class)').re_first(r"stars-(\d+)")
            rating = str(int(stars) / 2) if stars else None  # G2 draws half stars: stars-9 is 4.5
        name, role, size = _reviewer(card)
        title = inline_text(card.xpath(TITLE)) or inline_text(card.css("h3"))
        return self.item(
            external_id=review_id,
            url=response.urljoin(f"#survey-response-{review_id}") if review_id else None,
            author=card.css('[itemprop="author"] [itemprop="name"]::attr(content)').get() or name,
            rating=number(rating),
            title=title.strip().strip('"“”') if title else None,
            body="\n".join(other) or None,
            pros=pick(answers, *PROS),
            cons=pick(answers, *CONS),
            created_at=card.css('[itemprop="datePublished"]::attr(content), time::attr(datetime)').get(),
            reviewer_role=role,
            company_size=size,
            raw={"html": card.get()},
        )

    def parse_next(self, response: Response) -> str | None:
        return response.css('a[rel="next"]::attr(href), link[rel="next"]::attr(href)').get()


def _reviewer(card: Selector) -> tuple[str | None, str | None, str | None]:
    """Name, job title and company segment: G2 lists them as unlabelled lines (``.mt-4th`` under the
    microdata author, or all three in a ``data-reviewer-details`` block in the newer layout)."""
    details = [line for line in (inline_text(n) for n in card.css("[data-reviewer-details] > *")) if line]
    name = details.pop(0) if details else None
    lines = details or [line for line in (inline_text(n) for n in card.css(".mt-4th")) if line]
    size = next((line for line in lines if COMPANY_SIZE.search(line)), None)
    role = next((line for line in lines if line != size and not line.startswith(("Industry", "Verified"))), None)
    return name, role, size
