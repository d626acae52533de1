"""Typeform export, as CSV and as XLSX: "#" token ids, hidden fields, UTC dates, partial responses."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scrapers.importers import read_nps_file

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "nps" / "typeform.csv"
EXPECTED = [
    ("k2x8bq0e9lsd0k2x8bq0fw1mc1yb2p5n", 8, "Good, but the mobile app lags behind the web.",
     datetime(2026, 5, 10, 8, 0, 12, tzinfo=UTC), "paid", "ACC-60300"),
    ("p0v3y6c1a9ll2qp0v3y6jq81xk4m7d2e", 10, "Sangat membantu, CS-nya cepat tanggap.",
     datetime(2026, 5, 11, 2, 11, 30, tzinfo=UTC), "free", "ACC-60411"),
]  # fmt: skip


def _rows(path: Path) -> list:
    return [(r.external_id, r.nps_score, r.body, r.created_at, r.plan_tier, r.account_id) for r in
            read_nps_file(path, product="orbitask").records]  # fmt: skip


def test_typeform_csv() -> None:
    read = read_nps_file(FIXTURE, product="orbitask")
    assert read.layout.format == "typeform" and read.records[0].source == "nps-typeform"
    assert _rows(FIXTURE) == EXPECTED
    # The partial response (no score, no submit date) is rejected, not dropped.
    assert [(r.location, r.reason) for r in read.rejects] == [(f"{FIXTURE}:row 4", "missing score")]


def test_typeform_xlsx_with_typed_cells(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    with FIXTURE.open(encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.reader(fh)):
            cells: list[object] = list(row)
            if i and row[1]:  # Excel holds numbers and dates, not text
                cells[1] = int(row[1])
                cells[8] = datetime.strptime(row[8], "%Y-%m-%d %H:%M:%S")
            sheet.append(cells)
    path = tmp_path / "typeform.xlsx"
    workbook.save(path)
    read = read_nps_file(path, product="orbitask")
    assert (read.layout.format, read.encoding) == ("typeform", None)
    assert _rows(path) == EXPECTED
    assert [r.reason for r in read.rejects] == ["missing score"]
