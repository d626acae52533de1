"""Presentation records of the report (cards, blocks, display tables) and the number formats they use.

Everything the template shows is already a string here: the template does no computation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

DISPLAY_ROWS = 40
DASH = "–"


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None
    numeric: bool = False
    flag: bool = False  # small sample, spike: shown highlighted
    wrap: bool = False  # long text (quotes) wraps; everything else stays on one line


@dataclass(frozen=True)
class DisplayTable:
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str | None = None


@dataclass(frozen=True)
class Block:
    """One chart beside the table behind it, with the formula in a collapsible note."""

    id: str
    title: str
    lead: str
    table: DisplayTable
    formula: str
    export: str  # file stem of the exported table
    figure: go.Figure | None = None
    wide: bool = False  # table below the chart instead of beside it


@dataclass(frozen=True)
class Group:
    """Blocks under one sub-heading (an empty title shows none)."""

    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Section:
    id: str
    nav: str
    title: str
    question: str
    groups: tuple[Group, ...]


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    detail: str
    tone: str = "neutral"  # neutral | good | bad
    words: bool = False  # the value is a phrase, not a number (set smaller)


Column = tuple[str, Callable[[pd.Series], object]]  # header, row → Cell (or anything shown as text)


def display(frame: pd.DataFrame, columns: Sequence[Column], *, export: str, limit: int = DISPLAY_ROWS) -> DisplayTable:
    """Format a frame into a display table; long tables are cut with a note pointing at the exported file."""
    rows = []
    for _, row in frame.head(limit).iterrows():
        cells = []
        for _, fmt in columns:
            value = fmt(row)
            cells.append(value if isinstance(value, Cell) else Cell(DASH if missing(value) else str(value)))
        rows.append(tuple(cells))
    note = f"Showing {limit} of {len(frame)} rows; all rows in tables/{export}.csv." if len(frame) > limit else None
    return DisplayTable(tuple(name for name, _ in columns), tuple(rows), note)


def field(name: str) -> Callable[[pd.Series], object]:
    """A column formatter that shows the row's value of ``name`` (a pre-formatted cell, or text)."""
    return lambda row: row.get(name)


def wide_table(table: pd.DataFrame, index: str, column: str, fmt: Callable[[pd.Series], Cell]) -> pd.DataFrame:
    """Pivot a long table to one row per ``index`` value with a formatted cell per ``column`` value."""
    cells = table.assign(_cell=[fmt(row) for _, row in table.iterrows()])
    return cells.pivot(index=index, columns=column, values="_cell").reset_index()


def missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def pct(value: float, digits: int = 0) -> str:
    return DASH if missing(value) else f"{value * 100:.{digits}f}%"


def pct_ci(value: float, low: float, high: float, digits: int = 0) -> Cell:
    if missing(value):
        return Cell(DASH, numeric=True)
    if missing(low):
        return Cell(pct(value, digits), numeric=True)
    return Cell(f"{pct(value, digits)} ({low * 100:.{digits}f}–{high * 100:.{digits}f})", numeric=True)


def num(value: float, fmt: str = "+.1f") -> str:
    return DASH if missing(value) else format(value, fmt)


def num_ci(value: float, low: float, high: float, fmt: str = "+.1f") -> Cell:
    if missing(value):
        return Cell(DASH, numeric=True)
    if missing(low):
        return Cell(num(value, fmt), numeric=True)
    return Cell(f"{num(value, fmt)} ({num(low, fmt)} … {num(high, fmt)})", numeric=True)


def count(value: object, *, small: bool = False) -> Cell:
    text = DASH if missing(value) else f"{int(value):,}"  # type: ignore[call-overload]
    return Cell(text + (" †" if small else ""), numeric=True, flag=small)


def link(url: object, text: str = "open") -> Cell:
    """A link for http(s) URLs only; anything else (javascript:, data:, file:) shows ``text`` without a link."""
    if isinstance(url, str) and url.lower().startswith(("https://", "http://")):
        return Cell(text, href=url)
    return Cell(text)


def pretty(category: str) -> str:
    return category.replace("_", " ").capitalize()
