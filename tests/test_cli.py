"""The CLI through its real entry point (the installed ``vocmine`` console script)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.schema import SCHEMA_VERSION

REPO = Path(__file__).resolve().parents[1]


def vocmine(*args: str, cwd: Path = REPO, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("vocmine", path=str(Path(sys.executable).parent)) or "vocmine"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "120"}
    return subprocess.run([exe, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_help_lists_every_command() -> None:
    out = vocmine("--help")
    assert out.returncode == 0, out.stderr
    for command in ("crawl", "import", "process", "train", "evaluate", "tag", "report", "run", "export", "label"):
        assert f" {command} " in out.stdout, command


@pytest.mark.parametrize("command", ["crawl", "import", "process", "train", "tag", "report", "run", "status"])
def test_every_command_has_help(command: str) -> None:
    out = vocmine(command, "--help")
    assert out.returncode == 0, out.stderr
    assert "--config" in out.stdout


def test_config_typo_is_one_clear_line_without_traceback(tmp_path: Path) -> None:
    cfg = tmp_path / "typo.yaml"
    cfg.write_text("classifier:\n  epoch: 3\n", encoding="utf-8")
    out = vocmine("status", "-c", str(cfg))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stderr.strip() == f"error: {cfg}: classifier.epoch: unknown key (did you mean 'epochs'?)"


def test_wrong_type_in_override_names_the_key(tmp_path: Path) -> None:
    out = vocmine("status", "--set", "report.bootstrap_samples=many")
    assert out.returncode == 2
    assert "report.bootstrap_samples" in out.stderr and "Traceback" not in out.stderr


def test_status_and_export_table_on_a_fresh_store(tmp_path: Path) -> None:
    data_dir = f"paths.data_dir={tmp_path / 'data'}"
    out = vocmine("status", "--set", data_dir)
    assert out.returncode == 0, out.stderr
    assert f"schema v{SCHEMA_VERSION}" in out.stdout and "feedback" in out.stdout
    target = tmp_path / "runs.parquet"
    out = vocmine("export-table", "runs", "-o", str(target), "--set", data_dir)
    assert out.returncode == 0, out.stderr
    assert pd.read_parquet(target).empty
    out = vocmine("export-table", "nope", "-o", str(target), "--set", data_dir)
    assert out.returncode == 2 and "unknown table 'nope'" in out.stderr


@pytest.mark.slow
def test_run_twice_on_the_demo_gives_a_report_and_no_duplicates(tmp_path: Path) -> None:
    """The whole job offline on tiny settings: crawl bundled pages, import NPS, train, process, report."""
    args = ("run", "-c", "configs/demo.yaml", "-c", "configs/tiny.yaml", "--set", f"paths.data_dir={tmp_path}")
    first = vocmine(*args)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "vocmine run finished" in first.stdout
    report = next(tmp_path.glob("reports/*/report.html"))
    assert report.stat().st_size > 100_000
    counts_first = _counts(tmp_path)
    assert counts_first["feedback"] == 450 + 650  # every unique demo review and NPS response, once
    assert counts_first["sentences"] > 2_000 and counts_first["predictions"] == counts_first["sentences"]
    from models.export import is_exported
    from models.routed import is_routed

    (model_dir,) = (tmp_path / "models").iterdir()
    assert is_routed(model_dir) and is_exported(model_dir)  # tiny.yaml gives Japanese a model of its own

    second = vocmine(*args)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "model exists, re-used" in second.stdout
    counts_second = _counts(tmp_path)
    assert {k: v for k, v in counts_second.items() if k != "runs"} == {
        k: v for k, v in counts_first.items() if k != "runs"
    }


def _counts(data_dir: Path) -> dict[str, int]:
    from pipeline.store import Store

    with Store(data_dir / "vocmine.duckdb", read_only=True) as store:
        return store.counts()
