"""Settings of the report stage."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Segment = Literal["plan", "language", "source", "region", "product"]
Format = Literal["html", "md", "csv", "parquet"]


def _default_segments() -> list[Segment]:
    return ["plan", "language", "source"]


def _all_formats() -> list[Format]:
    return ["html", "md", "csv", "parquet"]


class ReportSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = "Voice of the customer"
    period: Literal["month", "quarter"] = "month"
    since: date | None = None
    until: date | None = None
    segments: list[Segment] = Field(default_factory=_default_segments)
    bootstrap_samples: int = Field(default=500, ge=0)
    seed: int = 7
    min_sample: int = Field(default=30, ge=1, description="Below this many records a figure carries a warning.")
    max_quotes: int = Field(default=5, ge=1)
    formats: list[Format] = Field(default_factory=_all_formats)
