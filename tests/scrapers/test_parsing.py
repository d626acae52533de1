"""Each spider's parsers on recorded pages: ``tests/fixtures/pages/<spider>/<case>.{html,json}`` is compared with
``<case>.expected.json`` (every extracted field of every item, and the next page), and every spider has fixtures
for a normal page, a page with missing fields, a changed layout and an empty page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.spiderloader import SpiderLoader

from scrapers import settings as project_settings
from scrapers.crawl import SPIDERS

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
REQUIRED_CASES = ("page", "missing_fields", "changed_layout", "empty")
# Where each recorded page was served from when no "url" is given in its expected file.
DEFAULT_URLS = {
    "trustpilot": "https://www.trustpilot.com/review/orbitask.com",
    "appstore": "https://itunes.apple.com/us/rss/customerreviews/page=1/id=1600000001/sortby=mostrecent/json",
    "googleplay": "https://play.google.com/_/PlayStoreUi/data/batchexecute?hl=en&gl=us",
    "g2": "https://www.g2.com/products/orbitask/reviews",
    "capterra": "https://www.capterra.com/p/230001/Orbitask/reviews/",
    "trustradius": "https://www.trustradius.com/products/orbitask/reviews",
    "itreview": "https://www.itreview.jp/products/orbitask/reviews",
}


def spider_loader() -> SpiderLoader:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule(project_settings)
    return SpiderLoader.from_settings(settings)


def recorded_cases() -> list[Path]:
    return sorted(p for p in PAGES.glob("*/*") if p.suffix in (".html", ".json") and ".expected" not in p.name)


def expected_for(page: Path) -> dict[str, Any]:
    return json.loads(page.with_name(page.name.split(".")[0] + ".expected.json").read_text(encoding="utf-8"))


def recorded_response(page: Path, url: str) -> TextResponse:
    body = page.read_bytes()
    cls = HtmlResponse if page.suffix == ".html" else TextResponse
    return cls(url=url, body=body, encoding="utf-8", request=Request(url))


def spider_for(name: str, args: dict[str, Any]) -> Any:
    return spider_loader().load(name)(product="orbitask", **args)


def parse_case(page: Path) -> dict[str, Any]:
    """What the spider's pure parsers extract from a recorded page."""
    expected = expected_for(page) if page.with_name(page.name.split(".")[0] + ".expected.json").exists() else {}
    spider = spider_for(page.parent.name, expected.get("spider_args", {}))
    response = recorded_response(page, expected.get("url", DEFAULT_URLS[page.parent.name]))
    return {
        "items": list(spider.parse_reviews(response)),
        "next": spider.parse_next(response),
    }


@pytest.mark.parametrize("page", recorded_cases(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_recorded_page_yields_exactly_the_expected_items(page: Path) -> None:
    expected = expected_for(page)
    parsed = parse_case(page)
    assert [item.fields() for item in parsed["items"]] == expected["items"]
    assert parsed["next"] == expected["next"]
    for item in parsed["items"]:
        assert item.source == page.parent.name and item.raw, "every item keeps its raw payload"


def test_every_spider_has_fixtures_for_each_required_case() -> None:
    names = set(spider_loader().list())
    assert names == set(SPIDERS)
    for name in sorted(names):
        for case in REQUIRED_CASES:
            found = [p for p in (PAGES / name).glob(f"{case}.*") if ".expected" not in p.name]
            assert found, f"{name}: no recorded page for case {case!r} in {PAGES / name}"
            assert expected_for(found[0])["items"] is not None


def test_empty_pages_yield_nothing_and_end_pagination() -> None:
    for name in SPIDERS:
        page = next(p for p in (PAGES / name).glob("empty.*") if ".expected" not in p.name)
        parsed = parse_case(page)
        assert parsed["items"] == [] and parsed["next"] is None, name
