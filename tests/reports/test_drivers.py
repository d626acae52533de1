"""Additive contribution (the OLS identity), its change decomposition, and Johnson's relative weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports import drivers
from reports.attribution import Resampling

OPTS = Resampling(samples=60, seed=3, min_sample=2)


def test_ols_by_hand_saturated_cells() -> None:
    # Cells: support praise → (100, 0), support complaint → (−100, −100), neither → (100, 100).
    y = np.array([100.0, 100, -100, 0, -100, 100])
    x = np.array([[1, 0], [0, 0], [0, 1], [1, 0], [0, 1], [0, 0]], dtype=float)
    b0, b = drivers.fit(y, x)
    assert b0 == pytest.approx(100.0)  # mean of "neither"
    assert b == pytest.approx([50 - 100, -100 - 100])
    # NPS = b0 + Σ b_j·p_j exactly: 100 − 50·(2/6) − 200·(2/6) = 16.67
    assert b0 + (b * x.mean(axis=0)).sum() == pytest.approx(y.mean())


def test_contributions_table_adds_up_and_totals_service() -> None:
    frame = pd.DataFrame(
        {
            "period": ["a"] * 6,
            "nps_points": [100.0, 100, -100, 0, -100, 100],
            "support_pos": [1, 0, 0, 1, 0, 0],
            "support_neg": [0, 0, 1, 0, 1, 0],
            "other_pos": [1, 1, 0, 0, 0, 1],
        }
    )
    table = drivers.contributions(
        frame,
        y="nps_points",
        themes=["support_pos", "support_neg", "other_pos"],
        service=["support_pos", "support_neg"],
        by=[],
        opts=OPTS,
    )
    parts = table[table["kind"] != "total"]
    assert parts["points"].sum() == pytest.approx(100 / 6)  # the identity, through the table
    total = table[table["kind"] == "total"].iloc[0]
    service = parts[parts["kind"] == "service"]["points"].sum()
    assert total["points"] == pytest.approx(service)
    assert (table["ci_low"] <= table["points"] + 1e-9).all() and (table["points"] <= table["ci_high"] + 1e-9).all()


def test_theme_absent_or_everywhere_gets_zero_coefficient() -> None:
    y = np.array([100.0, -100, 0, 100])
    x = np.array([[0, 1, 1], [0, 1, 0], [0, 1, 1], [0, 1, 0]], dtype=float)
    b0, b = drivers.fit(y, x)
    assert b[0] == 0 and b[1] == 0
    assert b0 + (b * x.mean(axis=0)).sum() == pytest.approx(y.mean())


def test_change_decomposition_by_hand() -> None:
    # A: x=[1,0,0,0], y=[100,0,0,−100] → b0=−33.3, b=133.3, p=.25, NPS 0
    # B: x=[1,1,0,0], y=[100,100,0,0]  → b0=0,     b=100,   p=.5,  NPS 50
    frame = pd.DataFrame(
        {
            "period": ["A"] * 4 + ["B"] * 4,
            "nps_points": [100.0, 0, 0, -100, 100, 100, 0, 0],
            "t": [1, 0, 0, 0, 1, 1, 0, 0],
        }
    )
    table = drivers.decompose_change(
        frame, y="nps_points", themes=["t"], service=["t"], before="A", after="B", opts=OPTS
    ).set_index("term")
    assert table.loc["t", "volume"] == pytest.approx((400 / 3 + 100) / 2 * 0.25)  # b̄·Δp = 29.17
    assert table.loc["t", "rate"] == pytest.approx(0.375 * (100 - 400 / 3))  # p̄·Δb = −12.5
    assert table.loc["intercept", "total"] == pytest.approx(100 / 3)  # Δb0
    assert table["total"].sum() == pytest.approx(50.0)  # = NPS(B) − NPS(A)


def test_relative_weights_of_orthogonal_drivers_are_squared_correlations() -> None:
    x = np.array([[1, 1], [1, 0], [0, 1], [0, 0]] * 3, dtype=float)  # uncorrelated columns
    y = x[:, 0] + 2 * x[:, 1]
    weights, r2 = drivers.johnson_weights(y, x)
    assert r2 == pytest.approx(1.0)
    assert weights == pytest.approx([0.2, 0.8])  # r² of each: 1/5 and 4/5


def test_relative_weights_table_shares_sum_to_one() -> None:
    rng = np.random.default_rng(0)
    x = (rng.random((80, 3)) < 0.4).astype(float)
    frame = pd.DataFrame(x, columns=["a", "b", "c"]).assign(
        nps_points=np.clip(60 * x[:, 0] - 80 * x[:, 1] + rng.normal(0, 30, 80), -100, 100)
    )
    table = drivers.relative_weights(frame, y="nps_points", themes=["a", "b", "c"], service=["a"], opts=OPTS)
    assert table["share"].sum() == pytest.approx(1.0)
    assert table.iloc[0]["term"] == "b"  # the strongest driver ranks first
    full = np.column_stack([np.ones(80), x])
    resid = frame["nps_points"] - full @ np.linalg.lstsq(full, frame["nps_points"], rcond=None)[0]
    r2 = 1 - resid.var() / frame["nps_points"].var()
    assert table["raw_weight"].sum() == pytest.approx(r2)  # raw weights sum to the model's R²
    assert ((table["ci_low"] <= table["share"]) & (table["share"] <= table["ci_high"])).all()


@settings(max_examples=60, deadline=None)
@given(st.integers(3, 40), st.integers(1, 4), st.integers(0, 2**16))
def test_ols_identity_holds_for_any_binary_design(n: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = (rng.random((n, k)) < rng.random(k)).astype(float)
    y = rng.choice([-100.0, 0.0, 100.0], size=n)
    b0, b = drivers.fit(y, x)
    assert b0 + (b * x.mean(axis=0)).sum() == pytest.approx(y.mean(), abs=1e-8)
    frame = pd.DataFrame(x, columns=[f"t{j}" for j in range(k)]).assign(nps_points=y, period="p")
    table = drivers.contributions(
        frame,
        y="nps_points",
        themes=list(frame.columns[:k]),
        service=["t0"],
        by=[],
        opts=Resampling(samples=20, seed=seed),
    )
    assert table.loc[table["kind"] != "total", "points"].sum() == pytest.approx(y.mean(), abs=1e-8)
    assert (table["ci_low"] <= table["points"] + 1e-9).all() and (table["points"] <= table["ci_high"] + 1e-9).all()
