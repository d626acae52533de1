"""Evaluation: scores by hand, suites from files, and the whole run (model vs both baselines) end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from models.baselines import RulesBaseline, SystemOutput, TfidfBaseline
from models.evaluate import ClassifierSystem, evaluate_model, evaluate_suite, score_system
from models.examples import LabelledExample
from models.suites import SUITES, Suite, load_suites, shared_data_dir
from pipeline.config import PathsSettings, Settings
from pipeline.taxonomy import Taxonomy

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "eval"
REPO_ROOT = Path(__file__).resolve().parents[2]

GOLD = [
    LabelledExample(text="Support fixed it fast.", service=["support"], sentiment="positive", sharp_edge="none"),
    LabelledExample(text="They charged me twice.", service=[], sentiment="negative", sharp_edge="billing"),
    LabelledExample(text="The board view is fine.", service=[], sentiment="neutral", sharp_edge="none"),
    LabelledExample(text="Our CSM is great.", service=["success"], sentiment="positive", sharp_edge=None),
]


def test_score_system_by_hand(taxonomy: Taxonomy) -> None:
    output = SystemOutput(
        service=(("support",), (), ("support",), ()),
        sentiment=("positive", "negative", "positive", "positive"),
        sharp_edge=("none", "billing", "none", "none"),
        sentiment_proba=np.array([[0.1, 0.1, 0.8], [0.7, 0.2, 0.1], [0.2, 0.2, 0.6], [0.0, 0.1, 0.9]]),
    )
    scores = score_system(GOLD, output, taxonomy=taxonomy, name="x")
    assert (scores.service_any.tp, scores.service_any.fp, scores.service_any.fn) == (1, 1, 1)
    assert scores.service_kinds.per_label[1].fn == 1  # success missed
    assert scores.sentiment.accuracy == pytest.approx(3 / 4)
    assert scores.sharp_edge.n == 3  # the fourth example has no sharp-edge label
    assert scores.sharp_edge_any.f1 == 1.0
    assert set(scores.calibration) == {"sentiment"}
    assert scores.headline()["service.f1"] == pytest.approx(0.5)


def test_score_system_only_for_the_suite_heads(taxonomy: Taxonomy) -> None:
    output = RulesBaseline(taxonomy).run([e.text for e in GOLD], ["en"] * 4)
    scores = score_system(GOLD, output, taxonomy=taxonomy, name="rules", heads=("sentiment",))
    assert scores.service_any is None and scores.sharp_edge is None and scores.sentiment is not None


def fake_shared_dir(root: Path) -> Path:
    """Our own fixture files laid out as the shared corpora are (CASA missing on purpose)."""
    layout = {
        "semeval16-laptops/test.xml": "semeval16_laptops.xml",
        "semeval16-laptops/train.xml": "semeval16_laptops.xml",
        "jrte/pn_train_dev.tsv": "jrte.tsv",
        "indonlu/smsa_doc-sentiment-prosa_valid_preprocess.tsv": "smsa.tsv",
        "tokopedia/data_tokopedia_reviews.csv": "star_ratings.csv",
        **{f"indonlu/hoasa_absa-airy_{s}_preprocess.csv": "hoasa.csv" for s in ("train", "valid", "test")},
    }
    for target, source in layout.items():
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / source, root / target)
    return root


def test_load_suites_skips_missing_corpora(tmp_path: Path) -> None:
    suites, skipped = load_suites(fake_shared_dir(tmp_path))
    assert [s.name for s in suites] == ["semeval16_laptops_service", "semeval16_laptops_service_all",
                                        "semeval16_laptops_sentiment", "semeval16_laptops_sentiment_all",
                                        "hoasa_service", "jrte_sentiment", "smsa_sentiment",
                                        "tokopedia_stars"]  # fmt: skip
    # the sentence without opinions counts only in the _all suites (as not service, as neutral); the out-of-scope
    # one in none; the mixed-polarity one in no sentiment suite
    assert len(suites[0]) == 6 and len(suites[1]) == 8 and len(suites[4]) == 12
    assert "I bought it last spring." not in {ex.text for ex in suites[0].examples}
    assert len(suites[2]) == 4 and {ex.sentiment for ex in suites[2].examples} == {"positive", "negative"}
    added = [ex for ex in suites[3].examples if ex not in suites[2].examples]
    assert len(suites[3]) == 6
    assert {(ex.text, ex.sentiment) for ex in added} == {("I bought it last spring.", "neutral")}
    assert skipped and skipped[0].startswith("casa_service: shared data not found")
    stars = suites[-1]
    assert stars.records and len(stars) == 6 and {ex.sentiment for ex in stars.examples} == {
        "negative", "neutral", "positive"}  # fmt: skip
    none, skipped = load_suites(tmp_path / "nowhere")
    assert none == [] and len(skipped) == len(SUITES)
    with pytest.raises(ValueError, match="unknown suites"):
        load_suites(tmp_path, names=["nope"])


def test_shared_data_dir_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VOCMINE_SHARED_DATA", str(tmp_path))
    assert shared_data_dir() == tmp_path
    monkeypatch.delenv("VOCMINE_SHARED_DATA")
    assert shared_data_dir() == REPO_ROOT.parent / "shared" / "data"


def test_evaluate_suite_runs_every_system(taxonomy: Taxonomy) -> None:
    suite = Suite("mini", "four gold sentences", "en", ("service", "sentiment", "sharp_edge"), tuple(GOLD))
    systems = [RulesBaseline(taxonomy), TfidfBaseline.fit(GOLD, taxonomy=taxonomy)]
    result = evaluate_suite(suite, systems, taxonomy=taxonomy, max_errors=2)
    assert list(result.scores) == ["rules", "tfidf_lr"] and result.n == 4
    assert all(e.system in ("rules", "tfidf_lr") for e in result.errors)
    assert len([e for e in result.errors if e.system == "rules" and e.head == "service"]) <= 2


def _settings(tmp_path: Path) -> Settings:
    return Settings(paths=PathsSettings(data_dir=tmp_path / "data", taxonomy=REPO_ROOT / "configs" / "taxonomy.yaml"))


def test_evaluate_model_end_to_end(tmp_path: Path, taxonomy: Taxonomy, tiny_model, eight) -> None:
    pytest.importorskip("models.train", reason="models.train (the fine-tuning code) is not available")
    shared = fake_shared_dir(tmp_path / "shared")
    report = evaluate_model(
        _settings(tmp_path), model_dir=tiny_model.model_dir, shared_dir=shared, train_examples=eight,
        test_examples=eight[:6],
    )  # fmt: skip
    assert report.model_version == tiny_model.version
    assert report.runtime is not None and report.runtime.startswith("torch (")  # not exported: torch
    assert report.runtime.endswith(", sentiment priors as trained")  # the default
    assert [s.suite for s in report.suites][:2] == ["gold_test", "semeval16_laptops_service"]
    by_sentence = ["model_by_sentence", "rules_by_sentence", "tfidf_lr_by_sentence"]
    for suite in report.suites:
        # whole reviews are also scored sentence by sentence
        records = suite.suite in ("hoasa_service", "smsa_sentiment", "tokopedia_stars")
        assert list(suite.scores) == ["model", "rules", "tfidf_lr", *(by_sentence if records else [])]
    gold = report.suites[0].scores["model"]
    assert gold.sentiment is not None and "sentiment" in gold.calibration
    assert gold.sentiment.accuracy == 1.0  # the tiny model was overfit on these sentences
    assert report.json_path == tiny_model.model_dir / "evaluation" / "report.json"
    data = json.loads(report.json_path.read_text(encoding="utf-8"))
    assert data["model_version"] == tiny_model.version and len(data["suites"]) == len(report.suites)
    markdown = report.markdown_path.read_text(encoding="utf-8")
    assert "## Headline" in markdown and "| gold_test | service.f1 |" in markdown
    assert f"The model ran on {report.runtime}." in markdown
    assert "casa_service" in report.summary()  # skipped, with its reason


def test_classifier_system_agrees_with_predict(tiny_model, eight) -> None:
    from models.predict import Classifier

    classifier = Classifier.load(tiny_model.model_dir, runtime="torch", device="cpu")
    texts = [e.text for e in eight]
    out = ClassifierSystem(classifier).run(texts)
    tags = classifier.predict(texts)
    assert list(out.service) == [t.service for t in tags]
    assert list(out.sentiment) == [t.sentiment for t in tags]
    assert list(out.sharp_edge) == [t.sharp_edge or "none" for t in tags]


def test_baselines_only_on_real_shared_data(tmp_path: Path, shared_data: Path, eight) -> None:
    report = evaluate_model(
        _settings(tmp_path), include_model=False, suites=("shared",), shared_dir=shared_data, limit=40,
        train_examples=eight, out_dir=tmp_path / "eval",
    )  # fmt: skip
    assert report.model_version is None
    assert {s.suite for s in report.suites} == set(SUITES)
    records = {"hoasa_service", "casa_service", "smsa_sentiment", "tokopedia_stars"}
    for suite in report.suites:
        expected = {"rules", "tfidf_lr"} | ({"rules_by_sentence", "tfidf_lr_by_sentence"} if suite.suite in records
                                            else set())  # fmt: skip
        assert suite.n == 40 and set(suite.scores) == expected
    assert (tmp_path / "eval" / "report.md").is_file()
