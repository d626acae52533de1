"""Normalisation, rejects of unusable text, truncation and structured-review sections."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.text import Section, build_document, normalise, split_sections, text_problem, truncate


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<p>Love the <b>timeline</b> view &amp; automations.</p><p>Support was quick.</p>",
         "Love the timeline view & automations.\n\nSupport was quick."),
        ("Price &amp;amp; value", "Price & value"),
        ("ｻﾎﾟｰﾄ　が　最高！！", "サポート が 最高!!"),
        ("Ｆｕｌｌ－ｗｉｄｔｈ　ＡＢＣ　１２３", "Full-width ABC 123"),
        ("a\r\nb\rc\u2028d", "a\nb\nc\nd"),
        ("  many   spaces\t\tand tabs  \n\n\n\n\nnext paragraph ", "many spaces and tabs\n\nnext paragraph"),
        ("zero\u200bwidth\ufeff and soft\u00adhyphen", "zerowidth and softhyphen"),
        ("family 👨\u200d👩\u200d👧 thumbs 👍🏽", "family 👨\u200d👩\u200d👧 thumbs 👍🏽"),
        ("a < b and c > d, <3", "a < b and c > d, <3"),
        ("Great tool.\nReview collected by and hosted on G2.com.", "Great tool."),
        ("Nice app… Read more", "Nice app"),
        ("Verified Current User\nIt works.\nReview source: Organic", "It works."),
        ("(Translated by Google) Good support\n\n(Original)\n良いサポート", "Good support\n\n良いサポート"),
        ("", ""),
    ],
)  # fmt: skip
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@given(st.text(max_size=300))
@settings(max_examples=400, deadline=None)
def test_normalise_is_idempotent_and_never_raises(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert once == once.strip()


_HTMLISH = st.lists(
    st.sampled_from(["<b>", "</p>", "<br/>", "&amp;", "&lt;", "&gt;", "&#12354;", "&", "<", ">", ";", "amp", "\n",
                     " ", "　", "ｂ", "＜", "＆", "Review collected by and hosted on G2.com", "read more", "…", "x"]),
    max_size=40,
).map("".join)  # fmt: skip


@given(_HTMLISH)
@settings(max_examples=400, deadline=None)
def test_normalise_is_idempotent_on_markup_soup(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "empty text"),
        ("", "empty text"),
        ("   \n\t  \u3000", "whitespace-only text"),
        ("\x00\x01\x02\x7fPNG\x1a\x00\x00\x0dIHDR\x00\x00", "binary garbage"),
        ("\ufffd\ufffd\ufffd abc \ufffd\ufffd", "binary garbage"),
        ("<p></p><br>", "no text left"),
        ("!!! ... ???", "no letters, digits or emoji"),
    ],
)
def test_text_problem_names_the_reason(raw: str | None, reason: str) -> None:
    assert (text_problem(raw) or "").startswith(reason)


@pytest.mark.parametrize("ok", ["👍", "ok", "5", "最高", "Bagus!", "a\x00b is mostly fine text with one NUL"])
def test_text_problem_accepts_real_text(ok: str) -> None:
    assert text_problem(ok) is None


def test_truncate_prefers_a_sentence_end() -> None:
    text = "First sentence here. " * 10 + "x" * 50
    cut = truncate(text, 220)
    assert len(cut) <= 220 and cut.endswith(".")
    assert truncate("short", 100) == "short"
    assert truncate("y" * 500, 100) == "y" * 100


def test_g2_questions_become_sections() -> None:
    text = normalise(
        "What do you like best about Orbitask?<br>Onboarding was great.<br>"
        "What do you dislike about Orbitask?<br>Price went up.<br>"
        "Recommendations to others considering Orbitask:<br>Try the trial."
    )
    labels = [(s.label, text[s.start : s.end]) for s in split_sections(text, default="body")]
    assert labels == [("like_best", "Onboarding was great."), ("dislike", "Price went up."),
                      ("recommendations", "Try the trial.")]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pros: easy to use\nCons: pricey", [("pros", "easy to use"), ("cons", "pricey")]),
        ("良い点\n使いやすい\n改善点：高い", [("pros", "使いやすい"), ("cons", "高い")]),
        ("Kelebihan: cepat\nKekurangannya: mahal", [("pros", "cepat"), ("cons", "mahal")]),
        ("The pros are many. Prosecutors aside.", [("body", "The pros are many. Prosecutors aside.")]),
    ],
)
def test_plain_headers_become_sections(text: str, expected: list[tuple[str, str]]) -> None:
    text = normalise(text)
    assert [(s.label, text[s.start : s.end]) for s in split_sections(text, default="body")] == expected


def test_document_offsets_point_into_joined_fields() -> None:
    doc = build_document([("title", "Great&nbsp;app"), ("body", "  "), ("pros", "Fast"), ("cons", "Cons: none")])
    assert doc.text == "Great app\n\nFast\n\nCons: none"
    assert [(s.label, doc.text[s.start : s.end]) for s in doc.sections] == [
        ("title", "Great app"), ("pros", "Fast"), ("cons", "none")]  # fmt: skip
    short = doc.truncated(10)
    assert short.text == "Great app" and short.sections == (Section("title", 0, 9),)


def _dropped_one_by_one(text: str) -> str:
    from pipeline.text import _keep_char

    return "".join(ch for ch in text if _keep_char(ch))


def test_the_printable_fast_path_drops_exactly_what_the_character_filter_drops() -> None:
    from pipeline.text import _drop_unwanted_chars

    for code in range(0x110000):  # every code point, alone and inside printable text
        ch = chr(code)
        assert _drop_unwanted_chars(ch) == _dropped_one_by_one(ch), hex(code)
    for text in ("a\u200bb", "a\u200db", "tab\there\nline", "x\ufffdy", "\x00", "日本語\u3000テキスト", "ok"):
        assert _drop_unwanted_chars(text) == _dropped_one_by_one(text), repr(text)


@given(st.text())
@settings(max_examples=300)
def test_the_printable_fast_path_matches_on_any_text(text: str) -> None:
    from pipeline.text import _drop_unwanted_chars

    assert _drop_unwanted_chars(text) == _dropped_one_by_one(text)
