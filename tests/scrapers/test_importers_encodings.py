"""Encodings of real exports: UTF-8 with and without BOM, Excel's UTF-16 "Unicode text" (tabs), CP932."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from pipeline.errors import UserError
from scrapers.importers import read_nps_file
from scrapers.importers.encoding import decode

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "nps" / "delighted_ja.csv"


def _export(tmp_path: Path, codec: str, *, delimiter: str = ",", suffix: str = ".csv") -> Path:
    """The fixture re-saved as a spreadsheet would: another codec, maybe tab-separated."""
    rows = list(csv.reader(FIXTURE.open(encoding="utf-8", newline="")))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    path = tmp_path / f"export-{codec}{suffix}"
    path.write_bytes(buffer.getvalue().encode(codec))
    return path


@pytest.mark.parametrize(
    ("codec", "delimiter", "suffix", "reported"),
    [
        ("utf-8", ",", ".csv", "utf-8"),
        ("utf-8-sig", ",", ".csv", "utf-8-sig"),
        ("utf-16", "\t", ".txt", "utf-16"),  # Excel "Unicode text": UTF-16 LE with BOM, tab-separated
        ("cp932", ",", ".csv", "cp932"),  # Japanese Excel "CSV": ① and ㈱ exist only in CP932, not Shift_JIS
    ],
)
def test_encodings_are_detected_and_reported(
    tmp_path: Path, codec: str, delimiter: str, suffix: str, reported: str
) -> None:
    expected = read_nps_file(FIXTURE, product="orbitask").records
    read = read_nps_file(_export(tmp_path, codec, delimiter=delimiter, suffix=suffix), product="orbitask")
    assert read.encoding == reported
    assert [(r.external_id, r.body, r.plan_tier, r.created_at) for r in read.records] == [
        (r.external_id, r.body, r.plan_tier, r.created_at) for r in expected
    ]
    assert read.records[0].body == "①サポートの方がとても親切でした。"
    assert read.records[1].plan_tier == "free"  # 無料


def test_forced_encoding_is_used_and_a_wrong_one_is_a_clear_error(tmp_path: Path) -> None:
    path = _export(tmp_path, "cp932")
    assert read_nps_file(path, product="orbitask", encoding="shift_jis").encoding == "cp932"
    with pytest.raises(UserError, match="not valid utf-8"):
        read_nps_file(path, product="orbitask", encoding="utf-8")


def test_decode_falls_back_to_detection_for_latin1() -> None:
    decoded = decode("Réponse très utile, équipe réactive".encode("cp1252"))
    assert decoded.text == "Réponse très utile, équipe réactive"
    assert decoded.encoding != "utf-8"


@pytest.mark.parametrize(("name", "message"), [("old.xls", "save as .xlsx or CSV"), ("a.pdf", "unsupported file")])
def test_unsupported_files(tmp_path: Path, name: str, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(UserError, match=message):
        read_nps_file(path, product="orbitask")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="file not found"):
        read_nps_file(tmp_path / "nope.csv", product="orbitask")


@pytest.mark.usefixtures("csv_default_limit")
def test_a_comment_longer_than_the_csv_modules_default_limit_is_read_whole(tmp_path: Path) -> None:
    huge = "サポートの返信が遅いです。" * 12_000  # 156,000 characters; the csv module's default cap is 131,072
    header, first, second = FIXTURE.read_text(encoding="utf-8").splitlines()[:3]
    cells = first.split(",")
    cells[5] = f'"{huge}"'
    path = tmp_path / "long.csv"
    path.write_text("\n".join([header, ",".join(cells), second]) + "\n", encoding="utf-8")
    records = read_nps_file(path, product="orbitask").records
    assert [len(r.body) for r in records] == [len(huge), len(second.split(",")[5])]
