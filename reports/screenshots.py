"""PNG screenshots of a report with headless Chromium: one per view (summary, each section), each sized to fit.

A first ``--dump-dom`` pass reads the height of every view (the page records them on load); then each view is
opened alone through its ``#only-<view>`` anchor and captured at that height.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pipeline.errors import UserError

log = logging.getLogger(__name__)

VIEWS = ("summary", "attribution", "advocacy", "sharp-edges")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=10000",
]
MAX_HEIGHT = 16_000  # Chromium's headless capture fails beyond its texture limit (16384 px)
_HEIGHTS = re.compile(r'data-view-heights="([^"]*)"')


def find_chromium(explicit: Path | str | None = None) -> Path:
    """The Chromium to use: the argument, $VOCMINE_CHROMIUM, /usr/bin/chromium, or one on PATH."""
    candidates = [explicit, os.environ.get("VOCMINE_CHROMIUM"), "/usr/bin/chromium"]
    candidates += [shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise UserError("screenshots need Chromium: install it (e.g. `apt install chromium`) or set VOCMINE_CHROMIUM")


def view_heights(html: Path, *, chromium: Path, timeout: float = 120) -> dict[str, int]:
    """Pixel height of each view of the report, as the page measured it after rendering."""
    dom = _run(chromium, ["--window-size=1440,900", "--dump-dom", html.resolve().as_uri()], timeout=timeout)
    found = _HEIGHTS.search(dom)
    if not found:
        raise UserError(f"{html}: the page did not record its view heights (is it a vocmine report?)")
    return {k: int(v) for k, v in json.loads(found.group(1).replace("&quot;", '"')).items()}


def take_screenshots(
    html: Path,
    out_dir: Path,
    *,
    views: Sequence[str] = VIEWS,
    width: int = 1440,
    chromium: Path | str | None = None,
    timeout: float = 120,
) -> tuple[Path, ...]:
    """Write ``report-<view>.png`` for each view into ``out_dir``; returns the paths written."""
    browser = find_chromium(chromium)
    heights = view_heights(html, chromium=browser, timeout=timeout)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for view in views:
        if view not in heights:
            log.warning("report has no view %r; skipped", view)
            continue
        target = out_dir / f"report-{view}.png"
        target.unlink(missing_ok=True)
        height = min(max(heights[view], 600), MAX_HEIGHT)
        url = f"{html.resolve().as_uri()}#only-{view}"
        _run(browser, [f"--window-size={width},{height}", f"--screenshot={target.resolve()}", url], timeout=timeout)
        if not target.is_file() or target.stat().st_size == 0:
            raise UserError(f"Chromium wrote no screenshot for view {view!r}")
        written.append(target)
    return tuple(written)


def _run(chromium: Path, args: list[str], *, timeout: float) -> str:
    # Chromium's helper processes may still write to the profile as it exits: a leftover temp dir is harmless.
    with tempfile.TemporaryDirectory(prefix="vocmine-chromium-", ignore_cleanup_errors=True) as profile:
        command = [str(chromium), *FLAGS, f"--user-data-dir={profile}", *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise UserError(f"Chromium failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return done.stdout
