"""Read a survey export (CSV, TSV, Excel "Unicode text", XLSX) into rows of strings, header rows included."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from pipeline.csv_cells import allow_long_cells
from pipeline.errors import UserError
from scrapers.importers.encoding import decode

TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".tab"}


@dataclass(frozen=True)
class RawTable:
    """Every row of the file as text; ``rows[i]`` is spreadsheet row ``i + 1``."""

    rows: list[list[str]]
    encoding: str | None  # None for XLSX (it has no text encoding)
    delimiter: str | None


def read_table(path: Path, *, encoding: str | None = None) -> RawTable:
    if not path.is_file():
        raise UserError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return RawTable(_xlsx_rows(path), None, None)
    if suffix == ".xls":
        raise UserError(f"{path}: old Excel .xls files are not supported; save as .xlsx or CSV")
    if suffix not in TEXT_SUFFIXES:
        raise UserError(f"{path}: unsupported file type {suffix!r}; use CSV, TSV or XLSX")
    decoded = decode(path.read_bytes(), encoding=encoding, name=str(path))
    text = decoded.text.lstrip("\ufeff")
    delimiter = sniff_delimiter(text)
    allow_long_cells()
    rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    return RawTable(rows, decoded.encoding, delimiter)


def sniff_delimiter(text: str) -> str:
    """Tab (Excel "Unicode text"), semicolon (European Excel) or comma, by counts on the first line."""
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in ("\t", ";", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _xlsx_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a broken file
        raise UserError(f"{path}: not a readable XLSX workbook ({exc})") from None
    try:
        sheet = workbook.worksheets[0]
        return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
