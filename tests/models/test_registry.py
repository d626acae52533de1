"""The hidden work directories of trainings: marked with their process, swept once that process is gone."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from models.registry import OWNER_FILE, UNOWNED_AFTER_S, publish, remove_abandoned, start_work_dir


def _finished_pid() -> int:
    """The pid of a process that has run and exited."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    return int(proc.stdout)


def _work(models: Path, name: str, owner: dict | None, *, age_s: float = 0) -> Path:
    work = models / f".{name}.tmp"
    work.mkdir(parents=True)
    (work / "model.safetensors").write_bytes(b"\0" * 1024)
    if owner is not None:
        (work / OWNER_FILE).write_text(json.dumps(owner), encoding="utf-8")
    if age_s:
        then = time.time() - age_s
        os.utime(work, (then, then))
    return work


def test_a_new_training_removes_the_work_directories_of_dead_trainings_only(tmp_path: Path) -> None:
    host = socket.gethostname()
    dead = _work(tmp_path, "killed", {"pid": _finished_pid(), "host": host})
    alive = _work(tmp_path, "running", {"pid": os.getpid(), "host": host})
    elsewhere = _work(tmp_path, "other-host", {"pid": _finished_pid(), "host": host + "-not"})
    old_unowned = _work(tmp_path, "old", None, age_s=UNOWNED_AFTER_S + 60)
    new_unowned = _work(tmp_path, "new", None)
    model = tmp_path / "vocmine-x-1"  # a finished model is never touched
    model.mkdir()

    work = start_work_dir(tmp_path, "vocmine-x-2")

    assert not dead.exists() and not old_unowned.exists()
    assert alive.exists() and elsewhere.exists() and new_unowned.exists() and model.exists()
    assert json.loads((work / OWNER_FILE).read_text(encoding="utf-8")) == {"pid": os.getpid(), "host": host}
    assert remove_abandoned(tmp_path) == []


def test_a_published_model_carries_no_owner_file_and_replaces_its_namesake(tmp_path: Path) -> None:
    final = tmp_path / "vocmine-x-1"
    final.mkdir()
    (final / "stale").write_text("old", encoding="utf-8")
    work = start_work_dir(tmp_path, "vocmine-x-1")
    (work / "meta.json").write_text("{}", encoding="utf-8")

    publish(work, final)

    assert sorted(p.name for p in final.iterdir()) == ["meta.json"]
    assert not work.exists()


def test_a_corrupt_owner_file_counts_as_unowned(tmp_path: Path) -> None:
    work = _work(tmp_path, "garbled", None)
    (work / OWNER_FILE).write_text("{not json", encoding="utf-8")
    assert remove_abandoned(tmp_path) == []
    then = time.time() - UNOWNED_AFTER_S - 60
    os.utime(work, (then, then))
    assert remove_abandoned(tmp_path) == [work]
