"""One survey response → a validated ``Feedback`` (kind "nps"), or a ``Reject`` that says what is wrong."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from pydantic import ValidationError

from pipeline.records import Feedback, PlanTier, Reject, author_hash

_SCORE = re.compile(r"^\s*(-?\d{1,3})(?:[.,]0+)?(?:\s*(?:[-–(:].*|[^\d.,].*))?$")
_DATE_FORMATS = [
    "%Y-%m-%d %H:%M:%S %z",  # Delighted: 2026-03-04 09:12:55 -0800
    "%Y-%m-%d %H:%M:%S %Z",
    "%Y-%m-%d %H:%M %z",
    "%m/%d/%Y %I:%M:%S %p",  # SurveyMonkey: 03/04/2026 09:12:55 AM
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%Y/%m/%d %H:%M:%S",  # Japanese Excel
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
]
FREE_PLANS = {"free", "free plan", "free trial", "trial", "starter free", "無料", "無料プラン", "フリー", "gratis"}
PAID_PLANS = {
    "paid", "pro", "plus", "premium", "team", "business", "enterprise", "standard", "professional", "growth",
    "scale", "有料", "有料プラン", "ビジネス", "エンタープライズ", "berbayar",
}  # fmt: skip
LANGUAGE_NAMES = {
    "english": "en", "japanese": "ja", "日本語": "ja", "indonesian": "id", "bahasa indonesia": "id",
    "indonesia": "id", "英語": "en", "german": "de", "french": "fr", "spanish": "es", "portuguese": "pt",
}  # fmt: skip


class RowError(ValueError):
    """A field of a row that cannot be accepted; the message becomes the reject reason."""


def parse_score(text: str) -> int:
    """NPS 0–10 from "9", "9.0", "10 - Extremely likely"; RowError otherwise."""
    if not text.strip():
        raise RowError("missing score")
    match = _SCORE.match(text)
    if not match:
        raise RowError(f"score {text!r} is not a number")
    score = int(match.group(1))
    if not 0 <= score <= 10:
        raise RowError(f"score {score} is outside 0–10")
    return score


def parse_datetime(text: str, *, tz: tzinfo | None = None) -> datetime:
    """Dates as survey tools write them; ones without an offset are read in ``tz`` (UTC when None)."""
    value = text.strip()
    if not value:
        raise RowError("missing date")
    parsed: datetime | None = None
    if re.fullmatch(r"\d{10}(\d{3})?(\.\d+)?", value):  # Unix seconds or milliseconds (APIs, HubSpot)
        seconds = float(value) / (1000 if len(value.split(".")[0]) == 13 else 1)
        return datetime.fromtimestamp(seconds, UTC)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise RowError(f"bad date {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz or UTC)
    return parsed.astimezone(UTC)


def normalise_plan(text: str | None) -> PlanTier | None:
    """free / paid from the plan names companies use; None when unknown."""
    value = " ".join((text or "").casefold().split())
    if not value:
        return None
    if value in FREE_PLANS or value.startswith("free"):
        return "free"
    if value in PAID_PLANS or any(word in PAID_PLANS for word in value.split()):
        return "paid"
    return None


def normalise_language(text: str | None) -> str | None:
    """ISO 639-1 from "EN", "ja-JP", "id_ID", "Japanese", "日本語"; None when unknown."""
    value = (text or "").strip().casefold()
    if not value:
        return None
    if value in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[value]
    code = re.split(r"[-_]", value)[0]
    return code if re.fullmatch(r"[a-z]{2}", code) else None


def row_id(source: str, values: Mapping[str, Any]) -> str:
    """A stable id for a response without one: the hash of its cells, so a re-import finds the same row."""
    payload = json.dumps(sorted(values.items()), ensure_ascii=False, default=str)
    return "row-" + hashlib.sha1(f"{source}\x1f{payload}".encode()).hexdigest()[:16]


def to_feedback(
    fields: Mapping[str, str],
    *,
    source: str,
    product: str,
    raw: Mapping[str, Any],
    location: str,
    tz: tzinfo | None = None,
) -> Feedback | Reject:
    """Validate one response. ``fields`` holds vocmine's field names; ``raw`` the row as the file had it."""
    email = fields.get("email", "").strip()
    # The payload keeps every column except the e-mail address, which is replaced by its hash.
    raw_json = json.dumps(
        {k: (author_hash(v) if email and v == email else v) for k, v in raw.items()}, ensure_ascii=False, default=str
    )
    external_id = fields.get("id", "").strip() or row_id(source, raw)
    try:
        survey_type = fields.get("survey_type", "").strip()
        if survey_type and survey_type.casefold() != "nps":
            raise RowError(f"survey type {survey_type!r} is not NPS")
        record = Feedback(
            source=source,
            external_id=external_id,
            kind="nps",
            product=product,
            author_hash=author_hash(email),
            nps_score=parse_score(fields.get("score", "")),
            body=fields.get("comment") or None,
            language=normalise_language(fields.get("language")),
            created_at=parse_datetime(fields.get("created_at", ""), tz=tz),
            plan_tier=normalise_plan(fields.get("plan")),
            region=fields.get("region") or None,
            account_id=fields.get("account_id") or None,
            raw=raw_json,
        )
    except RowError as exc:
        return Reject(
            stage="import", source=source, reason=str(exc), raw=raw_json, external_id=external_id, location=location
        )
    except ValidationError as exc:
        reason = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return Reject(
            stage="import", source=source, reason=reason, raw=raw_json, external_id=external_id, location=location
        )
    return record
