"""Inference: save -> reload identity, batch == single, thresholds, registry look-ups."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from models.batching import InputFormat, unshout
from models.calibration import Calibration
from models.label_shift import PriorAdaptation, adapt
from models.labels import LabelSpace
from models.network import MultiTaskModel
from models.predict import Classifier, Probabilities, decision_margin, load_classifier
from models.registry import latest_model_dir, resolve_model_dir
from pipeline.config import Settings
from pipeline.errors import UserError

TEXTS = [
    "Support answered my ticket fast.",
    "サポートの返信が早い",
    "Layanan pelanggan lambat sekali dan saya kecewa, tolong diperbaiki secepatnya ya",
    "ok",
    "",
    "A much longer sentence about an account manager, a refund, a price increase and the limits of the free plan.",
]


def test_save_reload_gives_identical_probabilities(tiny_model, tmp_path: Path) -> None:
    first = Classifier.load(tiny_model.model_dir, runtime="torch").predict_proba(TEXTS)
    copy = tmp_path / tiny_model.version
    shutil.copytree(tiny_model.model_dir, copy)
    (copy / "model.safetensors").unlink()
    model = MultiTaskModel.load(tiny_model.model_dir, LabelSpace.load(tiny_model.model_dir))
    model.save(copy)  # a second save of the reloaded weights
    again = Classifier.load(copy, runtime="torch").predict_proba(TEXTS)
    for head in ("service", "sentiment", "sharp_edge"):
        assert np.array_equal(getattr(first, head), getattr(again, head)), head


def test_batch_equals_single(tiny_model) -> None:
    clf = Classifier.load(tiny_model.model_dir, runtime="torch")
    batched = clf.predict_proba(TEXTS, batch_size=4)
    for i, text in enumerate(TEXTS):
        single = clf.predict_proba([text])
        for head in ("service", "sentiment", "sharp_edge"):
            np.testing.assert_allclose(getattr(single, head)[0], getattr(batched, head)[i], atol=1e-5)


def test_probabilities_are_well_formed(tiny_model) -> None:
    probs = Classifier.load(tiny_model.model_dir, runtime="torch").predict_proba(TEXTS)
    assert probs.service.shape == (len(TEXTS), 3) and probs.sharp_edge.shape == (len(TEXTS), 9)
    np.testing.assert_allclose(probs.sentiment.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(probs.sharp_edge.sum(axis=1), 1.0, rtol=1e-5)
    assert ((probs.service >= 0) & (probs.service <= 1)).all()
    empty = Classifier.load(tiny_model.model_dir, runtime="torch").predict_proba([])
    assert len(empty) == 0 and empty.sharp_edge.shape == (0, 9)


def test_predict_applies_the_stored_thresholds(tiny_model, tmp_path: Path) -> None:
    clf = Classifier.load(tiny_model.model_dir, runtime="torch")
    tags = clf.predict(TEXTS)
    assert clf.version == tiny_model.version and clf.labels.sharp_edge[0] == "none"
    assert set(tags[0].scores) == set(clf.labels.score_keys())
    assert "service.support" in tags[0].scores and "sharp_edge.billing" in tags[0].scores
    assert tags[0].service == ("support",)
    strict = tmp_path / "strict"
    shutil.copytree(tiny_model.model_dir, strict)
    Calibration(service_thresholds=(0.999999, 0.999999, 0.999999), sharp_edge_threshold=0.95).save(strict)
    strict_tags = Classifier.load(strict, runtime="torch").predict(TEXTS)
    assert all(t.service == () for t in strict_tags)


def test_sentiment_priors_adapt_to_the_texts_being_labelled(tiny_model, tmp_path: Path, caplog) -> None:
    clf = Classifier.load(tiny_model.model_dir, runtime="torch")
    texts = TEXTS * 10
    plain = clf.decisions(texts)
    adapted = clf.decisions(texts, adapt=PriorAdaptation(min_rows=5))
    expected, estimates = adapt(plain.probs.sentiment, None, clf.calibration.sentiment_priors, min_rows=5)
    assert set(estimates) == {"*"}
    np.testing.assert_allclose(adapted.probs.sentiment, expected, rtol=1e-5)
    assert not np.array_equal(adapted.probs.sentiment, plain.probs.sentiment)
    np.testing.assert_array_equal(adapted.sentiment, expected.argmax(axis=1))
    np.testing.assert_array_equal(adapted.probs.service, plain.probs.service)  # the other heads are untouched
    tags = clf.predict(texts, adapt=PriorAdaptation(min_rows=5))
    assert [t.sentiment for t in tags] == [clf.labels.sentiment[int(i)] for i in adapted.sentiment]
    none = clf.decisions([], langs=[], adapt=PriorAdaptation(min_rows=1))  # an empty call stays empty
    assert len(none.probs) == 0 and len(none.sentiment) == 0
    few = clf.decisions(texts, adapt=PriorAdaptation(min_rows=len(texts) + 1))
    np.testing.assert_array_equal(few.probs.sentiment, plain.probs.sentiment)
    older = tmp_path / "older"  # trained before the priors were stored
    shutil.copytree(tiny_model.model_dir, older)
    calibration = json.loads((older / "calibration.json").read_text())
    del calibration["sentiment_priors"]
    (older / "calibration.json").write_text(json.dumps(calibration))
    with caplog.at_level("WARNING"):
        kept = Classifier.load(older, runtime="torch").decisions(texts, adapt=PriorAdaptation(min_rows=5))
    np.testing.assert_array_equal(kept.probs.sentiment, plain.probs.sentiment)
    assert "stores no training priors" in caplog.text


def test_registry_finds_the_newest_and_the_named_model(tiny_model, tmp_path: Path) -> None:
    models = tmp_path / "data" / "models"
    assert latest_model_dir(models) is None
    settings = Settings.model_validate({"paths": {"data_dir": str(tmp_path / "data")}})
    with pytest.raises(UserError, match="run `vocmine train` first"):
        resolve_model_dir(settings)
    old, new = models / "vocmine-a-old", models / "vocmine-b-new"
    for path, when in ((old, "2026-01-01T00:00:00+00:00"), (new, "2026-02-01T00:00:00+00:00")):
        shutil.copytree(tiny_model.model_dir, path)
        meta = json.loads((path / "meta.json").read_text())
        (path / "meta.json").write_text(json.dumps(meta | {"created_at": when}))
    (models / ".vocmine-c.tmp").mkdir()  # an unfinished training run is never picked
    assert latest_model_dir(models) == new
    assert resolve_model_dir(settings) == new
    pinned = settings.model_copy(
        update={"classifier": settings.classifier.model_copy(update={"model_version": old.name})}
    )
    assert resolve_model_dir(pinned) == old
    assert load_classifier(pinned).model_dir == old
    missing = settings.model_copy(update={"classifier": settings.classifier.model_copy(update={"model_version": "x"})})
    with pytest.raises(UserError, match="'x' not found"):
        resolve_model_dir(missing)


def test_decision_margin_is_the_distance_to_the_nearest_flip() -> None:
    calibration = Calibration(service_thresholds=(0.5, 0.3), sharp_edge_threshold=0.4)
    calm, tie = [0.1, 0.1, 0.8], [0.45, 0.5, 0.05]
    none, close = [0.9, 0.05, 0.05], [0.1, 0.46, 0.44]
    probs = Probabilities(
        service=np.array([[0.9, 0.0], [0.52, 0.9], [0.9, 0.0], [0.9, 0.0]], dtype=np.float32),
        sentiment=np.array([calm, calm, tie, calm], dtype=np.float32),
        sharp_edge=np.array([none, none, none, close], dtype=np.float32),
    )
    margins = decision_margin(probs, calibration=calibration)
    # row 0: nearest is the second service label (0.3 away); 1: the first service label, 0.02 above its threshold;
    # 2: the top two sentiments, 0.05 apart; 3: a policy category above the cut but 0.02 ahead of the runner-up
    np.testing.assert_allclose(margins, [0.3, 0.02, 0.05, 0.02], atol=1e-6)


def test_unshout_lowers_runs_of_capitals_and_keeps_acronyms() -> None:
    assert unshout("I'M REALLY FRUSTRATED BY THIS.") == "i'm really frustrated by this."
    assert unshout("I sent it back AND THEY LOST IT!!") == "I sent it back and they lost it!!"
    assert unshout("The HP has USB-C and an SSD.") == "The HP has USB-C and an SSD."  # runs of one or two words
    assert unshout("CRASHED after 2 DAYS") == "CRASHED after 2 DAYS"
    assert unshout("ずっと使える GREAT JOB GUYS") == "ずっと使える great job guys"
    assert unshout("Ok THANK YOU SO much") == "Ok thank you so much"
    assert unshout("") == ""


def test_a_model_reads_text_in_the_format_it_was_trained_with(tiny_model, tmp_path: Path) -> None:
    meta = json.loads((tiny_model.model_dir / "meta.json").read_text())
    assert meta["unshout"] is True and meta["colloquial"] == ["id"]
    trained = InputFormat(meta["text_prefix"], True, ("id",))
    assert Classifier.load(tiny_model.model_dir, runtime="torch").input_format == trained
    # a model trained before the options existed keeps reading capitals and colloquial spellings as they are
    older = tmp_path / "older"
    shutil.copytree(tiny_model.model_dir, older)
    del meta["unshout"], meta["colloquial"]
    (older / "meta.json").write_text(json.dumps(meta))
    assert Classifier.load(older, runtime="torch").input_format == InputFormat(meta["text_prefix"], False)


def test_input_format_normalises_then_unshouts_then_prefixes() -> None:
    fmt = InputFormat(prefix="query: ", unshout=True)
    assert fmt.apply("<b>I LOVE THIS THING</b> &amp; the HP dock") == "query: i love this thing & the HP dock"
    assert InputFormat(prefix="query: ").apply("I LOVE THIS THING") == "query: I LOVE THIS THING"


def test_unshout_on_huge_and_letterless_text() -> None:
    huge = "THIS IS LOUD " * 50_000
    assert unshout(huge) == huge.lower()
    assert unshout("12345 !!! 😡😡") == "12345 !!! 😡😡"


def test_known_logits_are_read_instead_of_running_the_model(tiny_model) -> None:
    from models.predict import KnownLogits, calibrated

    clf = Classifier.load(tiny_model.model_dir, runtime="torch")
    texts, langs = ["Support answered my ticket fast.", "ok"], ["en", "en"]
    fresh = clf.predict_proba(texts, langs=langs)
    planted = (np.full((2, 3), 4.0, np.float32), np.zeros((2, 3), np.float32), np.zeros((2, 9), np.float32))
    clf.known = KnownLogits.of(texts, langs, planted)
    assert clf.known.take(texts[::-1], langs) is not None and clf.known.take(["new"], ["en"]) is None
    read = clf.predict_proba(texts[::-1], langs=langs)
    np.testing.assert_array_equal(read.service, calibrated(planted, clf.calibration).service)
    mixed = clf.predict_proba([*texts, "new text"], langs=[*langs, "en"])  # one unknown: the model reads them all
    np.testing.assert_allclose(mixed.service[:2], fresh.service, atol=1e-5)
    other_language = clf.predict_proba(texts, langs=["id", "en"])  # the language is part of the key
    assert not np.array_equal(other_language.service, read.service)
    with pytest.raises(ValueError, match="2 texts, 1 languages and 2 rows"):
        KnownLogits.of(texts, langs[:1], planted)
    twice = KnownLogits.of([*texts, texts[0]], [*langs, "en"], tuple(np.concatenate([h, h[:1]]) for h in planted))
    taken = twice.take([texts[0], texts[0], texts[1]], ["en", "en", "en"])  # a repeated pair: one row per ask
    assert taken is not None and all(len(head) == 3 for head in taken)
    assert twice.take([], []) is not None and len(twice.take([], [])[0]) == 0  # type: ignore[index]
