"""Settings of the collection stage (spiders and NPS importers)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SpiderName = Literal["trustpilot", "appstore", "googleplay", "g2", "capterra", "trustradius", "itreview"]
NpsFormat = Literal["auto", "delighted", "surveymonkey", "qualtrics", "typeform", "hubspot", "vocmine"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceSettings(_Strict):
    """One review source for one product: where to start and how far to go."""

    spider: SpiderName
    product: str = Field(description="Product key the reviews belong to.")
    start_urls: list[str] = Field(default_factory=list, description="Page or feed URLs (http, https or file).")
    app_id: str | None = Field(default=None, description="App Store / Google Play app id.")
    country: str = "us"
    language: str | None = None
    max_pages: int = Field(default=50, ge=1)
    since: date | None = Field(default=None, description="Ignore reviews older than this date.")
    enabled: bool = True


class NpsFileSettings(_Strict):
    """One NPS export file to import."""

    path: Path
    product: str
    format: NpsFormat = "auto"
    mapping: dict[str, str] = Field(
        default_factory=dict,
        description="Manual column mapping, e.g. {score: 'How likely…', comment: 'Why?'}.",
    )
    encoding: str | None = Field(default=None, description="Force an encoding; detected when unset.")


class NpsApiSettings(_Strict):
    """An NPS survey API to read (token from an environment variable, never logged)."""

    provider: Literal["delighted", "hubspot"]
    product: str
    token_env: str = Field(description="Name of the environment variable that holds the API token.")
    base_url: str | None = None
    since: date | None = None


class ScrapersSettings(_Strict):
    user_agent: str = "vocmine/0.1 (+https://github.com/vocmine/vocmine; review research bot)"
    obey_robots: bool = True
    concurrency_per_domain: int = Field(default=1, ge=1, le=8)
    download_delay: float = Field(default=1.0, ge=0)
    autothrottle: bool = True
    http_cache: bool = False
    retry_times: int = Field(default=3, ge=0)
    retry_backoff_s: float = Field(default=2.0, ge=0, description="First retry wait without Retry-After; doubles.")
    max_retry_after_s: float = Field(default=300.0, ge=0, description="Longest Retry-After / backoff wait honoured.")
    batch_size: int = Field(default=200, ge=1, description="Reviews upserted into the store per write.")
    incremental: bool = True
    sources: list[SourceSettings] = Field(default_factory=list)
    nps_files: list[NpsFileSettings] = Field(default_factory=list)
    nps_apis: list[NpsApiSettings] = Field(default_factory=list)
