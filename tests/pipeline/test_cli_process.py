"""``vocmine process`` in a subprocess: killed with SIGKILL mid-run, a rerun ends with exactly the rows of an
uninterrupted run (no duplicates, nothing lost)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import load_settings
from tests.pipeline.feedback_samples import REPO_ROOT, TABLES, fill_store, make_feedback, snapshot, tiny_overrides

N_RECORDS = 400
CONFIGS = [REPO_ROOT / "configs" / "demo.yaml", REPO_ROOT / "configs" / "tiny.yaml"]


def cli_args(data_dir: Path, store: Path, model_dir: Path) -> list[str]:
    # priors adapted in every tagging batch of 64 (a language needs 5 sentences in it), so a resumed run must tag in
    # the same batches as an uninterrupted one to come out the same
    sets = [*tiny_overrides(data_dir, store), f"classifier.model_version={model_dir}",
            "classifier.adapt_sentiment_priors=5"]  # fmt: skip
    configs = [arg for path in CONFIGS for arg in ("-c", str(path))]
    return [sys.executable, "-c", "from pipeline.cli import main; main()", "process", *configs,
            *[arg for s in sets for arg in ("--set", s)]]  # fmt: skip


def run_to_end(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def kill_during(args: list[str], env: dict[str, str], stage: str) -> int:
    """Start the command, SIGKILL it right after its first committed chunk of ``stage``; return chunks seen."""
    progress = re.compile(rf"pipeline\.run: {stage}: (\d+)/(\d+)")
    proc = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            cwd=REPO_ROOT)  # fmt: skip
    assert proc.stderr is not None
    try:
        for line in proc.stderr:
            match = progress.search(line)
            if match and int(match.group(1)) < int(match.group(2)):
                os.kill(proc.pid, signal.SIGKILL)
                break
    finally:
        proc.wait(timeout=300)
    assert proc.returncode == -signal.SIGKILL, f"the run ended before it could be killed during {stage}"
    return proc.returncode


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["segment", "tag"])
def test_kill_9_then_rerun_equals_an_uninterrupted_run(tmp_path: Path, tiny_model_dir: Path, stage: str) -> None:
    env = os.environ | {"VOCMINE_LOG": "DEBUG", "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    records = make_feedback(N_RECORDS)
    stores = {name: tmp_path / f"{name}.duckdb" for name in ("whole", "killed")}
    for store in stores.values():
        fill_store(load_settings(CONFIGS, tiny_overrides(tmp_path / "data", store)), records)

    summary = run_to_end(cli_args(tmp_path / "data", stores["whole"], tiny_model_dir), env)
    assert f"{N_RECORDS:,} records segmented" in summary

    args = cli_args(tmp_path / "data", stores["killed"], tiny_model_dir)
    kill_during(args, env, stage)
    partial = snapshot(stores["killed"])
    whole = snapshot(stores["whole"])
    assert 0 < len(partial["segmented"]) <= len(whole["segmented"])
    if stage == "tag":
        assert 0 < len(partial["predictions"]) < len(whole["predictions"])
    rerun = run_to_end(args, env)
    assert "records segmented" in rerun

    resumed = snapshot(stores["killed"])
    for table in TABLES:
        pd.testing.assert_frame_equal(resumed[table], whole[table], obj=table)
    assert len(whole["predictions"]) == len(whole["sentences"]) > N_RECORDS
