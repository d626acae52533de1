"""HubSpot feedback-survey export: NPS submissions imported, other survey types rejected with the reason."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from scrapers.importers import read_nps_file

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "nps" / "hubspot.csv"


def test_hubspot_export() -> None:
    read = read_nps_file(FIXTURE, product="orbitask")
    assert read.layout.format == "hubspot"
    got = [(r.source, r.external_id, r.nps_score, r.body, r.created_at, r.plan_tier, r.account_id)
           for r in read.records]  # fmt: skip
    assert got == [
        ("nps-hubspot", "18230417", 9, "Our account manager checks in every month.",
         datetime(2026, 5, 4, 13, 22, tzinfo=UTC), "paid", "ACC-73001"),
        ("nps-hubspot", "18230562", 4, "Live chat is gone for the free plan.",
         datetime(2026, 5, 5, 8, 41, tzinfo=UTC), "free", "ACC-73188"),
    ]  # fmt: skip
    assert [(r.location, r.reason, r.external_id) for r in read.rejects] == [
        (f"{FIXTURE}:row 4", "survey type 'CSAT' is not NPS", "18230601")
    ]
