"""Delighted and HubSpot API readers against recorded responses served on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar, Literal
from urllib.parse import parse_qs, urlparse

import pytest

from pipeline.errors import UserError
from scrapers.config import NpsApiSettings
from scrapers.importers import ApiRead, read_delighted_api, read_hubspot_api

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "nps" / "api"
TOKEN = "test-token-7f3a"


class _Recorded(BaseHTTPRequestHandler):
    """Serves the recorded pages; checks auth like the real APIs; one 429 on the first page-2 request."""

    requests: ClassVar[list[tuple[str, dict[str, list[str]]]]] = []
    throttled: ClassVar[set[str]] = set()

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        type(self).requests.append((url.path, query))
        auth = self.headers.get("Authorization", "")
        if url.path == "/v1/survey_responses.json":
            ok = auth == "Basic " + base64.b64encode(f"{TOKEN}:".encode()).decode()
            page = query["page"][0]
            if ok and page == "2" and "delighted" not in self.throttled:
                self.throttled.add("delighted")
                return self._send(429, b"{}", {"Retry-After": "0"})
            name = f"delighted_page{page}.json"
        elif url.path == "/crm/v3/objects/feedback_submissions":
            ok = auth == f"Bearer {TOKEN}"
            name = "hubspot_page2.json" if query.get("after") == ["9103"] else "hubspot_page1.json"
        else:
            return self._send(404, b"{}")
        if not ok:
            return self._send(401, b'{"message": "unauthorized"}')
        path = RECORDED / name
        self._send(200, path.read_bytes() if path.exists() else b"[]")

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Recorded.requests = []
    _Recorded.throttled = set()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorded)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _api(provider: Literal["delighted", "hubspot"], base_url: str, *, since: date | None = None) -> NpsApiSettings:
    return NpsApiSettings(
        provider=provider, product="orbitask", token_env="VOCMINE_TEST_TOKEN", base_url=base_url, since=since
    )


def test_delighted_pages_until_a_short_page(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOCMINE_TEST_TOKEN", TOKEN)
    read = read_delighted_api(_api("delighted", server, since=date(2026, 1, 1)), per_page=2)
    pages = [q["page"][0] for p, q in _Recorded.requests]
    assert pages == ["1", "2", "2", "3"]  # page 2 answered 429 once, retried after Retry-After
    assert _Recorded.requests[0][1]["per_page"] == ["2"] and _Recorded.requests[0][1]["since"] == ["1767225600"]
    got = [(r.source, r.external_id, r.nps_score, r.plan_tier, r.account_id, r.language, r.region, r.body)
           for r in read.records]  # fmt: skip
    assert got == [
        ("nps-delighted", "201567001", 9, "paid", "ACC-31207", "en", "Europe", "The guided onboarding was excellent."),
        ("nps-delighted", "201567002", 2, "paid", "ACC-31544", "en", "North America",
         "No pro-rata refund on our annual plan."),
        ("nps-delighted", "201567003", 10, "free", "ACC-31890", "ja", "Japan", "サポートの対応が早いです。"),
        ("nps-delighted", "201567005", 7, "free", None, "id", "Indonesia", None),
    ]  # fmt: skip
    assert read.records[0].created_at == datetime.fromtimestamp(1775120102, UTC)
    assert "lee@example.com" not in read.records[0].raw and read.records[0].author_hash
    assert [(r.reason, r.location) for r in read.rejects] == [("missing score", "delighted API page 2, id 201567004")]
    assert read.pages == 3


def test_hubspot_follows_after_cursor(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOCMINE_TEST_TOKEN", TOKEN)
    read = read_hubspot_api(_api("hubspot", server), limit=2)
    afters = [q.get("after") for _, q in _Recorded.requests]
    assert afters == [None, ["9103"]]
    assert "hs_value" in _Recorded.requests[0][1]["properties"][0]
    got = [(r.source, r.external_id, r.nps_score, r.body, r.created_at, r.plan_tier, r.account_id)
           for r in read.records]  # fmt: skip
    assert got == [
        ("nps-hubspot", "9101", 10, "Our customer success manager is great.",
         datetime(2026, 5, 2, 8, 11, 9, tzinfo=UTC), "paid", "ACC-80001"),
        ("nps-hubspot", "9102", 3, "Charged twice this month.", datetime(2026, 5, 3, 11, tzinfo=UTC), "free", None),
        ("nps-hubspot", "9104", 8, "Onboarding sessions were useful.",
         datetime(2026, 5, 5, 14, 45, tzinfo=UTC), "paid", None),
    ]  # fmt: skip
    assert [r.reason for r in read.rejects] == ["survey type 'CSAT' is not NPS"]


def test_hubspot_since_skips_older_submissions(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOCMINE_TEST_TOKEN", TOKEN)
    read = read_hubspot_api(_api("hubspot", server, since=date(2026, 5, 4)), limit=2)
    assert [r.external_id for r in read.records] == ["9104"]


@pytest.mark.parametrize(("provider", "reader"), [("delighted", read_delighted_api), ("hubspot", read_hubspot_api)])
def test_missing_token_is_a_clear_error(
    provider: Literal["delighted", "hubspot"],
    reader: Callable[..., ApiRead],
    server: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("VOCMINE_TEST_TOKEN", raising=False)
    with pytest.raises(UserError, match="environment variable VOCMINE_TEST_TOKEN is not set"):
        reader(_api(provider, server))
    assert _Recorded.requests == []


def test_refused_token_is_reported_without_the_token(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOCMINE_TEST_TOKEN", "wrong-secret-value")
    with pytest.raises(UserError) as info:
        read_hubspot_api(_api("hubspot", server))
    assert "refused (HTTP 401)" in str(info.value) and "VOCMINE_TEST_TOKEN" in str(info.value)
    assert "wrong-secret-value" not in str(info.value)


def test_api_records_import_through_the_store(server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from pipeline.config import PathsSettings, Settings
    from scrapers.config import ScrapersSettings
    from scrapers.importers import import_nps

    monkeypatch.setenv("VOCMINE_TEST_TOKEN", TOKEN)
    settings = Settings(
        product="orbitask",
        paths=PathsSettings(data_dir=tmp_path),
        scrapers=ScrapersSettings(nps_apis=[_api("hubspot", server)]),
    )
    first, second = import_nps(settings), import_nps(settings)
    assert (first.inserted, first.rejected) == (3, 1)
    assert (second.inserted, second.total("unchanged")) == (0, 3)
    assert json.loads(json.dumps(first.files[0].format)) == "hubspot API"
