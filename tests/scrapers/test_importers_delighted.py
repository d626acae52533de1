"""Delighted CSV export: header detection and the exact fields of every row."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from pipeline.records import author_hash
from scrapers.importers import read_nps_file

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "nps" / "delighted.csv"


def test_delighted_rows_become_nps_feedback() -> None:
    read = read_nps_file(FIXTURE, product="orbitask")
    assert (read.layout.format, read.encoding, read.rejects) == ("delighted", "utf-8", [])
    got = [
        (r.source, r.external_id, r.kind, r.nps_score, r.body, r.created_at, r.plan_tier, r.account_id, r.language,
         r.region)
        for r in read.records
    ]  # fmt: skip
    assert got == [
        ("nps-delighted", "201004511", "nps", 10, "Our CSM set up a training session for the new team leads.",
         datetime(2026, 4, 2, 15, 15, 2, tzinfo=UTC), "paid", "ACC-20931", "en", "North America"),
        ("nps-delighted", "201004977", "nps", 3, "Auto-renewed without a reminder, and no refund.",
         datetime(2026, 7, 14, 17, 40, 11, tzinfo=UTC), "paid", "ACC-55102", "en", "Europe"),
        ("nps-delighted", "201005230", "nps", 9, "導入支援がとても丁寧でした。",
         datetime(2026, 3, 20, 0, 5, 44, tzinfo=UTC), "paid", "ACC-70115", "ja", "Japan"),
        ("nps-delighted", "201005891", "nps", 6, None,
         datetime(2026, 2, 11, 5, 0, 0, tzinfo=UTC), "free", "ACC-88410", "id", "Indonesia"),
    ]  # fmt: skip
    assert all(r.product == "orbitask" for r in read.records)


def test_email_is_kept_only_as_a_hash() -> None:
    record = read_nps_file(FIXTURE, product="orbitask").records[1]
    assert record.author_hash == author_hash("pat@example.com")
    assert "pat@example.com" not in record.raw
    raw = json.loads(record.raw)
    assert raw["Email"] == author_hash("pat@example.com") and raw["Delighted Source"] == "Email"
