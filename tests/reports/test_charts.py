"""Chart functions: one table in, one figure out; checked through the figure's data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from reports import charts, driver_charts, edge_charts


def _rates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": ["2026-01", "2026-02"] * 2,
            "measure": ["svc_support"] * 2 + ["svc_onboarding"] * 2,
            "label": ["support mention"] * 2 + ["onboarding mention"] * 2,
            "value": [0.2, 0.3, 0.05, 0.18],
            "ci_low": [0.1, 0.2, 0.0, 0.1],
            "ci_high": [0.3, 0.4, 0.1, 0.25],
            "n": [40, 42, 40, 42],
        }
    )


def test_rate_trend_draws_a_line_and_a_band_per_measure_in_percent() -> None:
    fig = charts.rate_trend(_rates(), title="t")
    assert isinstance(fig, go.Figure)
    lines = [t for t in fig.data if t.showlegend is not False]
    assert [t.name for t in lines] == ["support mention", "onboarding mention"]
    assert list(lines[1].y) == pytest.approx([5.0, 18.0])
    assert len(fig.data) == 6  # band (2 traces) + line per measure
    assert fig.layout.xaxis.type == "category"


def test_contribution_waterfall_ends_at_the_observed_score() -> None:
    table = pd.DataFrame(
        {
            "term": ["intercept", "support_pos", "other_neg", "service_total"],
            "kind": ["intercept", "service", "other", "total"],
            "label": ["baseline", "support · praise", "other · complaint", "customer service (total)"],
            "points": [20.0, 8.0, -13.0, 8.0],
            "score": [15.0] * 4,
        }
    )
    trace = driver_charts.contribution_waterfall(table).data[0]
    assert list(trace.y) == ["baseline", "support · praise", "other · complaint", "observed score"]
    assert list(trace.x) == [20.0, 8.0, -13.0, 15.0]
    assert list(trace.measure) == ["absolute", "relative", "relative", "total"]


def test_nps_trend_stacks_the_mix_under_the_score() -> None:
    table = pd.DataFrame(
        {
            "period": ["a", "b"],
            "n": [50, 60],
            "promoters": [0.5, 0.6],
            "passives": [0.3, 0.2],
            "detractors": [0.2, 0.2],
            "nps": [30.0, 40.0],
            "nps_low": [10.0, 25.0],
            "nps_high": [45.0, 55.0],
        }
    )
    fig = charts.nps_trend(table)
    bars = [t for t in fig.data if t.type == "bar"]
    assert [b.name for b in bars] == ["detractors", "passives", "promoters"]
    assert {b.yaxis for b in bars} == {"y2"} and list(bars[2].y) == [50.0, 60.0]  # the mix, in the lower panel
    line = next(t for t in fig.data if t.name == "NPS")
    assert list(line.y) == [30.0, 40.0] and line.yaxis == "y" and fig.layout.barmode == "stack"


def test_theme_panels_one_panel_per_kind() -> None:
    table = pd.DataFrame(
        {
            "period": ["a", "b"] * 4,
            "measure": ["support_pos"] * 2 + ["support_neg"] * 2 + ["onboarding_pos"] * 2 + ["onboarding_neg"] * 2,
            "value": [0.1, 0.2, 0.05, 0.05, 0.04, 0.18, 0.0, 0.01],
            "ci_low": [0.0] * 8,
            "ci_high": [0.3] * 8,
        }
    )
    fig = charts.theme_panels(table, kinds=["support", "onboarding"])
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert [(t.name, t.xaxis) for t in lines] == [
        ("praise", "x"),
        ("complaint", "x"),
        ("praise", "x2"),
        ("complaint", "x2"),
    ]
    assert list(lines[2].y) == pytest.approx([4.0, 18.0])
    assert [a.text for a in fig.layout.annotations] == ["support", "onboarding"]


def test_impact_bars_carry_asymmetric_intervals() -> None:
    table = pd.DataFrame({"label": ["a", "b"], "impact": [5.0, -3.0], "ci_low": [2.0, -6.0], "ci_high": [9.0, -1.0]})
    trace = driver_charts.impact_bars(table, value="impact", title="t", unit="pts").data[0]
    assert list(trace.x) == [-3.0, 5.0]  # reversed: first row on top
    assert list(trace.error_x.array) == [2.0, 4.0] and list(trace.error_x.arrayminus) == [3.0, 3.0]


def test_edge_heatmap_marks_spikes() -> None:
    table = pd.DataFrame(
        {
            "category": ["billing"] * 3 + ["cancellation_refunds"] * 3,
            "period": ["a", "b", "c"] * 2,
            "count": [1, 2, 1, 0, 0, 9],
            "spike": [False] * 5 + [True],
        }
    )
    fig = edge_charts.edge_heatmap(table)
    assert np.array(fig.data[0].z).tolist() == [[0, 0, 9], [1, 2, 1]]  # busiest category first (on top)
    assert list(fig.data[0].y) == ["cancellation refunds", "billing"]
    assert list(fig.data[1].x) == ["c"] and list(fig.data[1].y) == ["cancellation refunds"]
