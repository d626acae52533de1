"""vocmine's own layout, and the config's column mapping for exports no header rule recognises."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.errors import UserError
from scrapers.importers import read_nps_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nps"
MAPPING = {
    "id": "Ticket #",
    "score": "Rate us 0-10",
    "comment": "What could we do better",
    "created_at": "Answered on",
    "plan": "Customer tier",
}


def test_vocmine_layout_and_row_hash_ids() -> None:
    read = read_nps_file(FIXTURES / "vocmine.csv", product="orbitask")
    assert read.layout.format == "vocmine" and read.rejects == []
    a1, a2, no_id = read.records
    assert (a1.external_id, a1.nps_score, a1.created_at, a1.plan_tier) == (
        "a-1",
        10,
        datetime(2026, 3, 5, 10, tzinfo=UTC),
        "paid",
    )
    assert (a2.created_at, a2.language, a2.region) == (datetime(2026, 6, 15, 1, 30, tzinfo=UTC), "id", "Indonesia")
    # A row without an id gets a stable hash id: the same on every read.
    assert no_id.external_id.startswith("row-")
    assert read_nps_file(FIXTURES / "vocmine.csv", product="orbitask").records[2].external_id == no_id.external_id


def test_unknown_layout_asks_for_a_mapping() -> None:
    with pytest.raises(UserError, match=r"no score or created_at column found.*mapping"):
        read_nps_file(FIXTURES / "custom.csv", product="orbitask")


def test_mapping_fallback() -> None:
    read = read_nps_file(FIXTURES / "custom.csv", product="orbitask", mapping=MAPPING)
    got = [(r.source, r.external_id, r.nps_score, r.body, r.created_at, r.plan_tier) for r in read.records]
    assert got == [
        ("nps-custom", "T-1001", 9, "Nothing, keep it up.", datetime(2026, 4, 1, 10, tzinfo=UTC), "paid"),
        ("nps-custom", "T-1002", 2, "Stop auto-renewing annual plans.", datetime(2026, 7, 2, 16, 30, tzinfo=UTC),
         "free"),
    ]  # fmt: skip


def test_mapping_overrides_detected_columns() -> None:
    read = read_nps_file(FIXTURES / "delighted.csv", product="orbitask", mapping={"comment": "Delighted Source"})
    assert read.layout.format == "delighted"
    assert [r.body for r in read.records] == ["Email", "Email", "Web", "Email"]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"score": "No such column"}, "mapping score: no column 'No such column'"),
        ({"stars": "Rate us 0-10"}, "mapping key 'stars' is not one of"),
    ],
)
def test_bad_mapping_is_a_clear_error(mapping: dict[str, str], message: str) -> None:
    with pytest.raises(UserError, match=message):
        read_nps_file(FIXTURES / "custom.csv", product="orbitask", mapping=mapping)
