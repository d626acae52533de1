"""Readers: each fixture format parses to exactly the expected examples; bad rows are rejected with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.examples import LabelledExample
from models.readers import (
    read_examples,
    read_indonlu_aspect,
    read_jrte,
    read_labelled,
    read_semeval,
    read_smsa,
    read_span_labels,
    read_star_ratings,
)
from pipeline.errors import UserError
from pipeline.taxonomy import load_taxonomy

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "eval"


def brief(examples) -> list[tuple]:
    return [(ex.text, ex.lang, ex.service, ex.sentiment, ex.sharp_edge, ex.origin) for ex in examples]


def test_semeval_2016_support_is_service_and_out_of_scope_is_skipped() -> None:
    result = read_semeval(FIXTURES / "semeval16_laptops.xml")
    assert brief(result) == [
        ("The screen is bright and the keyboard feels solid.", "en", (), "positive", None, "eval"),
        ("Their phone support kept me on hold for an hour.", "en", ("support",), "negative", None, "eval"),
        ("I bought it last spring.", "en", (), None, None, "eval"),
        ("The repair desk was friendly but the battery still dies fast.", "en", ("support",), None, None, "eval"),
    ]
    assert result.examples[1].note == "SUPPORT#QUALITY:negative"
    assert result.examples[0].source == "semeval:semeval16_laptops"
    assert result.rejects == ()


def test_semeval_out_of_scope_kept_when_asked() -> None:
    result = read_semeval(FIXTURES / "semeval16_laptops.xml", include_out_of_scope=True)
    assert "My old tablet was a different brand." in [ex.text for ex in result]


def test_semeval_2014_categories_and_aspect_terms_only() -> None:
    restaurants = read_semeval(FIXTURES / "semeval14_restaurants.xml")
    assert brief(restaurants) == [
        ("The waiter forgot our drinks twice.", "en", ("support",), "negative", None, "eval"),
        ("Great pasta, tiny portions.", "en", (), None, None, "eval"),  # 'conflict' is no sentence polarity
        ("We went there on a Tuesday.", "en", (), "neutral", None, "eval"),
    ]
    laptops = read_semeval(FIXTURES / "semeval14_laptops.xml")
    assert [ex.service for ex in laptops] == [None, None]  # no categories annotated: service unknown


def test_indonlu_aspect_csv_service_mentioned_unless_neutral() -> None:
    hoasa = read_indonlu_aspect(FIXTURES / "hoasa.csv")
    assert [(ex.text, ex.service, ex.note) for ex in hoasa] == [
        ("kamar bersih, resepsionis sangat ramah", ("support",), "service=pos"),
        ("wifi sering putus", (), "service=neut"),
        ("staf lambat tapi ac dingin", ("support",), "service=neg_pos"),
        ("petugas tidak membantu sama sekali", ("support",), "service=neg"),
    ]
    assert {ex.lang for ex in hoasa} == {"id"} and all(ex.sentiment is None for ex in hoasa)
    casa = read_indonlu_aspect(FIXTURES / "casa.csv")
    assert [ex.service for ex in casa] == [(), ("support",)]


def test_indonlu_aspect_csv_without_the_aspect_is_a_user_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.csv"
    bad.write_text("sentence,fuel\nok,neutral\n", encoding="utf-8")
    with pytest.raises(UserError, match="'service' column"):
        read_indonlu_aspect(bad)


def test_a_quoted_line_break_stays_inside_its_csv_field(tmp_path: Path) -> None:
    aspect = tmp_path / "aspect.csv"
    aspect.write_text('sentence,service\n"staf ramah,\nkamar bersih",pos\nwifi lambat,maybe\n', encoding="utf-8")
    result = read_indonlu_aspect(aspect)
    assert [(ex.text, ex.service) for ex in result] == [("staf ramah,\nkamar bersih", ("support",))]
    assert [r.location for r in result.rejects] == ["aspect.csv:4"]  # the line the record starts on
    ours = tmp_path / "ours.csv"
    rows = 'text,lang,sentiment\n"Support fixed it.\n\nWithin an hour.",en,positive\nSecond row.,en,angry\n'
    ours.write_text(rows, encoding="utf-8")
    result = read_labelled(ours)
    assert [ex.text for ex in result] == ["Support fixed it.\n\nWithin an hour."]
    assert [r.location for r in result.rejects] == ["ours.csv:5"]


def test_smsa_and_jrte() -> None:
    assert brief(read_smsa(FIXTURES / "smsa.tsv")) == [
        ("aplikasinya bagus dan cepat", "id", None, "positive", None, "eval"),
        ("biasa saja menurut saya", "id", None, "neutral", None, "eval"),
        ("sangat mengecewakan , sering error", "id", None, "negative", None, "eval"),
    ]
    jrte = read_jrte(FIXTURES / "jrte.tsv")
    assert [(ex.text, ex.lang, ex.sentiment, ex.note) for ex in jrte] == [
        ("部屋がとても清潔でした。", "ja", "positive", "q001"),
        ("駅から徒歩十分です。", "ja", "neutral", "q002"),
        ("朝食が冷めていて残念でした。", "ja", "negative", "q003"),
    ]
    assert [ex.note for ex in read_jrte(FIXTURES / "jrte.tsv", splits=("dev",))] == ["q002"]


def test_smsa_bad_label_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "s.tsv"
    path.write_text("good text\tpositive\nno label here\n", encoding="utf-8")
    result = read_smsa(path)
    assert len(result) == 1
    assert result.rejects[0].location == "s.tsv:2"


def test_our_jsonl_keeps_good_rows_and_rejects_bad_ones() -> None:
    result = read_labelled(FIXTURES / "labelled.jsonl", origin="gold")
    assert brief(result) == [
        ("Support replied within an hour and fixed it.", "en", ("support",), "positive", "none", "gold"),
        ("年間プランが勝手に自動更新されました。", "ja", (), "negative", "contract_renewal", "gold"),
        ("Fitur ekspor laporannya lengkap.", "id", (), "positive", None, "gold"),
    ]
    assert [r.location for r in result.rejects] == ["labelled.jsonl:4", "labelled.jsonl:5"]
    assert "not valid JSON" in result.rejects[0].reason
    assert "text" in result.rejects[1].reason


def test_our_csv_lists_none_and_empty_cells() -> None:
    result = read_labelled(FIXTURES / "labelled.csv", taxonomy=load_taxonomy())
    assert brief(result) == [
        ("Our CSM checks in every month.", "en", ("success",), "positive", "none", "user"),
        ("The kickoff call and setup help were great.", "en", ("onboarding", "support"), "positive", "none", "user"),
        ("Pricing page is clear.", "en", (), "neutral", "none", "user"),
        ("Unlabelled service cell here.", "en", None, "negative", None, "user"),
    ]
    assert result.examples[1].weight == 0.5
    assert len(result.rejects) == 1 and "sentiment" in result.rejects[0].reason


def test_unknown_taxonomy_labels_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "a", "service": ["billing"]}\n{"text": "b", "sharp_edge": "bug"}\n', encoding="utf-8")
    result = read_labelled(path, taxonomy=load_taxonomy())
    assert len(result) == 0
    assert "unknown service kind" in result.rejects[0].reason
    assert "unknown sharp_edge" in result.rejects[1].reason


@pytest.mark.parametrize(
    ("name", "origin", "first"),
    [
        ("semeval16_laptops.xml", "eval", "The screen is bright and the keyboard feels solid."),
        ("hoasa.csv", "eval", "kamar bersih, resepsionis sangat ramah"),
        ("smsa.tsv", "eval", "aplikasinya bagus dan cepat"),
        ("jrte.tsv", "eval", "部屋がとても清潔でした。"),
        ("labelled.jsonl", "user", "Support replied within an hour and fixed it."),
        ("labelled.csv", "user", "Our CSM checks in every month."),
    ],
)
def test_read_examples_picks_the_reader(name: str, origin: str, first: str) -> None:
    result = read_examples(FIXTURES / name)
    assert isinstance(result.examples[0], LabelledExample)
    assert result.examples[0].text == first
    assert result.examples[0].origin == origin


def test_read_examples_reads_a_directory_and_refuses_unknown_formats(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"text": "one", "sentiment": "neutral"}\n', encoding="utf-8")
    (tmp_path / "b.csv").write_text("text,sentiment\ntwo,positive\n", encoding="utf-8")
    assert [ex.text for ex in read_examples(tmp_path)] == ["one", "two"]
    (tmp_path / "c.parquet").write_bytes(b"x")
    with pytest.raises(UserError, match="unknown labelled-data format"):
        read_examples(tmp_path / "c.parquet")
    with pytest.raises(UserError, match="not found"):
        read_examples(tmp_path / "missing.jsonl")


def test_shared_semeval_counts(shared_data: Path) -> None:
    """The real SemEval-2016 laptops files: the README's SUPPORT sentence counts (144 train / 33 test)."""
    train = read_semeval(shared_data / "semeval16-laptops" / "train.xml")
    test = read_semeval(shared_data / "semeval16-laptops" / "test.xml")
    assert sum(bool(ex.service) for ex in train) == 144
    assert sum(bool(ex.service) for ex in test) == 33


def test_shared_app_review_labels_all_match_the_corpus(shared_data: Path) -> None:
    """Every line of data/eval/app_reviews.labels.jsonl finds its sentence in the real app reviews."""
    from models.suites import APP_REVIEW_LABELS

    corpus = shared_data / "app-reviews" / "asana_google_play.csv"
    result = read_span_labels(APP_REVIEW_LABELS, corpus, text_column="Content", lang="en")
    assert (len(result), result.rejects) == (752, ())
    assert sum(bool(ex.service) for ex in result) == 33


def test_star_ratings_are_distant_sentiment_and_bad_rows_are_kept_with_a_reason(tmp_path: Path) -> None:
    result = read_star_ratings(FIXTURES / "star_ratings.csv", lang="id")
    assert [(ex.text, ex.sentiment) for ex in result] == [
        ("aplikasinya lemot, sering force close", "negative"),
        ("ongkir mahal", "negative"),
        ("biasa aja, kadang lancar kadang nggak", "neutral"),
        ("mantap, pengiriman cepat", "positive"),
        ("belanja jadi gampang.\nrecommended!", "positive"),  # a quoted line break stays inside its review
        ("dapat voucher terus, makasih", "positive"),  # "4.0", as some exports write it
    ]
    assert {ex.lang for ex in result} == {"id"}
    reasons = {r.location: r.reason for r in result.rejects}
    assert reasons == {
        "star_ratings.csv:8": "rating '0' is not a whole number of stars from 1 to 5",
        "star_ratings.csv:9": "text: String should have at least 1 character",
        "star_ratings.csv:10": "rating '' is not a whole number of stars from 1 to 5",
        "star_ratings.csv:12": "rating '4.5' is not a whole number of stars from 1 to 5",
    }
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("content,score\nok,5\n", encoding="utf-8")
    with pytest.raises(UserError, match="no column rating, review"):
        read_star_ratings(wrong)


def test_star_ratings_keep_duplicates_and_huge_reviews_whole(tmp_path: Path) -> None:
    huge = "lemot " * 20_000  # 120,000 characters in one quoted field
    path = tmp_path / "stars.csv"
    path.write_text(f'review,rating\nmantap,5\nmantap,5\n"{huge}",1\n', encoding="utf-8")
    result = read_star_ratings(path)
    assert [(ex.text, ex.sentiment) for ex in result][:2] == [("mantap", "positive")] * 2  # evaluation keeps both
    assert result.examples[2].text == huge.strip() and result.rejects == ()
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(UserError, match="no column rating, review"):
        read_star_ratings(empty)


def test_span_labels_point_into_the_corpus_and_stale_ones_are_kept_with_a_reason() -> None:
    result = read_span_labels(FIXTURES / "spans.labels.jsonl", FIXTURES / "spans.csv", text_column="body", lang="en")
    assert [(ex.text, ex.service, ex.sentiment, ex.sharp_edge) for ex in result] == [
        ("Support never answered my ticket.", ("support",), "negative", "none"),
        ("The app itself is fine.", (), "positive", "none"),
        ("Billing charged me twice after I cancelled.", (), "negative", "billing"),
    ]
    reasons = {r.location: r.reason for r in result.rejects}
    assert reasons["spans.labels.jsonl:4"] == "the span 0:70 of record '01f3600644e5a397' is not the labelled text"
    assert reasons["spans.labels.jsonl:5"] == "no record '0000000000000000' in spans.csv"
    assert reasons["spans.labels.jsonl:6"].startswith("expected a JSON object with record, start, end and key")
    with pytest.raises(UserError, match="no column text"):
        read_span_labels(FIXTURES / "spans.labels.jsonl", FIXTURES / "spans.csv", text_column="text")


@pytest.mark.usefixtures("csv_default_limit")
def test_a_cell_longer_than_the_csv_modules_default_limit_is_read_whole(tmp_path: Path) -> None:
    huge = "Support never answered. " * 10_000  # 240,000 characters; the csv module's default cap is 131,072
    path = tmp_path / "long.csv"
    path.write_text(f'text,lang,sentiment\n"{huge}",en,negative\nshort,en,neutral\n', encoding="utf-8")
    assert [ex.text for ex in read_labelled(path)] == [huge.strip(), "short"]


def test_span_labels_keep_duplicates_skip_blank_lines_and_read_an_empty_file(tmp_path: Path) -> None:
    first = (FIXTURES / "spans.labels.jsonl").read_text(encoding="utf-8").splitlines()[0]
    labels = tmp_path / "dup.labels.jsonl"
    labels.write_text(f"{first}\n\n{first}\n", encoding="utf-8")
    result = read_span_labels(labels, FIXTURES / "spans.csv", text_column="body")
    assert [ex.text for ex in result] == ["Support never answered my ticket."] * 2 and result.rejects == ()
    empty = tmp_path / "empty.labels.jsonl"
    empty.write_text("", encoding="utf-8")
    assert len(read_span_labels(empty, FIXTURES / "spans.csv", text_column="body")) == 0
