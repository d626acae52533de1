"""The analysis as a whole: partial edge periods, compared periods, and reports from reviews alone."""

from __future__ import annotations

import pandas as pd

from reports.analysis import analyse, compared_periods, partial_periods
from reports.attribution import Resampling
from reports.sections import build_sections
from tests.reports.corpus import CATEGORIES, KINDS, make_corpus


def _records(sizes: dict[str, int], *, text: dict[str, int] | None = None) -> pd.DataFrame:
    rows = []
    for period, n in sizes.items():
        with_text = (text or {}).get(period, n)
        rows += [{"period": period, "has_text": i < with_text} for i in range(n)]
    return pd.DataFrame(rows)


def test_partial_edge_periods_are_found_by_hand() -> None:
    records = _records({"2025-12": 2, "2026-01": 40, "2026-02": 50, "2026-03": 45, "2026-04": 3})
    assert partial_periods(records) == {"2025-12": 2, "2026-04": 3}  # < 20% of the median (45)
    assert partial_periods(_records({"a": 1, "b": 40, "c": 2, "d": 40})) == {"a": 1}  # inner periods stay


def test_compared_periods_skip_periods_too_small_to_compare() -> None:
    records = _records({"a": 40, "b": 40, "c": 40}, text={"c": 5})
    assert compared_periods(records, min_sample=30) == ("a", "b")
    assert compared_periods(records, min_sample=3) == ("b", "c")
    assert compared_periods(_records({"a": 40}), min_sample=3) is None


def test_reviews_only_get_the_full_star_rating_analysis() -> None:
    corpus = make_corpus(n=90, months=4)
    reviews = corpus["feedback"][corpus["feedback"]["kind"] == "review"]
    keys = set(reviews["external_id"])
    analysis = analyse(
        reviews,
        corpus["tags"][corpus["tags"]["external_id"].isin(keys)],
        corpus["sentences"][corpus["sentences"]["external_id"].isin(keys)],
        model_version="m",
        service_kinds=KINDS,
        sharp_edge_categories=list(CATEGORIES),
        opts=Resampling(samples=20, min_sample=5),
    )
    assert analysis.key.nps is None and analysis.key.cs_points is None
    assert analysis.key.stars is not None and analysis.key.cs_stars is not None
    assert "nps_by_period" not in analysis.tables and "relative_weights_stars" in analysis.tables
    groups = {g.title: [b.id for b in g.blocks] for g in build_sections(analysis)[0].groups}
    assert "Net Promoter Score" not in groups
    assert groups["Star ratings"] == [
        "stars",
        "waterfall-stars",
        "contribution-stars",
        "change-stars",
        "removal-stars",
        "weights-stars",
    ]


def test_a_trailing_partial_period_is_left_out_with_a_note() -> None:
    corpus = make_corpus(n=120, months=4)
    feedback = corpus["feedback"].copy()
    feedback.loc[0, "created_at"] = pd.Timestamp("2026-05-01T02:00Z")  # one straggler in a new month
    analysis = analyse(
        feedback,
        corpus["tags"],
        corpus["sentences"],
        model_version="m",
        service_kinds=KINDS,
        sharp_edge_categories=list(CATEGORIES),
        opts=Resampling(samples=10),
    )
    assert analysis.key.periods == ("2026-01", "2026-02", "2026-03", "2026-04")
    assert analysis.compare == ("2026-03", "2026-04")
    assert analysis.notes and "2026-05 has only 1 record" in analysis.notes[0]
