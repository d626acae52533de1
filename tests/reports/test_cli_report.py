"""``vocmine report`` through the installed console script, on a store built in the test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reports.conftest import REPO_ROOT
from tests.reports.corpus import make_corpus, write_store


def vocmine(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("vocmine", path=str(Path(sys.executable).parent)) or "vocmine"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "160"}
    return subprocess.run([exe, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    write_store(data / "vocmine.duckdb", make_corpus(n=90, months=4))
    path = tmp_path / "report.yaml"
    path.write_text(
        f"product: orbitask\npaths:\n  data_dir: {data}\nreport:\n  bootstrap_samples: 30\n  min_sample: 5\n",
        encoding="utf-8",
    )
    return path


def test_report_command_writes_the_report(config: Path) -> None:
    out = vocmine("report", "-c", str(config), "--period", "quarter", "--segment", "plan", "--since", "2026-01-01")
    assert out.returncode == 0, out.stderr
    assert "Report:" in out.stdout and "NPS" in out.stdout and "advocate candidates" in out.stdout
    html = Path(out.stdout.split("Report:")[1].split()[0])
    assert html.name == "report.html" and html.is_file()


def test_bad_option_and_missing_store_fail_in_one_line(tmp_path: Path) -> None:
    out = vocmine("report", "--set", f"paths.data_dir={tmp_path / 'nothing'}")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "no store at" in out.stderr
    out = vocmine("report", "--period", "week")
    assert out.returncode == 2 and "week" in out.stderr


@pytest.mark.browser
def test_report_command_takes_screenshots(config: Path, tmp_path: Path) -> None:
    if not Path(os.environ.get("VOCMINE_CHROMIUM", "/usr/bin/chromium")).is_file():
        pytest.skip("headless Chromium not found at /usr/bin/chromium (set VOCMINE_CHROMIUM)")
    shots = tmp_path / "shots"
    out = vocmine("report", "-c", str(config), "--screenshots", str(shots))
    assert out.returncode == 0, out.stderr
    pngs = sorted(shots.glob("*.png"))
    assert [p.name for p in pngs] == sorted(
        ["report-summary.png", "report-attribution.png", "report-advocacy.png", "report-sharp-edges.png"]
    )
    for png in pngs:
        data = png.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
