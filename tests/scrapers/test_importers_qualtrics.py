"""Qualtrics export: three header rows (ids, question text, ImportId JSON with the export's time zone)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from scrapers.importers import read_nps_file

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "nps" / "qualtrics.csv"


def test_qualtrics_export_with_three_header_rows() -> None:
    read = read_nps_file(FIXTURE, product="orbitask")
    assert (read.layout.format, read.layout.header_rows, read.encoding) == ("qualtrics", 3, "utf-8-sig")
    assert read.rejects == [] and len(read.records) == 2  # the question and ImportId rows are not responses
    first, second = read.records
    # Dates are in America/Denver (from the ImportId row): MDT is UTC-6.
    assert first.created_at == datetime(2026, 4, 3, 14, 15, 42, tzinfo=UTC)
    assert second.created_at == datetime(2026, 6, 22, 1, 3, 1, tzinfo=UTC)
    # Q1 holds the 0–10 answer; Q1_NPS_GROUP (1/2/3) must not be taken for the score.
    got = [(r.external_id, r.nps_score, r.language, r.plan_tier, r.account_id, r.region) for r in read.records]
    assert got == [
        ("R_1dA8xKq2mZbE7Lf", 10, "en", "paid", "ACC-40218", "North America"),
        ("R_3qT9vNw0cHs2Ykp", 2, "ja", "free", "ACC-51877", "Japan"),
    ]
    assert second.body == "年間プランが自動更新され、返金もされませんでした。"
    assert first.source == "nps-qualtrics"
