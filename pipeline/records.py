"""Typed records that cross stage boundaries: collected feedback, rejects, sentences and their tags."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Kind = Literal["review", "nps"]
PlanTier = Literal["free", "paid"]


def content_hash(*parts: str | None) -> str:
    """Stable hash of the text that matters for processing (used for dedupe and change detection)."""
    joined = "\x1f".join(" ".join((p or "").split()).lower() for p in parts)
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()[:16]


def author_hash(author: str | None) -> str | None:
    """Authors are stored hashed: enough to group, not to identify."""
    if not author:
        return None
    return hashlib.sha256(author.strip().lower().encode("utf-8")).hexdigest()[:16]


class Feedback(BaseModel):
    """One review or NPS response, as collected. Upserted on (source, external_id)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=1, description="trustpilot, appstore, g2, nps-delighted, …")
    external_id: str = Field(min_length=1)
    kind: Kind = "review"
    product: str = Field(min_length=1)
    url: str | None = None
    author_hash: str | None = None
    rating: float | None = Field(default=None, ge=1, le=5, description="Stars on a 1–5 scale.")
    nps_score: int | None = Field(default=None, ge=0, le=10)
    title: str | None = None
    body: str | None = None
    pros: str | None = None
    cons: str | None = None
    language: str | None = Field(default=None, description="Language hint from the source (ISO 639-1).")
    created_at: datetime
    plan_tier: PlanTier | None = None
    region: str | None = None
    account_id: str | None = None
    reviewer_role: str | None = None
    company_size: str | None = None
    raw: str = Field(default="{}", description="The raw payload as JSON text, kept for re-processing.")

    @field_validator("created_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @field_validator("title", "body", "pros", "cons")
    @classmethod
    def _blank_to_none(cls, value: str | None) -> str | None:
        return value if value and value.strip() else None

    @model_validator(mode="after")
    def _has_content_or_score(self) -> Feedback:
        if not any([self.title, self.body, self.pros, self.cons]) and self.rating is None and self.nps_score is None:
            raise ValueError("record has no text, no rating and no score")
        return self

    @property
    def text_hash(self) -> str:
        return content_hash(self.title, self.body, self.pros, self.cons)

    def text_fields(self) -> list[tuple[str, str]]:
        """(section, text) pairs in reading order; sections feed distant sentiment labels."""
        pairs = [("title", self.title), ("body", self.body), ("pros", self.pros), ("cons", self.cons)]
        return [(name, text) for name, text in pairs if text]


class Reject(BaseModel):
    """A record that could not be accepted, kept with its reason and raw payload."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stage: Literal["crawl", "import", "process"]
    source: str
    reason: str
    raw: str
    external_id: str | None = None
    location: str | None = Field(default=None, description="URL, file:row or record key where it was found.")

    @staticmethod
    def from_payload(stage: str, source: str, reason: str, payload: Any, **kw: Any) -> Reject:
        raw = payload if isinstance(payload, str) else json.dumps(payload, default=str, ensure_ascii=False)
        return Reject(stage=stage, source=source, reason=reason, raw=raw, **kw)


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of a feedback record, with offsets into the normalised text of its section."""

    source: str
    external_id: str
    idx: int
    section: str
    text: str
    text_redacted: str
    start: int
    end: int
    language: str | None
    feedback_hash: str


@dataclass(frozen=True, slots=True)
class SentenceTags:
    """The classifier's verdict on one sentence."""

    service: tuple[str, ...]
    sentiment: str
    sharp_edge: str | None
    scores: dict[str, float] = field(default_factory=dict)
    rule_hits: tuple[str, ...] = ()
