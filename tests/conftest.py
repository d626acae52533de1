"""Test-wide fixtures: offline hub, repo paths, shared evaluation data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to download from a model hub fails at once."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


def shared_data_dir() -> Path:
    return Path(os.environ.get("VOCMINE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture
def shared_data() -> Path:
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"shared evaluation data not found at {path}")
    return path


@pytest.fixture
def csv_default_limit() -> Iterator[None]:
    """The csv module's per-cell limit as a fresh process has it (131,072), whatever an earlier test raised it to."""
    import csv

    old = csv.field_size_limit(131_072)
    yield
    csv.field_size_limit(old)
