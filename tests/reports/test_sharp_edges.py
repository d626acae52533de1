"""Sharp edges: spikes against a category's own baseline, ranking, segments and diverse quotes."""

from __future__ import annotations

import pandas as pd
import pytest

from reports import sharp_edges
from reports.aggregate import attach_records, record_frame
from reports.attribution import Resampling
from tests.reports.frames import feedback, sentences, tags

KINDS = ["support", "success", "onboarding"]
OPTS = Resampling(samples=20, min_sample=2)


def _world(counts: dict[str, list[int]], *, filler: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Records over consecutive months with the given per-month counts of each category (+ filler records)."""
    fb_rows, sent_rows = [], []
    months = len(next(iter(counts.values())))
    for m in range(months):
        for category, series in counts.items():
            for i in range(series[m]):
                key = f"{category}-{m}-{i}"
                plan = "paid" if category == "cancellation_refunds" else ("free" if i % 2 else "paid")
                fb_rows.append(
                    {
                        "external_id": key,
                        "nps_score": 3,
                        "created_at": f"2026-{m + 1:02d}-10T00:00Z",
                        "plan_tier": plan,
                        "language": ("en", "ja", "id")[i % 3],
                    }
                )
                sentiment = "negative" if category == "cancellation_refunds" or i % 2 == 0 else "neutral"
                sent_rows.append(
                    (
                        "nps",
                        key,
                        0,
                        f"{category} complaint number {i} in month {m}",
                        [],
                        sentiment,
                        category,
                        0.9 - i / 100,
                        0.5 + i / 100,
                    )
                )
        for i in range(filler):
            key = f"ok-{m}-{i}"
            fb_rows.append(
                {"external_id": key, "nps_score": 9, "created_at": f"2026-{m + 1:02d}-11T00:00Z", "plan_tier": "free"}
            )
            sent_rows.append(("nps", key, 0, "All good.", [], "positive", "none", 0.9, 0.1))
    fb = feedback(*fb_rows)
    sents = sentences(*sent_rows)
    sents["sentence_language"] = None
    records = record_frame(fb, tags(fb), sents, period="month", service_kinds=KINDS)
    return records, attach_records(sents, records)


def test_spike_is_flagged_against_trailing_median() -> None:
    records, sents = _world({"cancellation_refunds": [1, 1, 2, 1, 9, 1], "billing": [2, 3, 2, 3, 3, 2]})
    table = sharp_edges.by_period(records, sents, categories=["cancellation_refunds", "billing"])
    cancel = table[table["category"] == "cancellation_refunds"].set_index("period")
    # month 5: history [1, 1, 2, 1] → median 1, MAD 0 → scale max(0, √1) = 1 → z = (9 − 1)/1 = 8
    assert cancel.loc["2026-05", "baseline"] == 1.0 and cancel.loc["2026-05", "robust_z"] == pytest.approx(8.0)
    assert cancel["spike"].tolist() == [False, False, False, False, True, False]
    assert not table.loc[table["category"] == "billing", "spike"].any()
    assert cancel.loc["2026-05", "count"] == 9 and cancel.loc["2026-05", "records"] == 9 + 3 + 4  # + billing + filler


def test_ranking_orders_by_volume_times_negativity() -> None:
    # billing: 4 records, half negative → severity 2; cancellation: 3 records, all negative → 3
    records, sents = _world({"billing": [4], "cancellation_refunds": [3]})
    periods = sharp_edges.by_period(records, sents, categories=["billing", "cancellation_refunds", "usage_limits"])
    segments = sharp_edges.segments_affected(
        records, sents, categories=["billing", "cancellation_refunds"], dimensions=["plan"], opts=OPTS
    )
    ranked = sharp_edges.ranking(
        records, sents, periods, segments, categories=["billing", "cancellation_refunds", "usage_limits"], opts=OPTS
    )
    assert ranked["category"].tolist() == ["cancellation_refunds", "billing", "usage_limits"]
    top = ranked.iloc[0]
    assert (top["records"], top["negativity"], top["severity"]) == (3, 1.0, 3.0)
    assert str(top["first_seen"]) == "2026-01-10"
    assert "plan=paid" in top["most_affected"]  # all cancellations come from paid accounts
    assert ranked.iloc[1]["severity"] == pytest.approx(2.0)
    assert ranked.iloc[2]["records"] == 0


def test_segments_affected_ratio_by_hand() -> None:
    records, sents = _world({"cancellation_refunds": [3]}, filler=3)
    table = sharp_edges.segments_affected(
        records, sents, categories=["cancellation_refunds"], dimensions=["plan"], opts=OPTS
    ).set_index("segment")
    # 3 paid records all with the category; 3 free filler records: overall rate 3/6
    assert table.loc["paid", "rate"] == 1.0 and table.loc["free", "rate"] == 0.0
    assert table.loc["paid", "ratio"] == pytest.approx(2.0)


def test_quotes_are_confident_diverse_and_not_near_duplicates() -> None:
    rows = pd.DataFrame(
        {
            "category": ["billing"] * 5,
            "quote": [
                "They charged me twice in May",
                "They charged me twice in June",
                "二重請求されました",
                "Ada biaya tersembunyi",
                "Surprise invoice after the trial",
            ],
            "confidence": [0.99, 0.98, 0.7, 0.6, 0.5],
            "language": ["en", "en", "ja", "id", "en"],
        }
    )
    quotes = sharp_edges.representative_quotes(rows, per_category=4)
    assert quotes["quote"].tolist()[0] == "They charged me twice in May"  # most confident first
    assert "They charged me twice in June" not in quotes["quote"].tolist()  # near-duplicate skipped
    assert set(quotes["language"]) == {"en", "ja", "id"}  # languages rotate
    assert len(quotes) == 4
