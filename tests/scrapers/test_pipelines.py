"""The item pipeline through Scrapy's own test crawler: drops, rejects, stats, batched upserts, incremental answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from pipeline.records import author_hash
from pipeline.store import Store
from scrapers.items import ReviewItem
from scrapers.pipelines import FeedbackPipeline
from scrapers.spiders.trustpilot import TrustpilotSpider


def review(n: int, **fields: Any) -> ReviewItem:
    values: dict[str, Any] = {
        "external_id": f"r{n}",
        "author": f"Reviewer {n}",
        "rating": 4,
        "title": f"Review {n}",
        "body": f"Support answered ticket {n} within the hour and solved it.",
        "created_at": "2026-05-04T09:12:33.000Z",
        "url": f"https://www.trustpilot.com/reviews/r{n}",
        "raw": {"id": f"r{n}"},
        **fields,
    }
    return ReviewItem(source="trustpilot", product="orbitask", **values)


class Crawl:
    """One crawler with the pipeline opened on a store file, as Scrapy would run it."""

    def __init__(self, store: Path, *, batch_size: int = 100) -> None:
        self.crawler = get_crawler(TrustpilotSpider, {"VOCMINE_STORE": str(store), "VOCMINE_BATCH_SIZE": batch_size})
        self.crawler.spider = TrustpilotSpider.from_crawler(self.crawler, product="orbitask")
        self.pipeline = FeedbackPipeline.from_crawler(self.crawler)
        self.pipeline.open_spider()

    def feed(self, *items: ReviewItem) -> list[str]:
        """Process the items; returns the drop messages."""
        drops = []
        for item in items:
            try:
                assert self.pipeline.process_item(item) is item
            except DropItem as exc:
                drops.append(str(exc))
        return drops

    def stat(self, key: str) -> Any:
        return self.crawler.stats.get_value(f"vocmine/{key}", 0)

    def close(self) -> None:
        self.pipeline.close_spider()


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


def test_valid_reviews_are_normalised_and_stored(store_file: Path) -> None:
    crawl = Crawl(store_file)
    japanese = review(2, body="サポートの対応が早くて助かりました。", title=None, created_at="2026年3月1日")
    rated_out_of_ten = review(3, rating=8, rating_scale=10, created_at="2026-05-04T18:12:33+09:00", region="gb")
    assert crawl.feed(review(1), japanese, rated_out_of_ten) == []
    crawl.close()
    assert (crawl.stat("items_scraped"), crawl.stat("inserted"), crawl.stat("rejected")) == (3, 3, 0)
    with Store(store_file, read_only=True) as store:
        rows = store.frame("SELECT * FROM feedback ORDER BY external_id").set_index("external_id")
    assert rows.loc["r1", "author_hash"] == author_hash("Reviewer 1")
    assert rows.loc["r2", "language"] == "ja"
    assert str(rows.loc["r2", "created_at"].tz_convert("UTC")) == "2026-03-01 00:00:00+00:00"
    assert rows.loc["r3", "rating"] == 4.11  # 1 + (8 - 1) * 4 / 9, two decimals
    assert str(rows.loc["r3", "created_at"].tz_convert("UTC")) == "2026-05-04 09:12:33+00:00"
    assert rows.loc["r3", "region"] == "GB"
    assert json.loads(rows.loc["r1", "raw"]) == {"id": "r1"}


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"created_at": None}, "created_at: missing"),
        ({"created_at": "last Tuesday"}, "created_at: unreadable date 'last Tuesday'"),
        ({"created_at": "2031-01-01"}, "created_at: implausible date '2031-01-01'"),
        ({"rating": 7}, "rating: 7 is outside 1–5"),
        ({"rating": "five"}, "rating: not a number: 'five'"),
        ({"external_id": None}, "external_id: missing"),
        ({"title": None, "body": None, "rating": None}, "record has no text, no rating and no score"),
    ],
)
def test_invalid_reviews_are_dropped_into_rejects_with_their_reason(
    store_file: Path, fields: dict[str, Any], reason: str
) -> None:
    crawl = Crawl(store_file)
    drops = crawl.feed(review(1, **fields), review(2))
    crawl.close()
    assert len(drops) == 1 and reason in drops[0]
    assert crawl.stat("rejected") == 1 and crawl.stat("inserted") == 1
    with Store(store_file, read_only=True) as store:
        rejects = store.frame("SELECT stage, source, reason, raw, location FROM rejects")
    assert len(rejects) == 1
    assert rejects.stage[0] == "crawl" and rejects.source[0] == "trustpilot" and reason in rejects.reason[0]
    assert json.loads(rejects.raw[0])["title"] == review(1, **fields).title  # the raw payload is kept


def test_duplicates_by_id_and_by_content_are_dropped(store_file: Path) -> None:
    crawl = Crawl(store_file)
    same_text_new_id = review(9, author="Reviewer 1", body=review(1).body, title=review(1).title)
    drops = crawl.feed(review(1), review(2), review(1), same_text_new_id)
    crawl.close()
    assert len(drops) == 2
    assert "duplicate review 'r1'" in drops[0] and "repeats the text of review 'r1'" in drops[1]
    assert (crawl.stat("duplicates"), crawl.stat("inserted")) == (2, 2)


def test_short_anonymous_texts_are_not_mistaken_for_duplicates(store_file: Path) -> None:
    crawl = Crawl(store_file)
    a = review(1, author=None, title=None, body="Great app!", rating=5)
    b = review(2, author=None, title=None, body="Great app!", rating=5)
    assert crawl.feed(a, b) == []
    crawl.close()
    assert crawl.stat("inserted") == 2


def test_reviews_are_upserted_in_batches_while_the_crawl_runs(store_file: Path) -> None:
    crawl = Crawl(store_file, batch_size=2)
    crawl.feed(review(1), review(2), review(3))
    assert crawl.pipeline.store is not None and crawl.pipeline.store.count("feedback") == 2
    crawl.close()
    assert crawl.stat("inserted") == 3


def test_second_crawl_knows_stored_pages_and_updates_edits(store_file: Path) -> None:
    first = Crawl(store_file)
    first.feed(review(1), review(2))
    first.close()

    second = Crawl(store_file)
    assert second.pipeline.page_is_known([review(1), review(2)])
    assert not second.pipeline.page_is_known([review(1), review(3)]), "a new review makes the page new"
    edited = review(2, body="Edited: support stopped answering after the renewal.")
    assert not second.pipeline.page_is_known([review(1), edited]), "an edited review makes the page new"
    assert second.pipeline.page_is_known([review(1), review(4, created_at=None)]), "rejects do not count"
    assert not second.pipeline.page_is_known([review(5, created_at=None)]), "a page of rejects is not known"
    second.feed(review(1), edited)
    second.close()
    assert (second.stat("inserted"), second.stat("updated"), second.stat("unchanged")) == (0, 1, 1)
    with Store(store_file, read_only=True) as store:
        assert store.count("feedback") == 2
        body = store.frame("SELECT body FROM feedback WHERE external_id = 'r2'").body[0]
    assert body.startswith("Edited:")


def test_items_other_than_reviews_pass_through(store_file: Path) -> None:
    crawl = Crawl(store_file)
    other = {"kind": "not a review"}
    assert crawl.pipeline.process_item(other) is other
    crawl.close()
    assert crawl.stat("items_scraped") == 0
