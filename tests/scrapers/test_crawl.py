"""Real Scrapy crawls (``crawl_sources``, a child process) against a local site on 127.0.0.1.

The site serves Trustpilot pages and an App Store feed, a robots.txt that disallows ``/private/``, one 429 with
``Retry-After: 1``, one 500, a review repeated across pages and a malformed review. Three crawls: the first stores
every review once; the second, of unchanged pages, requests only the first page of each source; the third sees an
edited review and updates its row.
"""

from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import Settings
from pipeline.errors import UserError
from pipeline.store import Store, StoreError
from scrapers.crawl import CrawlResult, crawl_sources

REPO = Path(__file__).resolve().parents[2]
APP = "1600000001"
FEED = "/us/rss/customerreviews/page={n}/id=" + APP + "/sortby=mostrecent/{fmt}"


def load_renderer() -> Any:
    """The demo page renderer (data/sample/render_pages.py) writes each site's format; the test site reuses it."""
    spec = importlib.util.spec_from_file_location("render_pages", REPO / "data" / "sample" / "render_pages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = load_renderer()


def row(n: int, **fields: Any) -> dict[str, Any]:
    values = {
        "id": f"tp{n:03d}",
        "date": f"2026-09-{1 + n % 28:02d}T10:00:00+00:00",
        "rating": 1 + n % 5,
        "title": f"Review number {n}",
        "body": f"Support solved problem {n} quickly; the renewal terms were clear.",
        "lang": "en",
        "author": f"Author {n}",
        "country": "gb",
    }
    return {**values, **fields}


class Site:
    """A tiny web server: fixed pages, one-shot failures, and a log of every request it answered."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {}
        self.fail_once: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self.log: list[tuple[float, str, int]] = []
        self.held: dict[str, tuple[threading.Event, threading.Event]] = {}  # path -> (arrived, release)
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def serve(self, path: str, text: str, content_type: str = "text/html; charset=utf-8") -> None:
        self.pages[path] = (content_type, text.encode("utf-8"))

    def paths(self) -> list[str]:
        return [path for _, path, _ in self.log]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path in site.held:
                    arrived, release = site.held.pop(self.path)
                    arrived.set()
                    release.wait(timeout=30)
                with site.lock:
                    headers: dict[str, str] = {}
                    if site.fail_once.get(self.path):
                        status, headers = site.fail_once[self.path].pop(0)
                        body = b"try again later"
                    elif self.path in site.pages:
                        status, (content_type, body) = 200, site.pages[self.path]
                        headers = {"Content-Type": content_type}
                    else:
                        status, body = 404, b"not found"
                    site.log.append((time.monotonic(), self.path, status))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def site() -> Iterator[Site]:
    site = Site()
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    yield site
    site.server.shutdown()
    site.server.server_close()
    thread.join(timeout=5)


def publish(site: Site, *, edited: bool = False) -> None:
    pages = [
        [row(1), row(2, body="Edited: support stopped replying after the renewal.") if edited else row(2), row(3)],
        [row(4), row(5)],
        [row(5), row(6), row(7, rating=9)],  # review 5 again (pagination shifted); review 7 is malformed
    ]
    paths = ["/review/orbitask.com", "/review/orbitask.com?page=2", "/review/orbitask.com?page=3"]
    for n, (part, path) in enumerate(zip(pages, paths, strict=True), 1):
        nxt = paths[n] if n < len(paths) else None
        site.serve(path, render.trustpilot_page(part, page=n, pages=len(paths), next_href=nxt))
    site.serve("/private/review/orbitask.com", render.trustpilot_page([row(99)], page=1, pages=1, next_href=None))
    site.serve("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    feed = [row(n, id=f"9{n:03d}", country="us") for n in (11, 12, 13)]
    xml_next = (
        site.url + FEED.format(n=2, fmt="xml") + "?urlDesc=" + FEED.format(n=2, fmt="json").removeprefix("/us/rss")
    )
    site.serve(FEED.format(n=1, fmt="json"), render.appstore_feed(feed[:2], country="us", next_href=xml_next))
    site.serve(FEED.format(n=2, fmt="json"), render.appstore_feed(feed[2:], country="us", next_href=None))


def settings_for(site: Site, data_dir: Path) -> Settings:
    return Settings.model_validate(
        {
            "paths": {"data_dir": str(data_dir)},
            "scrapers": {
                "download_delay": 0,
                "autothrottle": False,
                "retry_backoff_s": 0.2,
                "sources": [
                    {
                        "spider": "trustpilot",
                        "product": "orbitask",
                        "start_urls": [
                            f"{site.url}/review/orbitask.com",
                            f"{site.url}/private/review/orbitask.com",
                            f"{site.url}/private/review/orbitask.com?page=2",
                        ],
                    },
                    {
                        "spider": "appstore",
                        "product": "orbitask",
                        "country": "us",
                        "start_urls": [site.url + FEED.format(n=1, fmt="json")],
                    },
                ],
            },
        }
    )


def stored(settings: Settings) -> dict[str, dict[str, Any]]:
    with Store(settings.paths.store_path, read_only=True) as store:
        frame = store.frame("SELECT source, external_id, body, rating FROM feedback ORDER BY external_id")
    return {f"{r.source}/{r.external_id}": {"body": r.body, "rating": r.rating} for r in frame.itertuples()}


def test_crawls_are_polite_complete_incremental_and_update_edits(site: Site, tmp_path: Path) -> None:
    publish(site)
    site.fail_once["/review/orbitask.com?page=2"] = [(429, {"Retry-After": "1"})]
    site.fail_once["/review/orbitask.com?page=3"] = [(500, {})]
    settings = settings_for(site, tmp_path / "data")

    first = crawl_sources(settings)

    trustpilot, appstore = first.spiders
    assert (trustpilot.inserted, trustpilot.duplicates, trustpilot.rejected) == (6, 1, 1)
    assert (appstore.inserted, appstore.pages) == (3, 2)
    assert trustpilot.blocked_by_robots == 2
    assert any("robots.txt" in m and "/private/review/orbitask.com" in m for m in first.blocked)
    assert not [p for p in site.paths() if p.startswith("/private/")], "a path disallowed by robots.txt was requested"
    assert site.paths().count("/review/orbitask.com?page=2") == 2  # 429, then the retry
    assert site.paths().count("/review/orbitask.com?page=3") == 2  # 500, then the retry
    asked = [t for t, path, _ in site.log if path == "/review/orbitask.com?page=2"]
    assert asked[1] - asked[0] >= 0.9, "the retry did not wait for Retry-After"
    assert sorted(stored(settings)) == sorted(
        [f"trustpilot/tp{n:03d}" for n in range(1, 7)] + [f"appstore/9{n:03d}" for n in (11, 12, 13)]
    )
    with Store(settings.paths.store_path, read_only=True) as store:
        rejects = store.frame("SELECT source, external_id, reason, raw FROM rejects")
    assert list(rejects.external_id) == ["tp007"]
    assert "rating: 9.0 is outside 1–5" in rejects.reason[0] and "Review number 7" in rejects.raw[0]
    assert not list((settings.paths.crawl_dir / "jobs").glob("*")), "finished crawls leave no resumable job"

    site.log.clear()
    second = crawl_sources(settings)
    assert sorted(set(site.paths())) == sorted(["/robots.txt", "/review/orbitask.com", FEED.format(n=1, fmt="json")])
    assert (second.total("inserted"), second.total("updated"), second.total("unchanged")) == (0, 0, 5)

    site.log.clear()
    publish(site, edited=True)
    third = crawl_sources(settings, only=["trustpilot"])
    assert [s.spider for s in third.spiders] == ["trustpilot"]
    assert (third.total("inserted"), third.total("updated")) == (0, 1)
    assert "/review/orbitask.com?page=2" in site.paths() and "/review/orbitask.com?page=3" not in site.paths()
    rows = stored(settings)
    assert len(rows) == 9
    assert rows["trustpilot/tp002"]["body"].startswith("Edited:")


def test_result_summary_names_every_source_and_block() -> None:
    data: dict[str, Any] = {"spiders": [{"spider": "g2", "product": "orbitask", "label": "g2 orbitask", "pages": 1,
                         "blocked": ["g2 (orbitask): Cloudflare bot challenge (HTTP 403): https://x was not fetched."],
                         "finish_reason": "finished"}]}  # fmt: skip
    result = CrawlResult.from_json(data)
    assert result.blocked == tuple(data["spiders"][0]["blocked"])
    summary = result.summary()
    assert "g2 orbitask" in summary and "blocked: g2 (orbitask): Cloudflare" in summary


def test_unknown_spiders_and_empty_configs_are_user_errors(tmp_path: Path) -> None:
    settings = Settings.model_validate({"paths": {"data_dir": str(tmp_path)}})
    with pytest.raises(UserError, match="no review sources"):
        crawl_sources(settings)
    with pytest.raises(UserError, match="unknown spider"):
        crawl_sources(settings, only=["yelp"])


def test_a_store_held_by_another_writer_is_a_clear_error(site: Site, tmp_path: Path) -> None:
    publish(site)
    settings = settings_for(site, tmp_path / "data")
    with Store(settings.paths.store_path), pytest.raises(StoreError, match="cannot open store"):
        crawl_sources(settings)
    assert site.log == [], "nothing is fetched when the results could not be stored"


def test_an_interrupted_crawl_resumes_where_it_stopped(site: Site, tmp_path: Path) -> None:
    publish(site)
    settings = settings_for(site, tmp_path / "data")
    settings.scrapers.sources.pop()  # Trustpilot only
    arrived, release = threading.Event(), threading.Event()
    site.held["/review/orbitask.com?page=2"] = (arrived, release)
    job, out = tmp_path / "job.json", tmp_path / "out.json"
    job.write_text(json.dumps({"settings": settings.resolved(), "only": []}), encoding="utf-8")
    child = subprocess.Popen([sys.executable, "-m", "scrapers.crawl", str(job), str(out)], cwd=REPO)
    try:
        assert arrived.wait(timeout=60), "the crawl never reached page 2"
        child.send_signal(signal.SIGTERM)  # what a stopped container sends (Ctrl-C sends SIGINT, handled alike)
        log = settings.paths.crawl_dir / "crawl.log"
        deadline = time.monotonic() + 60
        while "interrupted: stopping" not in log.read_text(encoding="utf-8") and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        release.set()
        child.wait(timeout=60)
    (interrupted,) = CrawlResult.from_json(json.loads(out.read_text(encoding="utf-8"))).spiders
    assert interrupted.finish_reason == "shutdown" and interrupted.inserted == 5  # pages 1 and 2
    assert list((settings.paths.crawl_dir / "jobs").glob("*/requests.queue")), "the queue was not saved"

    site.log.clear()
    resumed = crawl_sources(settings)
    assert "/review/orbitask.com?page=3" in site.paths(), "the saved request for page 3 was not resumed"
    assert "/review/orbitask.com?page=2" not in site.paths()
    assert resumed.total("inserted") == 1 and len(stored(settings)) == 6
    assert not list((settings.paths.crawl_dir / "jobs").glob("*")), "a finished crawl leaves no job behind"
