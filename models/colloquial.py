"""Colloquial spellings mapped to standard ones before the encoder reads a sentence, per language.

Indonesian reviews and comments abbreviate and stretch words ("yg", "bgt", "gak", "mantaaap"); the same word then
reaches the encoder in many rare spellings. vocmine maps them with the Colloquial Indonesian Lexicon (Salsabila et
al., 2018, "Kamus Alay": 4,331 entries) as shipped by the ``indoNLP`` package, with two guards for the code-mixed
text such reviews are:

- entries whose colloquial form is an English function word are skipped (the lexicon maps "to" → "tapi",
  "in" → "ini", "so" → "sok", "it" → "itu"), as are the few entries that are regular expressions rather than words;
- only runs of three or more of one letter are shortened ("mantaaap" → "mantap", "ooo" → "o"); a doubled final letter
  is left alone ("install", "staff"), and the lexicon lists the common doubled forms itself ("bangett" → "banget").
  A word that is one capital letter repeated is an acronym and stays ("baterai AAA");
- web and e-mail addresses are left as written (the lexicon would read the "www" of "www.toko.id", shortened to
  "w", as "gue").

Only sentences in a listed language change; every other text is returned as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

_WORD = re.compile(r"\w+")
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")


@cache
def _indonesian_lexicon() -> dict[str, str]:
    from indoNLP.preprocessing.slang_data import SLANG_DATA
    from spacy.lang.en.stop_words import STOP_WORDS

    return {
        key: value
        for key, value in SLANG_DATA.items()
        if _WORD.fullmatch(key) and key.lower() not in STOP_WORDS and key.lower() != value.lower()
    }


def _unstretch(text: str) -> str:
    def shorten(run: re.Match[str]) -> str:
        start, end = run.span()
        in_word = (start > 0 and _WORD.match(text[start - 1])) or (end < len(text) and _WORD.match(text[end]))
        return run.group() if run.group().isupper() and not in_word else run.group(1)  # "AAA" is an acronym

    return _STRETCHED.sub(shorten, text)


def _standard_indonesian(text: str) -> str:
    lexicon = _indonesian_lexicon()

    def standard(match: re.Match[str]) -> str:
        word = match.group()
        return lexicon.get(word.lower(), word)

    return _WORD.sub(standard, _unstretch(text))


def indonesian(text: str) -> str:
    """``text`` with stretched letters shortened and colloquial Indonesian words in their standard spelling; web and
    e-mail addresses as written."""
    from pipeline.pii import address_spans

    parts, last = [], 0
    for start, end in address_spans(text):
        parts += [_standard_indonesian(text[last:start]), text[start:end]]
        last = end
    parts.append(_standard_indonesian(text[last:]))
    return "".join(parts)


NORMALISERS: dict[str, Callable[[str], str]] = {"id": indonesian}


def supported() -> tuple[str, ...]:
    """Languages with a normaliser."""
    return tuple(NORMALISERS)


def normalise(text: str, lang: str | None, languages: tuple[str, ...]) -> str:
    """``text`` normalised when its language is one of ``languages`` (and has a normaliser), else unchanged."""
    code = (lang or "").lower()
    if code not in languages:
        return text
    return NORMALISERS[code](text) if code in NORMALISERS else text
