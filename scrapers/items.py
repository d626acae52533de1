"""The item every spider yields, and its normalisation into a stored :class:`~pipeline.records.Feedback`.

Spiders keep what the site shows (its rating scale, its date text, the author's display name); the item
pipeline turns that into one scale, UTC dates, a hashed author and a language hint, or a clear reason why not.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from pipeline.records import Feedback, author_hash


class InvalidItem(ValueError):
    """The item cannot become a Feedback record; the message is the reason stored with the reject."""


@dataclass(kw_only=True)
class ReviewItem:
    """One review as a site shows it. ``rating`` is on the site's scale, 1 … ``rating_scale``."""

    source: str
    product: str
    external_id: str | None
    url: str | None = None
    author: str | None = None
    rating: float | None = None
    rating_scale: int = 5
    title: str | None = None
    body: str | None = None
    pros: str | None = None
    cons: str | None = None
    language: str | None = None
    created_at: str | None = None
    region: str | None = None
    reviewer_role: str | None = None
    company_size: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        """Every extracted field except the raw payload (what parsing tests compare)."""
        out = asdict(self)
        out.pop("raw")
        return out


def to_feedback(item: ReviewItem) -> Feedback:
    """Validate and normalise: dates to UTC, rating to 1–5, author hashed, language hint. Raises InvalidItem."""
    problems = []
    if not item.external_id:
        problems.append("external_id: missing")
    try:
        created = parse_date(item.created_at)
    except InvalidItem as exc:
        problems.append(f"created_at: {exc}")
    try:
        rating = rating_1_to_5(item.rating, scale=item.rating_scale)
    except InvalidItem as exc:
        problems.append(f"rating: {exc}")
    if problems:
        raise InvalidItem("; ".join(problems))
    try:
        return Feedback(
            source=item.source,
            external_id=str(item.external_id),
            kind="review",
            product=item.product,
            url=item.url,
            author_hash=author_hash(item.author),
            rating=rating,
            title=_strip(item.title),
            body=_strip(item.body),
            pros=_strip(item.pros),
            cons=_strip(item.cons),
            language=language_hint(item),
            created_at=created,
            region=item.region.upper() if item.region else None,
            reviewer_role=_strip(item.reviewer_role),
            company_size=_strip(item.company_size),
            raw=json.dumps(item.raw, ensure_ascii=False, sort_keys=True, default=str),
        )
    except ValidationError as exc:
        raise InvalidItem(
            "; ".join(f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}" for e in exc.errors())
        ) from None


# -- dates -------------------------------------------------------------------------------------------------
_MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
)}  # fmt: skip
_JA_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:\s*(\d{1,2}):(\d{2}))?")
_YMD = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_MDY_NAMED = re.compile(r"^([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})$")
_DMY_NAMED = re.compile(r"^(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?,?\s+(\d{4})$")
_EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)


def parse_date(value: str | int | float | date | None) -> datetime:
    """A published date as UTC: ISO 8601, epoch seconds, ``2024/03/01``, ``2024年3月1日``, ``March 1, 2024``.

    Dates without a zone are taken as UTC; dates before 1995 or more than a day ahead are refused.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidItem("missing")
    parsed = _parse_date(value)
    if parsed is None:
        raise InvalidItem(f"unreadable date {value!r}")
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if parsed < _EARLIEST or parsed > datetime.now(UTC) + timedelta(days=1):
        raise InvalidItem(f"implausible date {value!r}")
    return parsed


def _parse_date(value: str | int | float | date) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    text = " ".join(value.split())
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    if m := _JA_DATE.search(text):
        y, mo, d, hh, mm = m.groups()
        return _safe(int(y), int(mo), int(d), int(hh or 0), int(mm or 0))
    if m := _YMD.match(text):
        return _safe(int(m[1]), int(m[2]), int(m[3]))
    if (m := _MDY_NAMED.match(text)) and m[1].lower() in _MONTHS:
        return _safe(int(m[3]), _MONTHS[m[1].lower()], int(m[2]))
    if (m := _DMY_NAMED.match(text)) and m[2].lower() in _MONTHS:
        return _safe(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))
    return None


def _safe(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime | None:
    try:
        return datetime(year, month, day, hour, minute)
    except ValueError:
        return None


# -- ratings, text, language ---------------------------------------------------------------------------------
def rating_1_to_5(value: float | str | None, *, scale: int = 5) -> float | None:
    """Map a rating on a 1 … ``scale`` scale linearly onto 1–5 (TrustRadius rates out of 10)."""
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidItem(f"not a number: {value!r}") from None
    if not 1 <= number <= scale:
        raise InvalidItem(f"{value!r} is outside 1–{scale}")
    return number if scale == 5 else round(1 + (number - 1) * 4 / (scale - 1), 2)


_KANA = re.compile(r"[\u3040-\u30ff]")


def language_hint(item: ReviewItem) -> str | None:
    """The site's language tag (``en-US`` → ``en``); otherwise Japanese when the text has kana."""
    if item.language:
        return item.language.split("-")[0].split("_")[0].lower()[:3]
    text = " ".join(t for t in (item.title, item.body, item.pros, item.cons) if t)
    if _KANA.search(text):
        return "ja"
    return None


def _strip(text: str | None) -> str | None:
    return text.strip() if text else None
