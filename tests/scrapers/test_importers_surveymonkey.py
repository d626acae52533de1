"""SurveyMonkey expanded export: two header rows, questions found by wording, US dates, UTF-8 with BOM."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from scrapers.importers import read_nps_file

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "nps" / "surveymonkey.csv"


def test_surveymonkey_export() -> None:
    read = read_nps_file(FIXTURE, product="orbitask")
    assert (read.layout.format, read.layout.header_rows, read.encoding) == ("surveymonkey", 2, "utf-8-sig")
    assert read.rejects == []
    got = [(r.source, r.external_id, r.nps_score, r.body, r.created_at, r.plan_tier) for r in read.records]
    assert got == [
        ("nps-surveymonkey", "114298765432", 9, "Support answered my chat in minutes.",
         datetime(2026, 4, 1, 9, 4, 40, tzinfo=UTC), "paid"),
        ("nps-surveymonkey", "114298765511", 0, "They charged us after we cancelled.",
         datetime(2026, 4, 3, 15, 16, 2, tzinfo=UTC), "free"),
        ("nps-surveymonkey", "114298766020", 7, None, datetime(2026, 4, 7, 11, 47, 12, tzinfo=UTC), "paid"),
    ]  # fmt: skip
