"""Trained models on disk: ``<data_dir>/models/<version>/``, versioned ids, the newest one.

A model directory is complete once ``meta.json`` exists: training writes into a hidden temporary directory and
renames it into place at the end, so a crash never leaves a half-written model that looks usable. The temporary
directory names its process; the next training removes those whose process is gone (a ``kill -9`` mid-training).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import UserError

if TYPE_CHECKING:
    from pipeline.config import Settings

log = logging.getLogger(__name__)

META_FILE = "meta.json"
OWNER_FILE = ".owner.json"  # in a training's hidden work directory: which process writes it
UNOWNED_AFTER_S = 24 * 3600  # a work directory from before owner files: abandoned once this old


def model_version(base_name: str, fingerprint: str, *, when: datetime) -> str:
    """``vocmine-<base>-<YYYYmmddHHMMSS>-<hash of data+settings>``, e.g. vocmine-tiny-random-20260101120000-1a2b3c4d."""
    slug = re.sub(r"[^a-z0-9]+", "-", Path(base_name).name.lower()).strip("-") or "base"
    return f"vocmine-{slug}-{when:%Y%m%d%H%M%S}-{fingerprint[:8]}"


def read_meta(model_dir: Path) -> dict[str, Any]:
    return json.loads((model_dir / META_FILE).read_text(encoding="utf-8"))


def list_model_dirs(models_dir: Path) -> list[Path]:
    """Complete model directories, oldest first (by creation time recorded in meta.json, then name)."""
    if not models_dir.is_dir():
        return []
    found = [p for p in models_dir.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / META_FILE).is_file()]
    return sorted(found, key=lambda p: (str(read_meta(p).get("created_at", "")), p.name))


def latest_model_dir(models_dir: Path) -> Path | None:
    """The newest complete model directory, or None when nothing has been trained."""
    dirs = list_model_dirs(models_dir)
    return dirs[-1] if dirs else None


def resolve_model_dir(settings: Settings) -> Path:
    """``classifier.model_version`` when set, else the newest model. Raises UserError when there is none."""
    models_dir = settings.paths.models_dir
    wanted = settings.classifier.model_version
    if wanted:
        path = Path(wanted) if Path(wanted).is_absolute() else models_dir / wanted
        if (path / META_FILE).is_file():
            return path
        known = ", ".join(p.name for p in list_model_dirs(models_dir)) or "none"
        raise UserError(f"model {wanted!r} not found in {models_dir} (trained models: {known})")
    latest = latest_model_dir(models_dir)
    if latest is None:
        raise UserError(f"no trained model in {models_dir}: run `vocmine train` first")
    return latest


def start_work_dir(models_dir: Path, name: str) -> Path:
    """A fresh hidden directory ``models_dir/.<name>.tmp`` for a training to write into, marked with this process;
    abandoned ones of earlier runs are removed first."""
    remove_abandoned(models_dir)
    work = models_dir / f".{name}.tmp"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    owner = {"pid": os.getpid(), "host": socket.gethostname()}
    (work / OWNER_FILE).write_text(json.dumps(owner), encoding="utf-8")
    return work


def publish(work: Path, final: Path) -> None:
    """Move a finished work directory into place as ``final`` (replacing one of the same name)."""
    (work / OWNER_FILE).unlink(missing_ok=True)
    shutil.rmtree(final, ignore_errors=True)
    work.rename(final)


def remove_abandoned(models_dir: Path) -> list[Path]:
    """Remove the hidden work directories whose training process no longer runs on this host; returns them.

    One whose process runs elsewhere (a shared disk) is left alone; one without an owner file counts as abandoned
    once it is a day old."""
    if not models_dir.is_dir():
        return []
    removed = []
    for work in sorted(models_dir.glob(".*.tmp")):
        if work.is_dir() and _abandoned(work):
            shutil.rmtree(work, ignore_errors=True)
            log.warning("removed %s, left by a training that did not finish", work)
            removed.append(work)
    return removed


def _abandoned(work: Path) -> bool:
    try:
        owner = json.loads((work / OWNER_FILE).read_text(encoding="utf-8"))
        pid, host = int(owner["pid"]), str(owner["host"])
    except (OSError, ValueError, KeyError, TypeError):
        return time.time() - work.stat().st_mtime > UNOWNED_AFTER_S
    return host == socket.gethostname() and not _running(pid)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
