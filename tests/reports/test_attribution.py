"""Rates, shares, NPS and removal impact on a six-record frame, against values computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports import attribution
from reports.attribution import Resampling

OPTS = Resampling(samples=80, seed=1, min_sample=3)


@pytest.fixture
def records() -> pd.DataFrame:
    """Six NPS records over two months (the last has no text)."""
    return pd.DataFrame(
        {
            "period": ["2026-01"] * 3 + ["2026-02"] * 3,
            "nps_points": [100.0, 100, -100, 0, -100, 100],
            "stars": [np.nan] * 6,
            "has_text": [True, True, True, True, True, False],
            "any_service": [1, 0, 1, 1, 1, 0],
            "support_pos": [1, 0, 0, 1, 0, 0],
            "support_neg": [0, 0, 1, 0, 1, 0],
            "pos_sentences": [2, 1, 0, 1, 0, 0],
            "neg_sentences": [0, 0, 2, 1, 1, 0],
            "pos_service_sentences": [1, 0, 0, 1, 0, 0],
            "neg_service_sentences": [0, 0, 1, 0, 1, 0],
            "plan": ["paid", "free", "paid", "paid", "free", "free"],
        }
    )


def test_mention_rates_by_hand(records: pd.DataFrame) -> None:
    table = attribution.mention_rates(records, by=["period"], measures=["any_service", "support_pos"], opts=OPTS)
    got = table.set_index(["period", "measure"])["value"]
    assert got[("2026-01", "any_service")] == pytest.approx(2 / 3)
    assert got[("2026-02", "any_service")] == 1.0  # the record without text is not in the denominator
    assert got[("2026-01", "support_pos")] == pytest.approx(1 / 3)
    assert got[("2026-02", "support_pos")] == 0.5
    assert table.set_index(["period", "measure"])["n"][("2026-02", "any_service")] == 2
    assert table["small_sample"].tolist() == [False, False, True, True]  # min_sample 3


def test_lift_by_hand(records: pd.DataFrame) -> None:
    table = attribution.lift(records, before="2026-01", after="2026-02", measures=["any_service"], opts=OPTS)
    row = table.iloc[0]
    assert row["lift"] == pytest.approx(1 / 3)
    assert row["ci_low"] <= row["lift"] <= row["ci_high"]


def test_sentiment_shares_by_hand(records: pd.DataFrame) -> None:
    table = attribution.sentiment_shares(records, by=[], opts=OPTS).set_index("measure")
    assert table.loc["positive_share", "value"] == pytest.approx(2 / 4)
    assert table.loc["negative_share", "value"] == pytest.approx(2 / 4)
    assert table.loc["net_per_100", "value"] == pytest.approx(0.0)  # (2 − 2) / 6 records


def test_nps_summary_by_hand(records: pd.DataFrame) -> None:
    row = attribution.nps_summary(records, by=[], opts=OPTS).iloc[0]
    assert row["n"] == 6
    assert row["promoters"] == pytest.approx(3 / 6)
    assert row["passives"] == pytest.approx(1 / 6)
    assert row["detractors"] == pytest.approx(2 / 6)
    assert row["nps"] == pytest.approx(100 / 6)  # 50% − 33.3%
    assert row["nps_low"] <= row["nps"] <= row["nps_high"]


def test_removal_impact_by_hand_and_identity(records: pd.DataFrame) -> None:
    table = attribution.removal_impact(records, y="nps_points", themes=["support_neg"], opts=OPTS)
    row = table.iloc[0]
    # without records 3 and 5 (both −100) the NPS is mean(100, 100, 0, 100) = 75; all: 16.67
    assert row["score_without"] == pytest.approx(75.0)
    assert row["impact"] == pytest.approx(100 / 6 - 75)
    # identity: n_t·(NPS_t − NPS_all)/(N − n_t) = 2·(−100 − 16.67)/4
    assert row["impact_identity"] == pytest.approx(2 * (-100 - 100 / 6) / 4)
    assert row["impact"] == pytest.approx(row["impact_identity"])
    assert row["ci_low"] <= row["impact"] <= row["ci_high"]


def test_stars_summary_by_hand() -> None:
    frame = pd.DataFrame({"period": ["p"] * 4, "stars": [5.0, 4, 2, 1], "nps_points": [np.nan] * 4})
    row = attribution.stars_summary(frame, by=[], opts=OPTS).iloc[0]
    assert row["mean_stars"] == 3.0 and row["five_star"] == 0.25 and row["low_star"] == 0.5


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([-100.0, 0.0, 100.0]), st.booleans()), min_size=2, max_size=50))
def test_removal_impact_identity_holds(rows: list[tuple[float, bool]]) -> None:
    frame = pd.DataFrame({"nps_points": [r[0] for r in rows], "theme": [int(r[1]) for r in rows]})
    row = attribution.removal_impact(frame, y="nps_points", themes=["theme"], opts=Resampling(samples=20)).iloc[0]
    n_t = frame["theme"].sum()
    if 0 < n_t < len(frame):
        assert row["impact"] == pytest.approx(row["impact_identity"], abs=1e-9)
        assert -200 <= row["impact"] <= 200
        assert row["ci_low"] <= row["impact"] <= row["ci_high"]
