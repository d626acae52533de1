"""Every table behind a chart, written as CSV (for spreadsheets) and Parquet (for code)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd


def write_tables(tables: Mapping[str, pd.DataFrame], directory: Path, *, formats: Sequence[str]) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        if "csv" in formats:
            path = directory / f"{name}.csv"
            csv_ready(table).to_csv(path, index=False)
            written.append(path)
        if "parquet" in formats:
            path = directory / f"{name}.parquet"
            parquet_ready(table).to_parquet(path, index=False)
            written.append(path)
    return written


def csv_ready(table: pd.DataFrame) -> pd.DataFrame:
    """Lists and tuples become '; '-joined text so a spreadsheet shows them plainly."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object and out[column].map(lambda v: isinstance(v, list | tuple)).any():
            out[column] = out[column].map(lambda v: "; ".join(map(str, v)) if isinstance(v, list | tuple) else v)
    return out


def parquet_ready(table: pd.DataFrame) -> pd.DataFrame:
    """Object columns mixing values and NaN get None for the missing ones (Arrow needs one type per column)."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out
