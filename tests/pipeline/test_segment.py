"""Sentence splitting per language with spaCy: Japanese punctuation and quotes, abbreviations, emoji, long input."""

from __future__ import annotations

import pytest

from pipeline.segment import Segmenter


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter(max_sentence_chars=300)


def sentences(segmenter: Segmenter, text: str, lang: str) -> list[str]:
    return [text[s:e] for s, e in segmenter.split(text, lang)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("導入支援が丁寧でした。サポートの返信も早い！また使います",
         ["導入支援が丁寧でした。", "サポートの返信も早い！", "また使います"]),
        ("本当に？！高すぎる。。。でも満足です", ["本当に？！", "高すぎる。。。", "でも満足です"]),
        ("「すごい！」と彼は言った。解約できない！", ["「すごい！」と彼は言った。", "解約できない！"]),
        ("『返金不可です。』と言われた。最悪", ["『返金不可です。』と言われた。", "最悪"]),
        ("料金が高い（本当に！）です。次は解約する", ["料金が高い（本当に！）です。", "次は解約する"]),
        ("画面がきれい\n動作が軽い\n\nおすすめ", ["画面がきれい", "動作が軽い", "おすすめ"]),
        ("最高です😍また使います。", ["最高です😍また使います。"]),
        ("最高です！😍 また使います。", ["最高です！😍", "また使います。"]),
        ("Yahoo!ショッピングで買った。安い!高い?", ["Yahoo!ショッピングで買った。", "安い!", "高い?"]),
    ],
)  # fmt: skip
def test_japanese(segmenter: Segmenter, text: str, expected: list[str]) -> None:
    assert sentences(segmenter, text, "ja") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I met Dr. Smith at 5 p.m. yesterday. It was great!!! 😍 Then support called, e.g. twice.",
         ["I met Dr. Smith at 5 p.m. yesterday.", "It was great!!! 😍", "Then support called, e.g. twice."]),
        ('We use boards, docs etc. and it works. "Wow." She said (really!) fine.',
         ["We use boards, docs etc. and it works.", '"Wow."', "She said (really!) fine."]),
        ("We use boards etc. The price is high... but ok", ["We use boards etc.", "The price is high... but ok"]),
        ("Pros\n- fast\n- cheap", ["Pros", "- fast", "- cheap"]),
        ("👍👍👍", ["👍👍👍"]),
    ],
)  # fmt: skip
def test_english(segmenter: Segmenter, text: str, expected: list[str]) -> None:
    assert sentences(segmenter, text, "en") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fiturnya lengkap dll. tapi CS-nya lambat yg bikin kesel. Dr. Budi bilang ok.",
         ["Fiturnya lengkap dll. tapi CS-nya lambat yg bikin kesel.", "Dr. Budi bilang ok."]),
        ("Harga Rp. 150.000 per bln. Mantap!", ["Harga Rp. 150.000 per bln.", "Mantap!"]),
        ("Fitur lengkap dll. Tapi mahal.", ["Fitur lengkap dll.", "Tapi mahal."]),
        ("aplikasi bagus. tapi sering error. 🙏", ["aplikasi bagus.", "tapi sering error. 🙏"]),
    ],
)  # fmt: skip
def test_indonesian(segmenter: Segmenter, text: str, expected: list[str]) -> None:
    assert sentences(segmenter, text, "id") == expected


def test_offsets_index_the_text(segmenter: Segmenter) -> None:
    text = "  First one.  Second one!\n\n  サポートが早い。次も使う  "
    spans = segmenter.split(text, "en") + segmenter.split(text, "ja")
    for start, end in spans:
        assert text[start:end] == text[start:end].strip() and text[start:end]


def test_long_sentences_are_capped(segmenter: Segmenter) -> None:
    text = "word " * 400
    spans = segmenter.split(text, "en")
    assert len(spans) > 1 and all(e - s <= 300 for s, e in spans)
    assert all(text[s:e].split() == ["word"] * len(text[s:e].split()) for s, e in spans)  # cut between words


def test_100k_characters_split_in_every_language(segmenter: Segmenter) -> None:
    ja = "サポートの対応が早くて助かりました。" * 5_600  # 100,800 characters on one line, over Sudachi's input limit
    spans = segmenter.split(ja, "ja")
    assert len(spans) == 5_600 and all(ja[s:e] == "サポートの対応が早くて助かりました。" for s, e in spans)
    en = "x" * 100_000  # one 100k-character 'sentence' without spaces: hard cuts
    spans = segmenter.split(en, "en")
    assert sum(e - s for s, e in spans) == 100_000 and max(e - s for s, e in spans) <= 300


def test_unknown_language_uses_the_multilanguage_tokenizer(segmenter: Segmenter) -> None:
    assert sentences(segmenter, "Ini bagus. Itu jelek.", "zz") == ["Ini bagus.", "Itu jelek."]
    assert sentences(segmenter, "One. Two.", None) == ["One.", "Two."]
