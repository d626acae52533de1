"""``--engine ray`` on a local Ray instance writes exactly the rows the local engine writes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.run import process_store
from tests.pipeline.feedback_samples import REPO_ROOT, TABLES, fill_store, make_feedback, snapshot

ray = pytest.importorskip("ray", reason="the optional ray extra is not installed")

pytestmark = [
    pytest.mark.ray,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning:ray.*"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(scope="module")
def local_ray():
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        object_store_memory=150 * 1024**2,
        runtime_env={"env_vars": {"PYTHONPATH": str(REPO_ROOT)}},  # workers import the test classifier
    )
    yield ray
    ray.shutdown()


def test_ray_engine_equals_local(local_ray, make_settings, rule_classifier, tmp_path: Path) -> None:
    records = make_feedback(120)
    local = make_settings(store=tmp_path / "local.duckdb")
    distributed = make_settings(store=tmp_path / "ray.duckdb")
    for settings in (local, distributed):
        fill_store(settings, records)

    by_local = process_store(local, classifier=rule_classifier)
    by_ray = process_store(distributed, engine="ray", classifier=rule_classifier)
    assert by_ray.engine == "ray"
    assert (by_ray.segmented, by_ray.sentences, by_ray.tagged, by_ray.aggregated, by_ray.notes) == (
        by_local.segmented, by_local.sentences, by_local.tagged, by_local.aggregated, by_local.notes)  # fmt: skip
    expected, got = snapshot(local.paths.store_path), snapshot(distributed.paths.store_path)
    for table in TABLES:
        pd.testing.assert_frame_equal(got[table], expected[table], obj=table)

    again = process_store(distributed, engine="ray", classifier=rule_classifier)
    assert (again.segmented, again.tagged, again.aggregated) == (0, 0, 0)
    assert not (distributed.paths.data_dir / "ray-scratch").exists() or not any(
        (distributed.paths.data_dir / "ray-scratch").iterdir()
    )


def test_ray_engine_loads_the_trained_model_on_its_workers(local_ray, make_settings, tiny_model_dir: Path,
                                                           tmp_path: Path) -> None:  # fmt: skip
    records = make_feedback(40)
    model = f"classifier.model_version={tiny_model_dir}"
    local = make_settings(model, store=tmp_path / "local.duckdb")
    distributed = make_settings(model, store=tmp_path / "ray.duckdb")
    for settings in (local, distributed):
        fill_store(settings, records)
    by_local = process_store(local)
    by_ray = process_store(distributed, engine="ray")
    assert by_ray.model_version == by_local.model_version and by_ray.tagged == by_local.tagged > 0
    expected, got = snapshot(local.paths.store_path), snapshot(distributed.paths.store_path)
    for table in TABLES:
        pd.testing.assert_frame_equal(got[table], expected[table], obj=table)
