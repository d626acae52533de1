"""ITreview, the Japanese B2B software review site (``https://www.itreview.jp/products/<slug>/reviews``).

A review is an ``<article>`` whose title links to ``/products/<slug>/reviews/<id>``; it shows stars ("4.0"), the
posting date ("投稿日：2024年03月01日"), the reviewer's 役職 (role), 従業員規模 (company size) and 業種 (industry) as a
definition list, and its text in sections: 良いポイント (good points → pros), 改善してほしいポイント (points to
improve → cons), どのような課題解決に貢献しましたか？どのような効果がありましたか？ (the problem it solved → body) and
検討者へお勧めするポイント (advice to others → body). JSON-LD ``Review`` objects are the fallback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from parsel import Selector
from scrapy.http import Response

from scrapers.items import ReviewItem
from scrapers.spiders.base import ReviewSpider
from scrapers.spiders.markup import block_text, inline_text, is_type, json_ld, number, pick

REVIEW_LINK = re.compile(r"/reviews/(\d+)")
PROS = ("良いポイント",)
CONS = ("改善してほしいポイント",)
BODY = ("どのような課題解決", "検討者へお勧め")


class ItreviewSpider(ReviewSpider):
    name = "itreview"
    official_path = "ITreview's vendor service (review data provided to the product's vendor on request)."

    def url_for_app(self, app_id: str) -> str:
        return f"https://www.itreview.jp/products/{app_id}/reviews"

    def parse_reviews(self, response: Response) -> Iterator[ReviewItem]:
        cards = [a for a in response.css("article") if a.css("a[href*='/reviews/']")]
        if cards:
            yield from (self._from_card(card, response) for card in cards)
            return
        for obj in json_ld(response):
            if is_type(obj, "Review"):
                yield self.item_from_json_ld(obj, language="ja")

    def _from_card(self, card: Selector, response: Response) -> ReviewItem:
        link = card.css("a[href*='/reviews/']::attr(href)").get() or ""
        found = REVIEW_LINK.search(link)
        answers = {
            inline_text(h) or "": block_text(h.xpath("following-sibling::*[1]")) or "" for h in card.css("h3, h4")
        }
        profile = {
            inline_text(dt) or "": inline_text(dt.xpath("following-sibling::dd[1]")) or "" for dt in card.css("dl dt")
        }
        body = [pick(answers, prefix) for prefix in BODY]
        date_text = inline_text(card.css("time")) or inline_text(card.css("[data-posted]"))
        return self.item(
            external_id=found.group(1) if found else None,
            url=response.urljoin(link) if found else None,
            author=inline_text(card.css("[data-reviewer-name]")),
            rating=number(card.css("[data-rating]::attr(data-rating)").get()),
            title=inline_text(card.css("h2")),
            body="\n".join(b for b in body if b) or None,
            pros=pick(answers, *PROS),
            cons=pick(answers, *CONS),
            language="ja",
            created_at=card.css("time::attr(datetime)").get() or date_text,
            reviewer_role=profile.get("役職") or None,
            company_size=profile.get("従業員規模") or None,
            raw={"html": card.get()},
        )

    def parse_next(self, response: Response) -> str | None:
        return response.css('a[rel="next"]::attr(href), link[rel="next"]::attr(href)').get()
