"""Colloquial spellings: the Indonesian lexicon, its guards for code-mixed text, and a model reading with it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from models.batching import InputFormat, tokenize
from models.colloquial import indonesian, normalise, supported
from models.config import ClassifierSettings
from models.predict import Classifier


def test_indonesian_abbreviations_and_stretched_words_get_their_standard_spelling() -> None:
    assert indonesian("CS-nya gak bales, yg ini lemot bgt") == "CS-nya enggak balas, yang ini lemot banget"
    assert indonesian("Mantaaap, kereeen!!!") == "Mantap, keren!!!"
    assert indonesian("YG ini Bgt") == "yang ini banget"  # matched whatever the case, written as the lexicon has it
    assert indonesian("bangett") == "banget"  # doubled letters: the lexicon's own entries


def test_code_mixed_english_and_doubled_letters_are_left_alone() -> None:
    # the lexicon maps "to" -> "tapi", "in" -> "ini", "so" -> "sok", "it" -> "itu": English function words stay
    assert indonesian("so far it is ok to use in Jakarta") == "so far it is ok to use in Jakarta"
    assert indonesian("install ulang, staff full") == "install ulang, staff full"
    assert indonesian("harga 1000 ribu, kode AA111") == "harga 1000 ribu, kode AA111"


def test_acronyms_and_addresses_are_left_as_written() -> None:
    assert indonesian("beli baterai AAA yg bagus") == "beli baterai AAA yang bagus"  # one capital letter repeated
    assert indonesian("ooo gitu, MANTAAAP") == "o begitu, MANTAP"  # an interjection, a stretch inside a word
    # without the guard "www" would shorten to "w", which the lexicon reads as "gue"; "yg" inside a path stays too
    assert indonesian("cek www.toko-yg.id/promo yg baru") == "cek www.toko-yg.id/promo yang baru"
    assert indonesian("lihat https://x.id/bgt?q=yg, bgt") == "lihat https://x.id/bgt?q=yg, banget"
    assert indonesian("email cs.yg@toko.co.id aja") == "email cs.yg@toko.co.id saja"


def test_empty_huge_and_letterless_text() -> None:
    assert indonesian("") == ""
    assert indonesian("12345 !!! 😡😡") == "12345 !!! 😡😡"
    huge = "yg bgt mantaaap " * 20_000
    assert indonesian(huge) == "yang banget mantap " * 20_000
    long_address = "www.toko.id/" + "a" * 5_000  # kept as written, its run of letters included
    assert indonesian(f"yg {long_address} " * 50) == f"yang {long_address} " * 50


def test_only_listed_languages_change() -> None:
    text = "yg bgt"
    assert normalise(text, "id", ("id",)) == "yang banget"
    assert normalise(text, "ID", ("id",)) == "yang banget"
    assert normalise(text, "en", ("id",)) == text
    assert normalise(text, None, ("id",)) == text
    assert normalise(text, "id", ()) == text
    assert "id" in supported()


def test_input_format_applies_the_lexicon_per_language() -> None:
    fmt = InputFormat(prefix="query: ", unshout=True, colloquial=("id",))
    assert fmt.apply("YG INI BGT LEMOT", "id") == "query: yang ini banget lemot"
    assert fmt.apply("yg bgt", "ja") == "query: yg bgt"
    assert InputFormat.from_meta({"colloquial": ["ID"]}).colloquial == ("id",)
    assert InputFormat.from_meta({}).colloquial == ()
    with pytest.raises(ValueError, match="colloquial"):
        InputFormat.from_meta({"colloquial": "id"})


def test_tokenize_needs_one_language_per_text() -> None:
    with pytest.raises(ValueError, match="2 languages for 1 texts"):
        tokenize(None, ["yg"], langs=["id", "id"])


def test_settings_reject_a_language_without_a_normaliser() -> None:
    assert ClassifierSettings().colloquial == ["id"]
    assert ClassifierSettings(colloquial=["ID", "id"]).colloquial == ["id"]
    with pytest.raises(ValidationError, match="no colloquial normaliser for fr"):
        ClassifierSettings(colloquial=["fr"])


def _scores(clf: Classifier, texts: list[str], langs: list[str | None] | None = None) -> np.ndarray:
    probs = clf.predict_proba(texts, langs=langs)
    return np.concatenate([probs.service, probs.sentiment, probs.sharp_edge], axis=1)


def test_a_model_reads_colloquial_and_standard_spellings_alike(tiny_model, tmp_path: Path) -> None:
    clf = Classifier.load(tiny_model.model_dir, runtime="torch")
    colloquial, standard = ["gak bisa refund, cs nya lemot bgt"], ["enggak bisa refund, cs nya lemot banget"]
    same = _scores(clf, colloquial, ["id"])
    as_written = _scores(clf, colloquial, ["en"])
    np.testing.assert_allclose(same, _scores(clf, standard, ["id"]), rtol=1e-6, atol=0)
    assert not np.array_equal(same, as_written)
    # no language given: detected, and this sentence reads as Indonesian
    np.testing.assert_allclose(_scores(clf, colloquial), same, rtol=1e-6, atol=0)
    with pytest.raises(ValueError, match="2 languages for 1 texts"):
        clf.predict_proba(colloquial, langs=["id", "id"])
    # a model trained without the option reads the text as it is
    older = tmp_path / "older"
    shutil.copytree(tiny_model.model_dir, older)
    meta = json.loads((older / "meta.json").read_text())
    meta["colloquial"] = []
    (older / "meta.json").write_text(json.dumps(meta))
    np.testing.assert_allclose(_scores(Classifier.load(older, runtime="torch"), colloquial, ["id"]), as_written,
                               rtol=1e-6, atol=0)  # fmt: skip
