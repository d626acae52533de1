"""The HTML report in a real headless Chromium: no console errors, charts drawn, hostile text stays text."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reports.build import build_report
from tests.reports.corpus import make_corpus, write_store

pytestmark = pytest.mark.browser
CHROMIUM = Path(os.environ.get("VOCMINE_CHROMIUM", "/usr/bin/chromium"))
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"


def _need_chromium() -> None:
    if not CHROMIUM.is_file():
        pytest.skip(f"headless Chromium not found at {CHROMIUM} (install Debian's chromium or set VOCMINE_CHROMIUM)")


class DevTools:
    """A minimal Chrome DevTools Protocol client over one page session (websocket-client)."""

    def __init__(self, url: str) -> None:
        import websocket

        self.ws = websocket.create_connection(url, timeout=30)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._event(reply)

    def wait_for(self, method: str, *, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event["method"] == method:
                return event
        while time.monotonic() < deadline:
            event = json.loads(self.ws.recv())
            self._event(event)
            if event.get("method") == method:
                return event
        raise TimeoutError(method)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result["result"].get("value")

    def _event(self, event: dict[str, Any]) -> None:
        if "method" not in event:
            return
        self.events.append(event)
        if event["method"] == "Page.javascriptDialogOpening":  # never leave a dialog blocking the page
            self.ws.send(
                json.dumps(
                    {
                        "id": 10**6 + len(self.events),
                        "method": "Page.handleJavaScriptDialog",
                        "params": {"accept": True},
                        "sessionId": self.session,
                    }
                )
            )


@pytest.fixture
def browser() -> Iterator[str]:
    """A headless Chromium with remote debugging on a free port; yields the browser websocket URL."""
    _need_chromium()
    pytest.importorskip("websocket", reason="the browser test needs websocket-client")
    with tempfile.TemporaryDirectory(prefix="vocmine-cdp-", ignore_cleanup_errors=True) as profile:
        process = subprocess.Popen(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + 60
            while not (port_file.is_file() and len(port_file.read_text().splitlines()) >= 2):
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("Chromium did not open its DevTools port")
                time.sleep(0.1)
            port, path = port_file.read_text().splitlines()[:2]
            yield f"ws://127.0.0.1:{port}{path}"
        finally:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture
def hostile_report(tmp_path: Path, settings_for) -> Path:
    """A report from a real store in which one 5-star review quotes a script and one region is an img tag."""
    corpus = make_corpus(n=90, months=4)
    feedback, sentences = corpus["feedback"], corpus["sentences"]
    last = feedback["created_at"].idxmax()  # the newest record, so it heads the advocate list
    feedback.loc[last, ["kind", "rating", "nps_score", "region"]] = ["review", 5.0, None, IMG]
    key = feedback.loc[last, "external_id"]
    rows = set(sentences.index[sentences["external_id"] == key])
    sentences.loc[list(rows), ["text_redacted", "sentiment", "sentiment_score", "sharp_edge"]] = [
        f"Support was great {SCRIPT} really.",
        "positive",
        0.99,
        "none",
    ]
    sentences["service"] = [["support"] if i in rows else s for i, s in sentences["service"].items()]
    settings = settings_for(segments=["plan", "region"])
    write_store(settings.paths.store_path, corpus)
    return build_report(settings).html


def test_report_renders_in_chromium_without_errors_and_never_runs_review_text(browser, hostile_report):
    cdp = DevTools(browser)
    target = cdp.call("Target.createTarget", url="about:blank")["targetId"]
    cdp.session = cdp.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Page", "Runtime", "Log"):
        cdp.call(f"{domain}.enable")
    cdp.call("Page.navigate", url=hostile_report.resolve().as_uri())
    cdp.wait_for("Page.loadEventFired")
    figures = cdp.evaluate("document.querySelectorAll('div.plotly-graph-div').length")
    drawn = cdp.evaluate("document.querySelectorAll('div.plotly-graph-div svg.main-svg').length")
    plotted = cdp.evaluate("[...document.querySelectorAll('div.plotly-graph-div')].filter(d => d._fullLayout).length")
    text = cdp.evaluate("document.body.innerText")
    scripts = cdp.evaluate("[...document.scripts].map(s => s.textContent)")
    images = cdp.evaluate("document.querySelectorAll('img').length")
    errors = [
        e
        for e in cdp.events
        if e["method"] == "Runtime.exceptionThrown"
        or (e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert"))
        or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
    ]
    dialogs = [e for e in cdp.events if e["method"] == "Page.javascriptDialogOpening"]

    assert errors == []
    assert dialogs == []
    assert figures >= 10 and plotted == figures
    assert drawn >= figures  # every figure has drawn at least its main SVG
    assert SCRIPT in text  # shown as text in the advocate list
    assert IMG in text  # the region name is shown as text, not turned into an element
    assert images == 0
    assert not any("alert(1)" in s and "Plotly" not in s for s in scripts)
