"""Text normalisation shared by processing and training: HTML, Unicode NFKC, whitespace, boilerplate, sections.

``normalise`` is idempotent and never raises. ``split_sections`` turns the question headers of structured reviews
("What do you like best about …?", "Pros:", "良い点", "Kekurangan") into section labels, a distant sentiment signal.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# Block-level tags become line breaks; every other tag is dropped (inline markup such as <b>).
_BLOCK_TAG = re.compile(r"<(?:br|/?p|/?div|/?li|/?ul|/?ol|/?h[1-6]|/?tr|/?blockquote)\b[^<>]*>", re.I)
_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?\s*>|<![A-Za-z][^<>]*>", re.S)
_KEEP_FORMAT = {"\u200c", "\u200d"}  # ZWNJ / ZWJ join emoji sequences and some scripts
_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")

# Boilerplate that review sites add around the reviewer's words (evidence: G2, Capterra, app-store pages).
_BOILERPLATE = re.compile(
    r"review collected by and hosted on g2\.com\.?"
    r"|this review was (?:originally )?(?:submitted|posted|published) (?:on|to|via|at) [\w.-]+\.?"
    r"|\(?translated by google\)?"
    r"|\((?:original|translated)\)"
    r"|(?:\.{3}|…)\s*(?:read|show|see) more\b"
    r"|was this review helpful\??(?: yes no)?"
    r"|\d+ (?:people|persons?|users?) found this (?:review )?helpful\.?"
    r"|このレビューは役に立ちましたか[?？]?|続きを読む"
    r"|apakah ulasan ini membantu\??|baca selengkapnya",
    re.I,
)
_BOILERPLATE_LINE = re.compile(
    r"^(?:validated reviewer|verified (?:current )?(?:user|reviewer|purchase)|incentivi[sz]ed review"
    r"|review source:.*|(?:read|show|see) (?:more|less))$",
    re.I | re.M,
)

_MAX_PASSES = 16


def normalise(text: str | None) -> str:
    """HTML entities and tags, NFKC, control characters, whitespace and site boilerplate; idempotent."""
    if not text:
        return ""
    current = str(text)
    for _ in range(_MAX_PASSES):
        cleaned = _one_pass(current)
        if cleaned == current:
            break
        current = cleaned
    return current


def _one_pass(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _unescape(text)
    text = _BLOCK_TAG.sub("\n", text)
    text = _TAG.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    text = _LINE_BREAKS.sub("\n", text)
    text = _drop_unwanted_chars(text)
    text = _BOILERPLATE.sub(" ", text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BOILERPLATE_LINE.sub("", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def _unescape(text: str) -> str:
    while "&" in text:
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def _drop_unwanted_chars(text: str) -> str:
    # A printable text (categories L, M, N, P, S and the ASCII space) holds none of the characters dropped here; most
    # sentences are, and the test is one C call against a Python call per character.
    if "\ufffd" not in text and text.replace("\n", "").replace("\t", "").isprintable():
        return text
    return "".join(ch for ch in text if _keep_char(ch))


def _keep_char(ch: str) -> bool:
    if ch in "\n\t":
        return True
    category = unicodedata.category(ch)
    if category in ("Cc", "Cs", "Co") or ch == "\ufffd":
        return False
    return category != "Cf" or ch in _KEEP_FORMAT


# -- rejects: is there any text at all? ---------------------------------------------------------------------
_GARBAGE_SHARE = 0.10


def text_problem(raw: str | None) -> str | None:
    """Why a raw text cannot be processed (empty, whitespace only, binary garbage), or None when it can."""
    if raw is None or raw == "":
        return "empty text"
    if not raw.strip():
        return "whitespace-only text"
    sample = raw[:20_000]
    bad = sum(1 for ch in sample if _is_binary(ch))
    if bad and bad / len(sample) >= _GARBAGE_SHARE:
        return f"binary garbage: {bad / len(sample):.0%} control or undecodable characters"
    cleaned = normalise(raw)
    if not cleaned:
        return "no text left after removing markup and boilerplate"
    if not any(_is_content(ch) for ch in cleaned):
        return "no letters, digits or emoji"
    return None


def _is_binary(ch: str) -> bool:
    if ch in "\n\r\t":
        return False
    return ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn")


def _is_content(ch: str) -> bool:
    return ch.isalnum() or unicodedata.category(ch) == "So"


def has_content(text: str) -> bool:
    """True when the text has a letter, a digit or an emoji (a sentence worth tagging)."""
    return any(_is_content(ch) for ch in text)


def truncate(text: str, max_chars: int) -> str:
    """Cut to at most ``max_chars``, at the last sentence end or space in the final tenth when there is one."""
    if len(text) <= max_chars:
        return text
    head = text[:max_chars]
    floor = max_chars - max_chars // 10
    for marks in ("。!?.\n", " 、,"):
        cut = max(head.rfind(m, floor) for m in marks)
        if cut >= floor:
            return head[: cut + 1].rstrip()
    return head


# -- structured-review sections -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Section:
    """A labelled part of a normalised text: [start, end) character offsets, header excluded."""

    label: str
    start: int
    end: int


# Header phrasings seen on G2 ("What do you like best about X?"), Capterra ("Pros:", "Overall:") and
# Japanese / Indonesian app stores and blogs ("良い点", "Kelebihan").
_HEADERS: dict[str, str] = {
    "like_best": r"what do you like (?:best|most)(?: about [^?\n]{1,80})?\?"
    r"|(?:what i )?lik(?:e|es|ed)(?: most| best)?:?",
    "dislike": r"what do you dislike(?: about [^?\n]{1,80})?\?|(?:what i )?dislik(?:e|es|ed)(?: most)?:?",
    "problems": r"what problems (?:is|are) [^?\n]{1,80} solving(?: and how is that benefiting you)?\?",
    "recommendations": r"recommendations to others considering(?: [^:?\n]{1,80})?[:?]?",
    "pros": r"(?:pros|the good|advantages|良い点|よかった点|メリット|kelebihan(?:nya)?):?",
    "cons": r"(?:cons|the bad|disadvantages|悪い点|改善点|不満な点|デメリット|kekurangan(?:nya)?):?",
    "overall": r"(?:overall(?: experience)?|comments|総評|kesimpulan):?",
}
_HEADER = re.compile(
    "|".join(f"(?P<{label}>{pattern})" for label, pattern in _HEADERS.items()),
    re.I,
)
_LINE_START = re.compile(r"(?:^|\n)")


def split_sections(text: str, *, default: str) -> list[Section]:
    """Label parts of ``text`` by the structured-review headers they follow; the rest keeps ``default``."""
    headers: list[tuple[int, int, str]] = []
    for line_start in (m.end() for m in _LINE_START.finditer(text)):
        match = _HEADER.match(text, line_start)
        if match is None or not _header_ends(text, match.end()):
            continue
        headers.append((match.start(), match.end(), match.lastgroup or default))
    sections: list[Section] = []
    label, start = default, 0
    for h_start, h_end, h_label in headers:
        _add(sections, text, label, start, h_start)
        label, start = h_label, h_end
    _add(sections, text, label, start, len(text))
    return sections


def _header_ends(text: str, end: int) -> bool:
    """A header is a line of its own or ends in ':' / '?' before the answer on the same line."""
    return end == len(text) or text[end] == "\n" or text[end - 1] in ":?"


def _add(sections: list[Section], text: str, label: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        sections.append(Section(label, start, end))


@dataclass(frozen=True, slots=True)
class Document:
    """The normalised text of one feedback record (fields joined by blank lines) and its labelled sections."""

    text: str
    sections: tuple[Section, ...]

    def truncated(self, max_chars: int) -> Document:
        """The document cut to ``max_chars`` (see ``truncate``); sections past the cut are dropped or clipped."""
        if len(self.text) <= max_chars:
            return self
        text = truncate(self.text, max_chars)
        kept = tuple(Section(s.label, s.start, min(s.end, len(text))) for s in self.sections if s.start < len(text))
        return Document(text, kept)


FIELD_SEPARATOR = "\n\n"


def build_document(fields: Sequence[tuple[str, str]]) -> Document:
    """Join normalised (field, text) pairs; sections carry the field name unless a header says otherwise."""
    parts: list[str] = []
    sections: list[Section] = []
    offset = 0
    for field_name, raw in fields:
        text = normalise(raw)
        if not text:
            continue
        if parts:
            offset += len(FIELD_SEPARATOR)
        for s in split_sections(text, default=field_name):
            sections.append(Section(s.label, s.start + offset, s.end + offset))
        parts.append(text)
        offset += len(text)
    return Document(FIELD_SEPARATOR.join(parts), tuple(sections))
