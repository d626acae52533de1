"""Retries that wait (Retry-After, backoff), bot walls, block reports, and where pagination stops."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from scrapers.items import ReviewItem
from scrapers.middlewares import BlockedByBotWall, BotWallMiddleware, PoliteRetryMiddleware, parse_retry_after
from scrapers.spiders.g2 import G2Spider
from scrapers.spiders.trustpilot import TrustpilotSpider

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
URL = "https://www.trustpilot.com/review/orbitask.com?page=2"


def crawler_with_spider(spidercls: type[Any] = TrustpilotSpider, **settings: Any) -> Any:
    crawler = get_crawler(spidercls, settings)
    crawler.spider = spidercls.from_crawler(crawler, product="orbitask")
    return crawler


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert parse_retry_after("120") == 120
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 50 <= parse_retry_after(in_a_minute) <= 61  # type: ignore[operator]
    assert parse_retry_after("soon") is None


def test_429_waits_for_retry_after_and_too_long_waits_give_up() -> None:
    crawler = crawler_with_spider(VOCMINE_RETRY_BACKOFF=0.5, VOCMINE_MAX_RETRY_AFTER=30, RETRY_TIMES=2)
    retry = PoliteRetryMiddleware.from_crawler(crawler)
    request = Request(URL)
    again = retry.process_response(request, Response(URL, status=429, headers={"Retry-After": "3"}))
    assert isinstance(again, Request) and again.meta["retry_times"] == 1
    assert crawler.stats.get_value("vocmine/retry_wait_ms") == 3000
    assert retry._not_before["www.trustpilot.com"] > 0

    too_long = Response(URL, status=429, headers={"Retry-After": "3600"})
    assert retry.process_response(Request(URL), too_long) is too_long


def test_backoff_doubles_without_retry_after_and_other_statuses_pass() -> None:
    crawler = crawler_with_spider(VOCMINE_RETRY_BACKOFF=0.5, VOCMINE_MAX_RETRY_AFTER=30, RETRY_TIMES=3)
    retry = PoliteRetryMiddleware.from_crawler(crawler)
    first = retry.process_response(Request(URL), Response(URL, status=503))
    assert isinstance(first, Request)
    second = retry.process_response(first, Response(URL, status=503))
    assert isinstance(second, Request) and second.meta["retry_times"] == 2
    assert crawler.stats.get_value("vocmine/retry_wait_ms") == 500 + 1000
    not_found = Response(URL, status=404)
    assert retry.process_response(Request(URL), not_found) is not_found


@pytest.mark.parametrize(
    ("status", "body", "service"),
    [
        (403, b"<html><script src='https://geo.captcha-delivery.com/captcha/'></script></html>", "DataDome"),
        (403, b"<html><head><title>Just a moment...</title></head><body>cf-chl-widget</body></html>", "Cloudflare"),
        (200, b"<div id='px-captcha'></div>", "PerimeterX"),
    ],
)
def test_bot_walls_are_recognised_and_never_worked_around(status: int, body: bytes, service: str) -> None:
    crawler = crawler_with_spider(G2Spider)
    wall = BotWallMiddleware.from_crawler(crawler)
    with pytest.raises(BlockedByBotWall, match=service):
        wall.process_response(Request(URL), HtmlResponse(URL, status=status, body=body))
    page = HtmlResponse(URL, body=(PAGES / "g2" / "page.html").read_bytes())
    assert wall.process_response(Request(URL), page) is page


def failure_for(exc: Exception, url: str = URL) -> Failure:
    failure = Failure(exc)
    failure.request = Request(url)  # type: ignore[attr-defined]
    return failure


def test_blocks_are_reported_with_the_official_path() -> None:
    crawler = crawler_with_spider(G2Spider)
    spider = crawler.spider
    spider.on_error(failure_for(IgnoreRequest("Forbidden by robots.txt")))
    spider.on_error(failure_for(BlockedByBotWall("DataDome bot challenge (HTTP 403)")))
    spider.on_error(failure_for(HttpError(Response(URL, status=403))))
    spider.on_error(failure_for(HttpError(Response(URL, status=404))))
    blocked = crawler.stats.get_value("vocmine/blocked")
    assert len(blocked) == 3
    assert all(URL in m and "Official path: G2's API" in m for m in blocked)
    assert "robots.txt" in blocked[0] and "DataDome" in blocked[1] and "HTTP 403" in blocked[2]
    assert crawler.stats.get_value("vocmine/errors") == [f"{URL}: HTTP 404"]


def on_page(spider: Any, page: Path, url: str = URL) -> tuple[list[ReviewItem], list[Request]]:
    response = HtmlResponse(url, body=page.read_bytes(), request=Request(url, meta={"page": 1}))
    out = list(spider.on_page(response))
    return [o for o in out if isinstance(o, ReviewItem)], [o for o in out if isinstance(o, Request)]


def test_pagination_follows_next_until_max_pages_or_since() -> None:
    page = PAGES / "trustpilot" / "page.html"
    crawler = get_crawler(TrustpilotSpider)
    spider = TrustpilotSpider.from_crawler(crawler, product="orbitask")
    items, requests = on_page(spider, page)
    assert len(items) == 2 and [r.url for r in requests] == ["https://www.trustpilot.com/review/orbitask.com?page=2"]
    assert requests[0].meta["page"] == 2 and requests[0].callback == spider.on_page

    capped = TrustpilotSpider.from_crawler(get_crawler(TrustpilotSpider), product="orbitask", max_pages=1)
    assert on_page(capped, page)[1] == []

    recent = TrustpilotSpider.from_crawler(get_crawler(TrustpilotSpider), product="orbitask", since="2026-06-01")
    items, requests = on_page(recent, page)
    assert [i.external_id for i in items] == ["66a0b1d3f5c6a7b8c9d0e1f2"], "the May review is older than since"
    assert len(requests) == 1, "a page with a recent review goes on"

    stale = TrustpilotSpider.from_crawler(get_crawler(TrustpilotSpider), product="orbitask", since="2026-10-01")
    assert on_page(stale, page) == ([], []), "a page older than since ends the crawl"


def test_start_urls_accept_file_paths_and_ids() -> None:
    spider = TrustpilotSpider(product="orbitask", start_urls=["data/sample/pages/trustpilot/orbitask.com.html"])
    assert spider.start_urls[0].startswith("file:///") and spider.start_urls[0].endswith("orbitask.com.html")
    assert TrustpilotSpider(product="o").url_for_app("orbitask.com") == (
        "https://www.trustpilot.com/review/orbitask.com?sort=recency"
    )
    assert G2Spider(product="o").url_for_app("orbitask") == "https://www.g2.com/products/orbitask/reviews"


def test_google_play_asks_the_reviews_rpc_and_follows_its_continuation_token() -> None:
    from urllib.parse import parse_qs

    from scrapy.http import TextResponse

    from scrapers.spiders.googleplay import BATCHEXECUTE, GoogleplaySpider

    spider = GoogleplaySpider(product="orbitask", app_id="com.orbitask.app", country="id", language="id")

    async def first_requests() -> list[Request]:
        return [r async for r in spider.start()]

    (first,) = asyncio.run(first_requests())
    assert first.method == "POST" and first.url == f"{BATCHEXECUTE}?hl=id&gl=id"
    f_req = json.loads(parse_qs(first.body.decode())["f.req"][0])
    assert f_req[0][0][0] == "UsvDTd"
    assert json.loads(f_req[0][0][1]) == [None, None, [2, 2, [100, None, None], None, []], ["com.orbitask.app", 7]]

    answer = (PAGES / "googleplay" / "page.json").read_bytes()
    response = TextResponse(first.url, body=answer, encoding="utf-8", request=first)
    follow = spider.next_request(response, page=1)
    assert follow is not None and follow.method == "POST" and follow.meta["page"] == 2
    token = json.loads(json.loads(parse_qs(follow.body.decode())["f.req"][0])[0][0][1])[2][2][2]
    assert token == spider.parse_next(response)

    replayed = TextResponse("file:///pages/id-page1.json", body=answer, encoding="utf-8", request=Request("file:///x"))
    assert spider.next_request(replayed, page=1).url == f"file:///pages/{token}.json"  # type: ignore[union-attr]
