"""Findings: the change point of a step series, and the planted stories of the synthetic corpus."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reports.analysis import analyse
from reports.attribution import Resampling
from reports.findings import change_point
from tests.reports.corpus import CATEGORIES, KINDS


def test_change_point_finds_the_step() -> None:
    periods = [f"2026-{m:02d}" for m in range(1, 9)]
    rng = np.random.default_rng(0)
    values = [float(rng.random() < (0.05 if i < 4 else 0.4)) for i in range(8) for _ in range(50)]
    frame = pd.DataFrame({"period": [p for p in periods for _ in range(50)], "x": values})
    found = change_point(frame, value="x")
    assert found is not None and found.since == "2026-05"
    assert found.before < 0.1 < 0.3 < found.after and found.z > 4


def test_flat_series_has_no_strong_shift() -> None:
    frame = pd.DataFrame({"period": [f"p{i}" for i in range(6) for _ in range(20)], "x": [0.0, 1.0] * 60})
    found = change_point(frame, value="x")
    assert found is None or abs(found.z) < 1


def test_planted_stories_are_found(corpus) -> None:
    analysis = analyse(
        corpus["feedback"],
        corpus["tags"],
        corpus["sentences"],
        model_version="m",
        service_kinds=KINDS,
        sharp_edge_categories=list(CATEGORIES),
        opts=Resampling(samples=30),
    )
    shifts = analysis.tables["shifts"]
    onboarding = shifts[(shifts["measure"] == "onboarding_pos") & (shifts["dimension"] == "all")].iloc[0]
    assert onboarding["since"] == "2026-05" and onboarding["after"] > onboarding["before"] + 0.15
    spikes = analysis.tables["sharp_edges_by_period"]
    assert spikes.loc[spikes["spike"], ["category", "period"]].values.tolist() == [["cancellation_refunds", "2026-07"]]
    text = " ".join(analysis.findings)
    assert "Onboarding · praise" in text and "from 2026-05" in text
    assert "Cancellation refunds complaints spiked in 2026-07" in text and "plan = paid" in text
    assert (
        pytest.approx(analysis.key.cs_points.value)
        == analysis.tables["contributions_nps_total"].query("kind == 'service'")["points"].sum()
    )
