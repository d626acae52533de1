"""Survey export layouts: recognise the vendor by its header, find the columns vocmine needs.

Header names below are the ones each vendor writes in its CSV/XLSX export (checked against the vendors'
export documentation and sample exports; vendors rename columns now and then, which is what ``mapping`` in
the config is for). Questions are free text, so the score and comment columns of survey tools
(SurveyMonkey, Qualtrics, Typeform) are found by the question's wording.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline.errors import UserError

FIELDS = ("id", "score", "comment", "created_at", "plan", "account_id", "language", "region", "email", "survey_type")
REQUIRED = ("score", "created_at")

# Person / embedded-data properties, named by the survey owner: the usual spellings in three languages.
PROPERTIES: dict[str, tuple[str, ...]] = {
    "plan": ("plan", "plan tier", "plan_tier", "plan type", "subscription plan", "tier", "プラン", "paket"),
    "account_id": ("account id", "account_id", "accountid", "account", "company id", "customer id", "アカウントid"),
    "language": ("language", "locale", "lang", "言語", "bahasa"),
    "region": ("region", "country", "地域", "wilayah"),
}
SCORE_QUESTION = re.compile(r"recommend|likely|\bnps\b|おすすめ|お勧め|推奨|勧め|merekomendasikan|rekomendasi", re.I)
COMMENT_QUESTION = re.compile(
    r"reason|why|comment|feedback|anything else|tell us|理由|コメント|ご意見|alasan|komentar|saran|masukan", re.I
)


def _one_header_row(rows: list[list[str]]) -> int:
    return 1


def _surveymonkey_header_rows(rows: list[list[str]]) -> int:
    """SurveyMonkey's expanded export puts "Response" / "Open-Ended Response" under each question in row 2."""
    second = {c.casefold() for c in rows[1]} if len(rows) > 1 else set()
    return 2 if second & {"response", "open-ended response"} else 1


def _qualtrics_header_rows(rows: list[list[str]]) -> int:
    """Qualtrics: row 1 column ids, row 2 question text, row 3 ``{"ImportId": …}`` (legacy exports lack row 3)."""
    if len(rows) > 2 and any(c.startswith('{"ImportId"') for c in rows[2]):
        return 3
    return 2 if len(rows) > 1 and "response id" in {c.casefold() for c in rows[1]} else 1


def _qualtrics_timezone(rows: list[list[str]], column: int) -> tzinfo | None:
    """The ImportId row names the time zone the dates were exported in, e.g. ``"timezone":"America/Denver"``."""
    try:
        zone = json.loads(rows[2][column]).get("timezone")
    except (IndexError, ValueError, AttributeError):
        return None
    if not zone or zone in ("Z", "UTC"):
        return UTC
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _no_timezone(rows: list[list[str]], column: int) -> tzinfo | None:
    return None


def _utc(rows: list[list[str]], column: int) -> tzinfo | None:
    return UTC


@dataclass(frozen=True)
class ExportFormat:
    name: str
    signature: tuple[str, ...]  # row-1 headers (casefolded) that identify the export
    columns: dict[str, tuple[str, ...]]  # field -> header names, exact but case-insensitive
    header_rows: Callable[[list[list[str]]], int] = _one_header_row
    timezone: Callable[[list[list[str]], int], tzinfo | None] = _no_timezone  # for dates without an offset
    by_question: bool = False  # score/comment found by question wording

    def aliases(self, name: str) -> tuple[str, ...]:
        return self.columns.get(name, ()) + PROPERTIES.get(name, ())


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in [
        ExportFormat(
            "qualtrics",
            ("responseid",),
            {
                "id": ("responseid",),
                "created_at": ("recordeddate", "enddate"),
                "language": ("userlanguage",),
                "email": ("recipientemail",),
                "account_id": ("externalreference", "externaldatareference"),
            },
            header_rows=_qualtrics_header_rows,
            timezone=_qualtrics_timezone,
            by_question=True,
        ),
        ExportFormat(
            "surveymonkey",
            ("respondent id", "collector id"),
            {"id": ("respondent id",), "created_at": ("end date", "start date"), "email": ("email address",)},
            header_rows=_surveymonkey_header_rows,
            by_question=True,
        ),
        ExportFormat(
            "typeform",
            ("#", "submit date (utc)"),
            {"id": ("#", "response id"), "created_at": ("submit date (utc)", "start date (utc)")},
            timezone=_utc,
            by_question=True,
        ),
        ExportFormat(
            "hubspot",
            ("record id", "survey type"),
            {
                "id": ("record id", "hs_object_id"),
                "score": ("rating", "hs_value", "value", "response value"),
                "comment": ("response", "hs_content", "feedback", "response text"),
                "created_at": ("submitted at", "submission date", "create date", "hs_submission_timestamp"),
                "email": ("contact email", "email"),
                "survey_type": ("survey type", "hs_survey_type"),
            },
        ),
        ExportFormat(
            "delighted",
            ("response id", "score"),
            {
                "id": ("response id",),
                "score": ("score",),
                "comment": ("comment",),
                "created_at": ("response timestamp", "created at", "response time"),
                "email": ("email",),
            },
        ),
        ExportFormat(
            "vocmine",
            ("score", "created_at"),
            {name: (name,) for name in FIELDS},
        ),
    ]
}
# No vendor header recognised: the config's mapping plus every alias and question pattern vocmine knows.
CUSTOM = ExportFormat(
    "custom",
    (),
    {name: tuple(dict.fromkeys(a for f in FORMATS.values() for a in f.columns.get(name, ()))) for name in FIELDS},
    by_question=True,
)


@dataclass(frozen=True)
class Layout:
    """Where the fields are in one file."""

    format: str
    header_rows: int
    columns: dict[str, int]  # field -> column index
    headers: list[str] = field(default_factory=list)  # row-1 header per column, for raw payloads
    tz: tzinfo | None = None

    @property
    def source(self) -> str:
        return f"nps-{self.format}"


def detect_format(header: list[str]) -> ExportFormat:
    names = {h.casefold() for h in header}
    for fmt in FORMATS.values():
        if all(s in names for s in fmt.signature):
            return fmt
    return CUSTOM


def resolve_layout(
    rows: list[list[str]], *, format: str = "auto", mapping: Mapping[str, str] | None = None, name: str = "file"
) -> Layout:
    """Find the export format and the column of every field; UserError when score or date cannot be found."""
    if not rows:
        raise UserError(f"{name}: the file is empty")
    fmt = detect_format(rows[0]) if format == "auto" else FORMATS.get(format, CUSTOM)
    n_header = fmt.header_rows(rows)
    width = max(len(r) for r in rows[:n_header])
    texts = [[rows[r][c].casefold() if c < len(rows[r]) else "" for r in range(n_header)] for c in range(width)]
    columns: dict[str, int] = {}
    for key, header in (mapping or {}).items():
        if key not in FIELDS:
            raise UserError(f"{name}: mapping key {key!r} is not one of {', '.join(FIELDS)}")
        match = [c for c, t in enumerate(texts) if header.casefold() in t]
        if not match:
            raise UserError(f"{name}: mapping {key}: no column {header!r}; columns: {', '.join(rows[0])}")
        columns[key] = match[0]
    for key in FIELDS:
        if key in columns:
            continue
        for alias in fmt.aliases(key):
            match = [c for c, t in enumerate(texts) if alias in t and c not in columns.values()]
            if match:
                columns[key] = match[0]
                break
    if fmt.by_question:
        _find_questions(texts, columns)
    missing = [k for k in REQUIRED if k not in columns]
    if missing:
        raise UserError(
            f"{name}: no {' or '.join(missing)} column found ({fmt.name} layout); columns: {', '.join(rows[0])}. "
            f"Set scrapers.nps_files[].mapping, e.g. {{score: '<header>', created_at: '<header>'}}"
        )
    tz = fmt.timezone(rows, columns["created_at"])
    return Layout(fmt.name, n_header, columns, [h or f"column {i + 1}" for i, h in enumerate(rows[0])], tz)


def _find_questions(texts: list[list[str]], columns: dict[str, int]) -> None:
    """Score: the "how likely … recommend" question; comment: the open "reason / why" question after it."""
    free = [c for c in range(len(texts)) if c not in columns.values()]
    if "score" not in columns:
        for c in free:
            joined = " ".join(texts[c])
            if SCORE_QUESTION.search(joined) and not COMMENT_QUESTION.search(joined) and "_nps_group" not in joined:
                columns["score"] = c
                break
    if "comment" not in columns:
        after = [c for c in free if c != columns.get("score")]
        after.sort(key=lambda c: (c < columns.get("score", -1), c))  # prefer the question right after the score
        for c in after:
            if COMMENT_QUESTION.search(" ".join(texts[c])):
                columns["comment"] = c
                break
