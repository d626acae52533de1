"""Stored rows → one row per record: periods, segments, scores and theme indicators, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reports.aggregate import driver_themes, period_of, record_frame, theme_label
from tests.reports.frames import feedback, sentences, tags

KINDS = ["support", "success", "onboarding"]


@pytest.fixture
def stored() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    fb = feedback(
        {"external_id": "a", "nps_score": 10, "created_at": "2026-03-15T10:00Z"},
        {
            "external_id": "b",
            "source": "g2",
            "kind": "review",
            "rating": 2,
            "created_at": "2026-04-02T00:00Z",
            "plan_tier": None,
            "language": "ja",
            "region": None,
        },
        {"external_id": "c", "nps_score": 7, "created_at": "2026-03-31T23:30Z"},
        {"external_id": "d", "nps_score": 3, "created_at": "2026-03-31T23:30Z"},
    )
    sents = sentences(
        ("nps", "a", 0, "Support was quick.", ["support"], "positive", "none", 0.9, 0.1),
        ("nps", "a", 1, "They charged me twice.", [], "negative", "billing", 0.8, 0.95),
        ("g2", "b", 0, "Onboarding was a mess.", ["onboarding"], "negative", None, 0.7, 0.1),
        ("g2", "b", 1, "The app is fine.", [], "neutral", "none", 0.6, 0.1),
    )
    return fb, tags(fb, skip=("c",)), sents


def test_record_frame_by_hand(stored) -> None:
    fb, tg, sents = stored
    records = record_frame(fb, tg, sents, period="month", service_kinds=KINDS).set_index("external_id")
    assert set(records.index) == {"a", "b", "d"}  # c has no tags for this model version
    a, b, d = records.loc["a"], records.loc["b"], records.loc["d"]
    assert (a["period"], a["nps_points"], a["support_pos"], a["sharp_edge"], a["other_neg"]) == (
        "2026-03",
        100,
        1,
        1,
        0,
    )
    assert (a["pos_sentences"], a["neg_sentences"], a["service_sentences"], a["has_service"]) == (1, 1, 1, True)
    assert (b["period"], b["stars"], b["onboarding_neg"], b["plan"], b["language"]) == (
        "2026-04",
        2.0,
        1,
        "unknown",
        "ja",
    )
    assert np.isnan(b["nps_points"]) and b["region"] == "unknown" and b["other_pos"] == 0
    assert (d["has_text"], d["nps_points"], d["any_service"]) == (False, -100, 0)
    assert records[driver_themes(KINDS)].isin([0, 1]).all().all()


def test_periods_are_utc_months_and_quarters() -> None:
    stamps = pd.Series(pd.to_datetime(["2026-03-31T23:30Z", "2026-04-01T00:00Z", "2025-12-31T12:00Z"], utc=True))
    assert period_of(stamps, "month").tolist() == ["2026-03", "2026-04", "2025-12"]
    assert period_of(stamps, "quarter").tolist() == ["2026-Q1", "2026-Q2", "2025-Q4"]


def test_theme_labels_read_well() -> None:
    assert theme_label("support_pos") == "support · praise"
    assert theme_label("other_neg") == "product & other · complaint"
    assert theme_label("sharp_edge") == "policy sharp edge"
