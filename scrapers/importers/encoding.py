"""Decode survey export files: BOMs first, then strict UTF-8, then charset-normalizer's best guess."""

from __future__ import annotations

import codecs
import logging
from dataclasses import dataclass

from charset_normalizer import from_bytes

from pipeline.errors import UserError

log = logging.getLogger(__name__)

_BOMS = [  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
# Shift_JIS guesses are read as CP932, its Windows superset (what Excel writes): ①, ㈱ and NEC/IBM kanji decode.
_ALIASES = {"shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "ms932": "cp932", "windows-31j": "cp932"}
_SPREADSHEET_DEFAULTS = ("cp932", "shift_jis", "cp1252", "latin_1")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # the codec actually used, e.g. "utf-8", "utf-8-sig", "utf-16", "cp932"


def decode(data: bytes, *, encoding: str | None = None, name: str = "input") -> Decoded:
    """Decode bytes of a text export; ``encoding`` forces a codec. Raises UserError when nothing fits."""
    if encoding:
        codec = _ALIASES.get(encoding.lower(), encoding)
        try:
            return Decoded(data.decode(codec), codec)
        except LookupError:
            raise UserError(f"{name}: unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise UserError(f"{name}: not valid {encoding} (byte {exc.start}); remove the forced encoding") from None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return Decoded(data.decode(codec), "utf-8-sig" if codec == "utf-8-sig" else codec)
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    matches = from_bytes(data)
    best = matches.best()
    if best is None or best.encoding is None:
        raise UserError(f"{name}: cannot tell the text encoding; set `encoding:` for this file in the config")
    # Equally good guesses (cp1250 and cp1252 tie on French text): prefer what spreadsheets write by default.
    tied = {m.encoding for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)}
    guess = next((c for c in _SPREADSHEET_DEFAULTS if c in tied), best.encoding)
    codec = _ALIASES.get(guess.lower().replace("_", "-"), guess)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        text, codec = str(best), best.encoding
    log.info("%s: detected encoding %s", name, codec)
    return Decoded(text, codec)
