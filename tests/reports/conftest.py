"""Fixtures for report tests: the synthetic corpus and settings on a temporary data directory."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import Settings
from tests.reports.corpus import make_corpus

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def corpus() -> dict[str, pd.DataFrame]:
    return make_corpus()


@pytest.fixture
def settings_for(tmp_path: Path):
    """Settings pointing at a temporary data dir, small bootstrap for speed."""

    def build(**report: object) -> Settings:
        return Settings.model_validate(
            {
                "product": "orbitask",
                "paths": {"data_dir": str(tmp_path / "data"), "taxonomy": str(REPO_ROOT / "configs/taxonomy.yaml")},
                "report": {"bootstrap_samples": 60, "min_sample": 10, **report},
            }
        )

    return build
