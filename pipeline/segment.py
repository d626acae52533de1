"""Sentence segmentation with spaCy: one blank pipeline per language plus a rule-based sentence component.

- en / id / other Latin-script languages: spaCy's tokenizer (its exceptions keep "Dr.", "e.g.", "dll." whole),
  plus our abbreviations ("Rp.", "etc.", "yg.") that never end a sentence.
- ja: ``spacy.blank("ja")`` tokenises with SudachiPy; sentences end at 。！？!? runs, never inside 「」『』.
- everywhere: line breaks end sentences; closing brackets, quotes and emoji stay with the sentence they follow;
  a sentence longer than ``max_sentence_chars`` is cut at a space or comma.

Spans are (start, end) character offsets into the text given, whitespace trimmed.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from pipeline.text import has_content

log = logging.getLogger(__name__)

Span = tuple[int, int]

TERMINAL = frozenset("。.!?！？．｡‼⁉⁈⁇")
OPEN_TO_CLOSE = {"「": "」", "『": "』", "(": ")", "（": "）", "【": "】", "〈": "〉", "《": "》", "〔": "〕"}
CLOSERS = frozenset("」』)）】〉》〕]}”’»")
ASCII_QUOTES = frozenset("\"'")
MAX_QUOTE_CHARS = 200  # a bracket left open longer than this is a typo, not a quotation
CHUNK_CHARS = 10_000  # SudachiPy refuses input over 49,149 bytes; 10k characters are at most 40k bytes

# Abbreviations whose period never ends a sentence (they precede a name or a number) ...
TITLES: dict[str, frozenset[str]] = {
    "en": frozenset(["mr", "mrs", "ms", "dr", "prof", "jr", "sr", "st", "ave", "no", "nr", "vs", "approx", "incl",
                     "fig", "dept"]),
    "id": frozenset(["dr", "drg", "prof", "ir", "bpk", "sdr", "jl", "gg", "rp", "no", "pt", "cv", "tbk", "kab",
                     "kec", "hlm"]),
}  # fmt: skip
# ... and those that end one only when a capitalised word follows ("… dll. Tapi" ends, "dll. tapi" does not).
TRAILING: dict[str, frozenset[str]] = {
    "en": frozenset(["etc", "inc", "ltd", "co", "corp", "govt", "mgr", "asst"]),
    "id": frozenset(["dll", "dsb", "dst", "dkk", "yg", "bln", "thn", "tgl", "sdh", "tdk", "krn", "dgn", "dg", "utk",
                     "spt", "pd"]),
}  # fmt: skip


def _is_terminal(text: str) -> bool:
    if not text or any(ch not in TERMINAL for ch in text):
        return False
    return not (len(text) > 1 and set(text) == {"."})  # "..." is an ellipsis, not a full stop


def _is_symbolic(text: str) -> bool:
    return bool(text) and all(
        unicodedata.category(ch) in ("So", "Sk", "Mn", "Me") or ch in "\u200d\ufe0f" for ch in text
    )


class SentenceRules:
    """spaCy component: sets ``is_sent_start`` on every token by the rules in the module docstring."""

    def __init__(self, titles: Iterable[str] = (), trailing: Iterable[str] = ()) -> None:
        self.titles = frozenset(a.lower() for a in titles)
        self.trailing = frozenset(a.lower() for a in trailing)

    def __call__(self, doc: Any) -> Any:
        starts = self.sentence_starts(doc)
        for i, token in enumerate(doc):
            token.is_sent_start = i in starts
        return doc

    def sentence_starts(self, doc: Any) -> set[int]:
        protected = _quoted(doc)
        starts = {0}
        n = len(doc)
        i = 0
        while i < n:
            if protected[i] or not self._ends_sentence(doc, i):
                i += 1
                continue
            j = i + 1
            while j < n and self._continues_ending(doc, j):
                j += 1
            if j < n:
                starts.add(j)
            i = j
        return starts

    def _ends_sentence(self, doc: Any, i: int) -> bool:
        text = doc[i].text
        if _is_terminal(text):
            return not self._is_abbreviation(doc, i)
        # spaCy keeps some abbreviations whole ("dll.", "etc."): they end a sentence before a capital.
        following = doc[i + 1].text if i + 1 < len(doc) else ""
        return text.endswith(".") and text[:-1].lower() in self.trailing and following[:1].isupper()

    def _is_abbreviation(self, doc: Any, i: int) -> bool:
        if doc[i].text != "." or i == 0 or i == len(doc) - 1:
            return False
        previous, following = doc[i - 1], doc[i + 1]
        if previous.whitespace_:
            return False
        if previous.lower_ in self.titles:
            return True
        return previous.lower_ in self.trailing and not following.text[:1].isupper()

    @staticmethod
    def _continues_ending(doc: Any, j: int) -> bool:
        text = doc[j].text
        if doc[j].is_space or _is_terminal(text) or text in CLOSERS or _is_symbolic(text):
            return True
        return text in ASCII_QUOTES and not doc[j - 1].whitespace_


def _quoted(doc: Any) -> list[bool]:
    """Tokens strictly inside a matched bracket pair (「…」, (…), …) no longer than MAX_QUOTE_CHARS."""
    inside = [False] * len(doc)
    stack: list[tuple[str, int]] = []
    for i, token in enumerate(doc):
        text = token.text
        if text in OPEN_TO_CLOSE:
            stack.append((OPEN_TO_CLOSE[text], i))
        elif text in CLOSERS and stack:
            depth = next((d for d in range(len(stack) - 1, -1, -1) if stack[d][0] == text), None)
            if depth is None:
                continue
            opened = stack[depth][1]
            del stack[depth:]
            if token.idx - doc[opened].idx <= MAX_QUOTE_CHARS:
                for k in range(opened + 1, i):
                    inside[k] = True
    return inside


def _register_component() -> None:
    from spacy.language import Language

    if "vocmine_sentences" in Language.factories:
        return

    @Language.factory("vocmine_sentences", default_config={"titles": [], "trailing": []})
    def make_sentence_rules(nlp: Any, name: str, titles: list[str], trailing: list[str]) -> SentenceRules:
        return SentenceRules(titles, trailing)


class Segmenter:
    """Splits texts into sentence spans; one lazily built spaCy pipeline per language."""

    def __init__(self, *, max_sentence_chars: int = 1_000) -> None:
        self.max_sentence_chars = max_sentence_chars
        self._pipelines: dict[str, Any] = {}

    def pipeline(self, language: str | None) -> Any:
        """The blank spaCy pipeline (with the sentence component) used for ``language``."""
        code = _spacy_code(language)
        if code not in self._pipelines:
            import spacy

            _register_component()
            nlp = spacy.blank(code)
            config = {"titles": sorted(TITLES.get(code, ())), "trailing": sorted(TRAILING.get(code, ()))}
            nlp.add_pipe("vocmine_sentences", config=config)
            self._pipelines[code] = nlp
        return self._pipelines[code]

    def split(self, text: str, language: str | None) -> list[Span]:
        return self.split_many([(text, language)])[0]

    def split_many(self, items: Sequence[tuple[str, str | None]], *, batch_size: int = 256) -> list[list[Span]]:
        """Sentence spans for each (text, language); texts of one language go through ``nlp.pipe`` together."""
        pieces: dict[str, list[tuple[int, int, str]]] = defaultdict(list)  # code -> (item, offset, text)
        for n, (text, language) in enumerate(items):
            for offset, piece in _pieces(text):
                pieces[_spacy_code(language)].append((n, offset, piece))
        spans: list[list[Span]] = [[] for _ in items]
        for code, group in pieces.items():
            nlp = self.pipeline(code)
            docs = nlp.pipe((piece for _, _, piece in group), batch_size=batch_size)
            for (n, offset, piece), doc in zip(group, docs, strict=True):
                for sent in doc.sents:
                    start, end = _trim(piece, sent.start_char, sent.end_char)
                    if end > start and has_content(piece[start:end]):
                        spans[n].extend(_cap(piece, start, end, self.max_sentence_chars, offset))
        for found in spans:
            found.sort()
        return spans


def _spacy_code(language: str | None) -> str:
    code = (language or "xx").lower()
    if code in _KNOWN_CODES:
        return code
    try:
        from spacy.util import get_lang_class

        get_lang_class(code)
    except Exception:  # spaCy has no language class for it: the multi-language tokenizer will do
        return "xx"
    _KNOWN_CODES.add(code)
    return code


_KNOWN_CODES: set[str] = {"en", "id", "ja", "xx"}


def _pieces(text: str) -> list[tuple[int, str]]:
    """Lines (line breaks end sentences), long lines cut into chunks the tokenizers accept."""
    out: list[tuple[int, str]] = []
    offset = 0
    for line in text.split("\n"):
        start = 0
        while len(line) - start > CHUNK_CHARS:
            cut = _chunk_end(line, start)
            out.append((offset + start, line[start:cut]))
            start = cut
        if line[start:].strip():
            out.append((offset + start, line[start:]))
        offset += len(line) + 1
    return out


def _chunk_end(line: str, start: int) -> int:
    window = line[start : start + CHUNK_CHARS]
    for marks in (TERMINAL, " "):
        cut = max(window.rfind(m) for m in marks)
        if cut > CHUNK_CHARS // 2:
            return start + cut + 1
    return start + CHUNK_CHARS


def _trim(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _cap(text: str, start: int, end: int, limit: int, offset: int) -> list[Span]:
    """Cut a sentence longer than ``limit`` at the last space / comma past half the limit (else hard)."""
    out: list[Span] = []
    while end - start > limit:
        window = text[start : start + limit]
        cut = max(window.rfind(m) for m in (" ", ",", "、", ";"))
        stop = start + cut + 1 if cut > limit // 2 else start + limit
        piece = _trim(text, start, stop)
        if piece[1] > piece[0]:
            out.append((piece[0] + offset, piece[1] + offset))
        start = _trim(text, stop, end)[0]
    if end > start:
        out.append((start + offset, end + offset))
    return out
