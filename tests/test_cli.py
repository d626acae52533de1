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
