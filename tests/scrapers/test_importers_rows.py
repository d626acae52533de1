"""Row validation: bad rows are reported by row number with the reason; field parsers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scrapers.importers import read_nps_file
from scrapers.importers.rows import RowError, normalise_language, normalise_plan, parse_datetime, parse_score

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "nps" / "bad_rows.csv"


def test_bad_rows_are_rejected_by_row_number_and_good_rows_kept() -> None:
    read = read_nps_file(FIXTURE, product="orbitask")
    assert [(r.external_id, r.nps_score, r.body) for r in read.records] == [("301", 8, "Good tool."), ("306", 9, None)]
    assert [(r.location, r.reason, r.external_id) for r in read.rejects] == [
        (f"{FIXTURE}:row 3", "score 11 is outside 0–10", "302"),
        (f"{FIXTURE}:row 4", "missing score", "303"),
        (f"{FIXTURE}:row 5", "bad date '31/31/2026'", "304"),
        (f"{FIXTURE}:row 6", "empty row", None),
        (f"{FIXTURE}:row 8", "score 'n/a' is not a number", "307"),
    ]
    assert all(r.stage == "import" and r.source == "nps-delighted" for r in read.rejects)
    assert '"Comment": "Off the scale."' in read.rejects[0].raw  # the raw row travels with the reject
    assert read.read == 7  # trailing blank lines are not rows


@given(st.integers(min_value=0, max_value=10))
def test_every_valid_score_parses(score: int) -> None:
    assert parse_score(str(score)) == score
    assert parse_score(f"{score}.0") == score


@pytest.mark.parametrize(("text", "score"), [("10 - Extremely likely", 10), (" 0 (Not at all likely)", 0), ("7/10", 7)])
def test_labelled_scores(text: str, score: int) -> None:
    assert parse_score(text) == score


@pytest.mark.parametrize("text", ["", "11", "-1", "9.5", "ten", "100"])
def test_invalid_scores(text: str) -> None:
    with pytest.raises(RowError):
        parse_score(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-04 09:12:55 -0800", datetime(2026, 3, 4, 17, 12, 55, tzinfo=UTC)),
        ("2026-03-04T09:12:55Z", datetime(2026, 3, 4, 9, 12, 55, tzinfo=UTC)),
        ("03/04/2026 09:12:55 PM", datetime(2026, 3, 4, 21, 12, 55, tzinfo=UTC)),
        ("2026/03/04 09:12", datetime(2026, 3, 4, 9, 12, tzinfo=UTC)),
        ("2026年3月4日", datetime(2026, 3, 4, tzinfo=UTC)),
        ("1772615575", datetime(2026, 3, 4, 9, 12, 55, tzinfo=UTC)),
        ("1772615575000", datetime(2026, 3, 4, 9, 12, 55, tzinfo=UTC)),
    ],
)
def test_dates(text: str, expected: datetime) -> None:
    assert parse_datetime(text) == expected


def test_naive_dates_use_the_layout_time_zone() -> None:
    jst = timezone(timedelta(hours=9))
    assert parse_datetime("2026-03-04 09:00:00", tz=jst) == datetime(2026, 3, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "tier"),
    [("Free", "free"), ("free trial", "free"), ("Team", "paid"), ("Enterprise annual", "paid"), ("有料プラン", "paid"),
     ("berbayar", "paid"), ("", None), ("Legacy", None)],
)  # fmt: skip
def test_plans(text: str, tier: str | None) -> None:
    assert normalise_plan(text) == tier


@pytest.mark.parametrize(
    ("text", "lang"),
    [("EN", "en"), ("ja-JP", "ja"), ("id_ID", "id"), ("Japanese", "ja"), ("日本語", "ja"), ("?", None)],
)
def test_languages(text: str, lang: str | None) -> None:
    assert normalise_language(text) == lang
