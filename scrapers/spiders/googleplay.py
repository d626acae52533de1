"""Google Play reviews of an app, per language and country, through the Play web app's reviews RPC.

The web app loads reviews with a POST to ``/_/PlayStoreUi/data/batchexecute`` (RPC id ``UsvDTd``; newer clients
send ``oCPfdb`` and get the same answer shape). The answer starts with the anti-JSON-hijacking prefix ``)]}'``
and wraps the RPC result as a JSON *string* in ``["wrb.fr", "<rpc id>", "<json>", …]``. Decoded, the result is
``[reviews, …, [null, "<continuation token>"], …]`` and each review is a positional array (as read by the
google-play-scraper project): ``[0]`` id, ``[1][0]`` author, ``[2]`` stars, ``[4]`` text, ``[5][0]`` epoch
seconds, ``[6]`` thumbs-up count, ``[7]`` developer reply, ``[10]`` app version. The next page is the same POST
with the token.

Recorded answers (``start_urls``: files or a test server) are replayed instead of POSTing: the answer for a
continuation token ``T`` is the file ``<T>.json`` beside the first one (URL-quoted).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlparse

from scrapy.http import FormRequest, Request, Response

from scrapers.items import ReviewItem
from scrapers.spiders.base import ReviewSpider
from scrapers.spiders.markup import clean, dig, number

BATCHEXECUTE = "https://play.google.com/_/PlayStoreUi/data/batchexecute"
RPC_IDS = ("UsvDTd", "oCPfdb")
SORT_NEWEST = 2
PAGE_SIZE = 100  # google-play-scraper's default; the RPC accepts up to 199 per call


class GoogleplaySpider(ReviewSpider):
    name = "googleplay"
    official_path = (
        "Google Play Developer API (reviews.list, androidpublisher v3) for recent reviews, or the monthly "
        "review CSV reports of Play Console in its Cloud Storage bucket."
    )

    async def start(self) -> Any:
        if self.start_urls:
            async for request in super().start():
                yield request
        elif self.app_id:
            yield self.rpc_request(token=None, page=1)
        else:
            raise ValueError(f"{self.name}: source for {self.product!r} has neither start_urls nor app_id")

    def rpc_request(self, *, token: str | None, page: int) -> Request:
        inner: list[Any] = [None, None, [2, SORT_NEWEST, [PAGE_SIZE, None, token], None, []], [self.app_id, 7]]
        f_req = json.dumps([[[RPC_IDS[0], json.dumps(inner, separators=(",", ":")), None, "generic"]]])
        query = urlencode({"hl": self.language or "en", "gl": self.country})
        return FormRequest(
            f"{BATCHEXECUTE}?{query}",
            formdata={"f.req": f_req},
            callback=self.on_page,
            errback=self.on_error,
            meta={"page": page},
            dont_filter=page == 1,
        )

    def next_request(self, response: Response, page: int) -> Request | None:
        token = self.parse_next(response)
        if token is None:
            return None
        if response.url.startswith(BATCHEXECUTE):
            return self.rpc_request(token=token, page=page + 1)
        return self.page_request(response.urljoin(quote(token, safe="") + ".json"), page=page + 1)

    def parse_reviews(self, response: Response) -> Iterator[ReviewItem]:
        reviews = dig(rpc_result(response.text), 0) or []
        query = parse_qs(urlparse(response.url).query)
        language = self.language or next(iter(query.get("hl", [])), None)
        region = (query.get("gl") or [self.country])[0]
        for review in reviews:
            if not isinstance(review, list):
                continue
            review_id = dig(review, 0)
            seconds = dig(review, 5, 0)
            yield self.item(
                external_id=review_id,
                url=self._review_url(review_id),
                author=dig(review, 1, 0),
                rating=number(dig(review, 2)),
                body=clean(dig(review, 4)),
                language=language,
                created_at=datetime.fromtimestamp(seconds, UTC).isoformat() if isinstance(seconds, int) else None,
                region=region,
                raw={"review": review},
            )

    def parse_next(self, response: Response) -> str | None:
        result = rpc_result(response.text)
        if not isinstance(result, list) or not dig(result, 0):
            return None
        for part in result[1:]:
            if isinstance(part, list) and part and isinstance(part[-1], str):
                return part[-1]
        return None

    def _review_url(self, review_id: Any) -> str | None:
        if not (self.app_id and review_id):
            return None
        return f"https://play.google.com/store/apps/details?{urlencode({'id': self.app_id, 'reviewId': review_id})}"


def rpc_result(text: str) -> Any:
    """The decoded result of the reviews RPC in a batchexecute answer, or None."""
    body = text.lstrip()
    if body.startswith(")]}'"):
        body = body[4:]
    for envelope in _envelopes(body):
        if isinstance(envelope, list) and envelope[:1] == ["wrb.fr"] and dig(envelope, 1) in RPC_IDS:
            payload = dig(envelope, 2)
            try:
                return json.loads(payload) if isinstance(payload, str) else None
            except json.JSONDecodeError:
                return None
    return None


def _envelopes(body: str) -> Iterator[Any]:
    """The answer is one JSON array, or (with ``rt=c``) chunks each preceded by its length on its own line."""
    try:
        chunks = [json.loads(body)]
    except json.JSONDecodeError:
        chunks = []
        for line in body.splitlines():
            if line.lstrip().startswith("["):
                try:
                    chunks.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    for chunk in chunks:
        yield from chunk if isinstance(chunk, list) else []
