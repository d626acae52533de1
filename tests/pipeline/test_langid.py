"""Language identification: lingua limited to the configured languages, kana rule, short-text fallbacks."""

from __future__ import annotations

import pytest

from pipeline.langid import LanguageIdentifier, identifier

LANGUAGES = ("en", "ja", "id", "de", "fr", "es", "pt", "it", "nl")


@pytest.fixture(scope="module")
def langid() -> LanguageIdentifier:
    return identifier(LANGUAGES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The onboarding team was great and support answered within the hour.", "en"),
        ("サポートの対応が早くて助かりました。", "ja"),
        ("漢字のみの短い文", "ja"),  # Chinese is not configured: kanji-only text is Japanese here
        ("Aplikasinya bagus banget, tapi CS-nya lambat membalas pesan saya.", "id"),
        ("Die Kündigung war sehr kompliziert und der Support hat nicht geantwortet.", "de"),
        ("Le support client a répondu rapidement, merci beaucoup.", "fr"),
        ("Great app! でもサポートの返信が遅いです。とても残念。", "ja"),  # mostly Japanese by word count
    ],
)
def test_record_language(langid: LanguageIdentifier, text: str, expected: str) -> None:
    assert langid.detect(text) == expected


def test_short_or_textless_keeps_the_source_hint(langid: LanguageIdentifier) -> None:
    assert langid.detect("ok", hint="en") == "en"
    assert langid.detect("👍👍", hint="id") == "id"
    assert langid.detect("👍👍") is None
    assert langid.detect("") is None


def test_sentence_language_in_mixed_reviews(langid: LanguageIdentifier) -> None:
    assert langid.detect_sentence("でも高い。", record_language="en") == "ja"
    assert langid.detect_sentence("The support team is very slow to answer.", record_language="ja") == "en"
    indonesian = "Pelayanannya sangat ramah dan cepat sekali, terima kasih."
    assert langid.detect_sentence(indonesian, record_language="en") == "id"
    # too short to judge: the record's language stands
    assert langid.detect_sentence("Love it", record_language="id") == "id"


def test_only_configured_languages_are_returned() -> None:
    limited = LanguageIdentifier(["en", "ja"])
    assert limited.detect("Aplikasinya bagus banget, tapi CS-nya lambat membalas pesan saya.") in ("en", "ja")
