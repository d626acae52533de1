"""Trained models on disk: ``<data_dir>/models/<version>/``, versioned ids, the newest one.

A model directory is complete once ``meta.json`` exists: training writes into a hidden temporary directory and
renames it into place at the end, so a crash never leaves a half-written model that looks usable.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import UserError

if TYPE_CHECKING:
    from pipeline.config import Settings

META_FILE = "meta.json"


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
