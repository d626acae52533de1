"""Capterra product reviews (``https://www.capterra.com/p/<id>/<slug>/reviews/``).

A review card carries ``data-review-id``; its title is the first heading, the overall rating sits in an element
labelled "… out of 5", the date in ``<time>``, and the text in labelled sections: "Pros", "Cons", "Overall" (and
"Reasons for choosing …", "Switched from …"). The reviewer block lists name, job title, industry, company size
("51-200 employees") and time used. When the cards are missing (a redesign), the schema.org JSON-LD ``Review``
objects of the page are read instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from parsel import Selector
from scrapy.http import Response

from scrapers.items import ReviewItem
from scrapers.spiders.base import ReviewSpider
from scrapers.spiders.markup import inline_text, is_type, json_ld, number, pick, sections

EMPLOYEES = re.compile(r"\b[\d,]+\s*(?:-|–|to)\s*[\d,]+\s+employees|\b[\d,]+\+?\s+employees|Self-employed", re.I)
LABELS = ("pros", "cons", "overall", "comments", "reasons for", "switched from")


class CapterraSpider(ReviewSpider):
    name = "capterra"
    official_path = (
        "the review export of the Gartner Digital Markets vendor portal (Capterra, GetApp, Software Advice)."
    )

    def url_for_app(self, app_id: str) -> str:
        return f"https://www.capterra.com/p/{app_id.strip('/')}/reviews/"

    def parse_reviews(self, response: Response) -> Iterator[ReviewItem]:
        cards = response.css("[data-review-id]")
        if cards:
            yield from (self._from_card(card, response) for card in cards)
            return
        for obj in json_ld(response):
            if is_type(obj, "Review"):
                yield self.item_from_json_ld(obj)

    def _from_card(self, card: Selector, response: Response) -> ReviewItem:
        review_id = card.attrib.get("data-review-id") or None
        answers = sections(card)
        body = [pick(answers, label) for label in ("overall", "comments", "reasons for", "switched from")]
        headings = [inline_text(h) for h in card.css("h2, h3, h4")]
        title = next((h for h in headings if h and not h.lower().startswith(LABELS)), None)
        lines = [line for line in (inline_text(n) for n in card.css("[data-reviewer] > *")) if line]
        size = next((line for line in lines if EMPLOYEES.search(line)), None)
        return self.item(
            external_id=review_id,
            url=response.urljoin(f"#review-{review_id}") if review_id else None,
            author=lines[0] if lines else None,
            rating=number(card.css('[aria-label*="out of 5"]::attr(aria-label)').get()),
            title=title.strip('"“”') if title else None,
            body="\n".join(b for b in body if b) or None,
            pros=pick(answers, "pros"),
            cons=pick(answers, "cons"),
            created_at=card.css("time::attr(datetime)").get() or inline_text(card.css("time")),
            reviewer_role=lines[1] if len(lines) > 1 and lines[1] != size else None,
            company_size=EMPLOYEES.search(size).group() if size else None,  # type: ignore[union-attr]
            raw={"html": card.get()},
        )

    def parse_next(self, response: Response) -> str | None:
        return response.css('a[rel="next"]::attr(href), link[rel="next"]::attr(href)').get()
