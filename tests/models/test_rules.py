"""Rule tagger: the taxonomy's phrases and token patterns hit the expected labels in en / ja / id."""

from __future__ import annotations

import pytest

from models.rules import RuleTagger, lexicon_sentiment, normalise_lang
from pipeline.taxonomy import Taxonomy


@pytest.fixture(scope="module")
def tagger(taxonomy: Taxonomy) -> RuleTagger:
    return RuleTagger(taxonomy)


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("I contacted support and the agent was great.", "en", ("service.support",)),
        ("Customer Service never got back to me.", "en", ("service.support",)),
        ("Our CSM runs a QBR every quarter.", "en", ("service.success",)),
        ("The onboarding team made the migration painless.", "en", ("service.onboarding",)),
        ("They cancelled nothing and refused a refund.", "en", ("sharp_edge.cancellation_refunds",)),
        ("We were double charged after the trial.", "en", ("sharp_edge.billing",)),
        ("The plan auto-renewed without any warning.", "en", ("sharp_edge.contract_renewal",)),
        ("解約できない", "ja", ("sharp_edge.cancellation_refunds",)),
        ("サポートに問合せしたら返信が早かった", "ja", ("service.support",)),
        ("CSMの方が毎月伴走してくれます", "ja", ("service.success",)),
        ("年間契約が自動更新されていた", "ja", ("sharp_edge.contract_renewal",)),
        ("cs nya lambat banget", "id", ("service.support",)),
        ("Tagihan muncul dua kali, minta refund tidak bisa", "id",
         ("sharp_edge.billing", "sharp_edge.cancellation_refunds")),
        ("Pelatihan onboarding sangat membantu", "id", ("service.onboarding",)),
    ],
)  # fmt: skip
def test_rules_hit_expected_labels(tagger: RuleTagger, text: str, lang: str, expected: tuple[str, ...]) -> None:
    assert tagger.hits(text, lang) == expected


def test_japanese_matches_on_sudachi_tokens_inside_longer_words(tagger: RuleTagger) -> None:
    hits = [h for h in tagger.matches("解約できないし返金もない", "ja") if h.label.startswith("sharp_edge")]
    assert [(h.label, h.text) for h in hits] == [
        ("sharp_edge.cancellation_refunds", "解約"),
        ("sharp_edge.cancellation_refunds", "解約できない"),
        ("sharp_edge.cancellation_refunds", "返金"),
    ]
    assert hits[0].start == 0 and hits[0].end == 2


def test_hard_negatives_do_not_fire(tagger: RuleTagger) -> None:
    assert tagger.hits("The app supports SSO and SAML.", "en") == ()
    assert tagger.hits("Our support team uses it to answer customer tickets.", "en") == ()  # excluded: own team
    assert tagger.hits("SSOをサポートしている", "ja") == ()
    assert tagger.hits("A plain sentence about dashboards.", "en") == ()


def test_sentiment_lexicon_with_negation(tagger: RuleTagger) -> None:
    assert lexicon_sentiment(tagger.matches("Support was great and fast.", "en")) == "positive"
    assert lexicon_sentiment(tagger.matches("Support was not helpful.", "en")) == "negative"
    assert lexicon_sentiment(tagger.matches("使いやすくない", "ja")) == "negative"  # ない after the word flips it
    assert lexicon_sentiment(tagger.matches("pelayanan tidak ramah", "id")) == "negative"
    assert lexicon_sentiment(tagger.matches("A table of numbers.", "en")) is None
    negated = [h for h in tagger.matches("Support was not helpful.", "en") if h.label.startswith("sentiment")]
    assert negated[0].negated and negated[0].text == "helpful"


def test_language_is_guessed_when_missing(tagger: RuleTagger) -> None:
    assert tagger.hits("解約したい", None) == ("sharp_edge.cancellation_refunds",)
    assert tagger.hits("The live chat is gone.", None) == ("service.support",)
    assert tagger.hits("admin tidak membalas", None) == ("service.support",)  # id patterns on non-CJK text
    assert tagger.hits("The live chat is gone.", "en-US") == ("service.support",)
    assert tagger.hits("Der Support war gut.", "de") == ()  # no German patterns: no hits, no error


def test_hits_many_matches_single_calls(tagger: RuleTagger) -> None:
    texts = ["Support was slow.", "解約できない", "tim cs ramah", "nothing here"]
    langs = ["en", "ja", "id", None]
    assert tagger.hits_many(texts, langs) == [tagger.hits(t, lang) for t, lang in zip(texts, langs, strict=True)]
    with pytest.raises(ValueError, match="languages"):
        tagger.hits_many(texts, ["en"])


def test_pipelines_are_cached_per_language(tagger: RuleTagger) -> None:
    tagger.hits("サポート", "ja")
    first = tagger.rules_for("ja")
    tagger.hits("返金", "ja")
    assert tagger.rules_for("ja") is first
    assert first.nlp is RuleTagger(tagger.taxonomy).rules_for("ja").nlp


def test_very_long_text_is_matched_on_its_start(tagger: RuleTagger) -> None:
    text = "返金してほしい。" + "とても長い文章です。" * 20_000
    assert tagger.hits(text, "ja") == ("sharp_edge.cancellation_refunds",)


@pytest.mark.parametrize(("raw", "code"), [("ja-JP", "ja"), ("in", "id"), ("EN_us", "en"), ("", None), (None, None)])
def test_normalise_lang(raw: str | None, code: str | None) -> None:
    assert normalise_lang(raw) == code
