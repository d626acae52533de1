"""Fixtures for the processing tests: settings on a temporary store, a taxonomy rule classifier and (for the
slower tests) the real tiny trained model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.config import Settings, load_settings
from pipeline.taxonomy import load_taxonomy
from tests.pipeline.feedback_samples import REPO_ROOT, tiny_overrides
from tests.pipeline.taxonomy_classifier import TaxonomyClassifier


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings on a store under ``tmp_path``; extra ``key=value`` overrides win."""

    def build(*overrides: str, store: Path | None = None) -> Settings:
        files = [REPO_ROOT / "configs" / "demo.yaml", REPO_ROOT / "configs" / "tiny.yaml"]
        return load_settings(files, [*tiny_overrides(tmp_path / "data", store), *overrides])

    return build


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def rule_classifier() -> TaxonomyClassifier:
    return TaxonomyClassifier(load_taxonomy(REPO_ROOT / "configs" / "taxonomy.yaml"))


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real tiny classifier (random tiny BERT fine-tuned briefly on the gold set), trained once per session."""
    pytest.importorskip("torch")
    train = pytest.importorskip("models.train")
    data_dir = tmp_path_factory.mktemp("tiny-model")
    files = [REPO_ROOT / "configs" / "demo.yaml", REPO_ROOT / "configs" / "tiny.yaml"]
    overrides = [*tiny_overrides(data_dir), "classifier.epochs=1", "classifier.max_train_examples=120"]
    result = train.train_from_settings(load_settings(files, overrides))
    return result.model_dir
