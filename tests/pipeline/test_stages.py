"""The stage functions on hand-written records: segment (rejects, sections, languages, PII), classify, aggregate."""

from __future__ import annotations

import json

import pytest

from pipeline.config import NlpSettings
from pipeline.stages.aggregate import Verdict, aggregate_record, combine_sentiment
from pipeline.stages.classify import SentenceRef, classify, iter_pending, prediction_table
from pipeline.stages.segment import FeedbackText, segment_records
from pipeline.text import build_document
from tests.pipeline.feedback_samples import GARBAGE

NLP = NlpSettings(max_chars=2_000, max_sentence_chars=400)


def one(record: FeedbackText, nlp: NlpSettings = NLP):
    return segment_records([record], nlp)[0]


def test_sentences_carry_sections_offsets_and_redaction() -> None:
    record = FeedbackText(
        "g2", "1", "h1", None, title="Great support",
        body="What do you like best about Orbitask?<br>The onboarding team was great. Mail me at a@b.io!<br>"
             "What do you dislike about Orbitask?<br>Price went up.<br>Review collected by and hosted on G2.com.",
    )  # fmt: skip
    result = one(record)
    doc = build_document(record.fields())
    assert result.status == "ok" and result.language == "en" and not result.notes
    assert [(s.idx, s.section, s.text) for s in result.sentences] == [
        (0, "title", "Great support"),
        (1, "like_best", "The onboarding team was great."),
        (2, "like_best", "Mail me at a@b.io!"),
        (3, "dislike", "Price went up."),
    ]
    assert all(doc.text[s.start : s.end] == s.text and s.feedback_hash == "h1" for s in result.sentences)
    assert result.sentences[2].text_redacted == "Mail me at [EMAIL]!"


def test_classify_adapts_the_sentiment_priors_of_each_batch_when_asked(tiny_model_dir) -> None:
    models = pytest.importorskip("models.predict")
    from models.label_shift import PriorAdaptation

    clf = models.load_model(tiny_model_dir, runtime="torch")
    texts = ["Support fixed it in minutes, thank you!", "They charged me twice.", "We use it for tickets."] * 20
    refs = [SentenceRef("app", str(i), 0, text, "en") for i, text in enumerate(texts)]
    adapt = PriorAdaptation(min_rows=10)
    adapted = classify(refs, clf, batch_size=8, adapt=adapt)
    assert adapted == clf.predict(texts, langs=["en"] * len(texts), batch_size=8, adapt=adapt)
    plain = classify(refs, clf, batch_size=8)
    assert plain == clf.predict(texts, langs=["en"] * len(texts), batch_size=8)
    assert [t.scores for t in adapted] != [t.scores for t in plain]


@pytest.mark.parametrize(
    ("body", "reason"),
    [("", None), ("   \n\t ", "whitespace-only text"), (GARBAGE, "binary garbage"), ("!!! ???", "no letters")],
)
def test_unusable_texts_are_rejected_with_a_reason(body: str, reason: str | None) -> None:
    result = one(FeedbackText("app", "x1", "h", "en", body=body))
    assert result.sentences == ()
    if reason is None:  # no text at all (a score-only row): nothing to reject
        assert result.status == "empty" and not result.notes
        return
    assert result.status == "rejected"
    [note] = result.notes
    assert note.stage == "process" and note.external_id == "x1" and reason in note.reason
    assert json.loads(note.raw)["field"] == "body"


def test_one_bad_field_does_not_lose_the_good_ones() -> None:
    result = one(FeedbackText("app", "x2", "h", "en", title="Love the app", body=GARBAGE))
    assert result.status == "ok" and [s.text for s in result.sentences] == ["Love the app"]
    assert [n.reason.split(":")[0] for n in result.notes] == ["body"]


def test_over_long_text_is_truncated_with_a_note() -> None:
    body = "Support answered quickly and fixed it. " * 3_000  # ~117k characters
    result = one(FeedbackText("app", "x3", "h", "en", body=body), NlpSettings(max_chars=100_000))
    assert result.status == "ok"
    assert max(s.end for s in result.sentences) <= 100_000
    assert len(result.sentences) == pytest.approx(100_000 / 39, abs=2)
    [note] = result.notes
    assert note.reason.startswith("text: truncated")


def test_mixed_language_reviews_get_languages_per_sentence() -> None:
    record = FeedbackText(
        "app",
        "m1",
        "h",
        None,
        body="Great app overall! でもサポートの返信が遅い。\n"
        "The onboarding team was smooth and helpful.\nPelayanannya sangat ramah dan cepat sekali.",
    )
    result = one(record)
    assert [(s.text, s.language) for s in result.sentences] == [
        ("Great app overall!", "en"),
        ("でもサポートの返信が遅い。", "ja"),
        ("The onboarding team was smooth and helpful.", "en"),
        ("Pelayanannya sangat ramah dan cepat sekali.", "id"),
    ]


def test_japanese_record_with_an_english_paragraph_uses_the_right_tokenizer() -> None:
    body = "サポートが丁寧。返信も早い！\nSupport is great. Dr. Lee set us up. Thanks!"
    texts = [s.text for s in one(FeedbackText("app", "m2", "h", "ja", body=body)).sentences]
    assert texts == ["サポートが丁寧。", "返信も早い!", "Support is great.", "Dr. Lee set us up.", "Thanks!"]


def test_emoji_only_review_is_one_sentence() -> None:
    result = one(FeedbackText("app", "e1", "h", "en", body="👍👍👍"))
    assert [(s.text, s.language) for s in result.sentences] == [("👍👍👍", "en")]


def test_classify_batches_across_records_and_keeps_rule_evidence(rule_classifier) -> None:
    refs = [SentenceRef("app", str(i), 0, text, lang) for i, (text, lang) in enumerate([
        ("They charged me twice and the support team never replied.", "en"),
        ("解約できない。", "ja"),
        ("Timnya ramah.", "id"),
    ])]  # fmt: skip

    class Rules:
        def hits_many(self, texts, langs):
            return [("service.support",) if "support" in t else () for t in texts]

    tags = classify(refs, rule_classifier, rules=Rules(), batch_size=8)
    assert rule_classifier.calls == [3]
    assert tags[0].service == ("support",) and tags[0].sharp_edge == "billing" and tags[0].sentiment == "negative"
    assert tags[1].sharp_edge == "cancellation_refunds"
    assert tags[0].rule_hits == ("service.support",) and tags[1].rule_hits == ()
    table = prediction_table(refs, tags, "v1").to_pylist()
    assert table[0]["sharp_edge"] == "billing" and table[0]["sharp_edge_score"] == 1.0
    assert table[2]["sharp_edge"] is None and table[2]["sharp_edge_score"] is None
    assert table[0]["sentiment_score"] == 1.0 and json.loads(table[0]["scores"])["service.support"] == 1.0


@pytest.mark.parametrize(
    ("sentiments", "expected"),
    [
        ([], "neutral"),
        (["neutral", "neutral"], "neutral"),
        (["positive", "neutral"], "positive"),
        (["positive", "negative", "negative"], "negative"),
        (["positive", "positive", "negative"], "positive"),
        (["positive", "negative"], "negative"),  # a tie holds a complaint: negative
    ],
)
def test_combine_sentiment(sentiments: list[str], expected: str) -> None:
    assert combine_sentiment(sentiments) == expected


def test_aggregate_record() -> None:
    verdicts = [
        Verdict(("support",), "negative", None),
        Verdict(("onboarding", "support"), "positive", None),
        Verdict((), "negative", "billing"),
        Verdict((), "negative", "billing"),
        Verdict((), "positive", None),
    ]
    tags = aggregate_record("app", "1", verdicts, model_version="v", feedback_hash="h", language="en")
    assert tags.has_service and tags.service_kinds == ("onboarding", "support")
    assert tags.service_sentiment == "negative"  # 1 vs 1: tie -> negative
    assert tags.sharp_edges == ("billing",) and tags.overall_sentiment == "negative" and tags.n_sentences == 5
    empty = aggregate_record("nps", "2", [], model_version="v", feedback_hash="h", language=None)
    assert not empty.has_service and empty.service_sentiment is None and empty.overall_sentiment == "neutral"


def test_pending_sentences_come_in_a_fixed_order_whatever_the_insertion_order(tmp_path) -> None:
    """The classifier batches what it is given, and int8 results depend slightly on a sentence's batch-mates, so the
    same store must always hand over its sentences in the same order."""
    import random

    from pipeline.store import Store

    keys = [(f"r{r:03d}", idx) for r in range(60) for idx in range(3)]
    random.Random(7).shuffle(keys)
    with Store(tmp_path / "s.duckdb") as store:
        for external_id, idx in keys:
            store.con.execute("INSERT INTO sentences VALUES ('s', ?, ?, 'body', 'x', 'x', 0, 1, 'en', 'h')",
                              [external_id, idx])  # fmt: skip
        got = [(ref.external_id, ref.idx) for batch in iter_pending(store, "v1", batch=32) for ref in batch]
    assert got == sorted(keys)
