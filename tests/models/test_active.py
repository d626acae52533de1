"""Active learning: informativeness, export as Label Studio tasks / CSV, import back, and the round trip."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from models.active import (
    Candidate,
    candidates_from_file,
    export_for_labelling,
    informativeness,
    label_export,
    select,
)
from models.baselines import RulesBaseline, SystemOutput, TfidfBaseline
from models.data import text_key
from models.examples import LabelledExample
from models.labelling import import_labels, read_label_file
from models.readers import read_labelled
from pipeline.config import Settings
from pipeline.errors import UserError
from pipeline.taxonomy import Taxonomy

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "eval"
REPO_ROOT = Path(__file__).resolve().parents[2]

POOL = [
    Candidate("Support answered my ticket within minutes.", "en", "a#0"),
    Candidate("They charged my card twice this month.", "en", "a#1"),
    Candidate("The calendar view is clean.", "en", "a#2"),
    Candidate("I asked the account manager about invoices.", "en", "a#3"),
    Candidate("Support answered my ticket within minutes.", "en", "b#0"),  # duplicate text
    Candidate("サポートの返信が遅い", "ja", "c#0"),
]


def output(service: list[list[float]], sentiment: list[list[float]], sharp: list[list[float]]) -> SystemOutput:
    n = len(sentiment)
    return SystemOutput((("support",),) * n, ("positive",) * n, ("none",) * n,
                        np.array(service), np.array(sentiment), np.array(sharp))  # fmt: skip


def test_informativeness_ranks_the_unsure_first() -> None:
    out = output(
        service=[[0.99, 0.01], [0.5, 0.01], [0.99, 0.01]],
        sentiment=[[0.98, 0.01, 0.01], [0.98, 0.01, 0.01], [0.4, 0.2, 0.4]],
        sharp=[[0.99, 0.01], [0.99, 0.01], [0.99, 0.01]],
    )
    unc = informativeness(out, strategy="uncertainty")
    assert unc[1] == pytest.approx(1.0)  # a service kind at 0.5: maximal binary entropy
    assert unc[0] < 0.2 < unc[2]
    mar = informativeness(out, strategy="margin")
    assert mar[1] == pytest.approx(1.0) and mar[2] == pytest.approx(1.0) and mar[0] < 0.1
    assert ((unc >= 0) & (unc <= 1)).all()
    assert select(unc, 2, strategy="uncertainty") == [1, 2]
    assert select(mar, 2, strategy="margin") == [1, 2]  # ties broken by position
    assert sorted(select(unc, 3, strategy="random", seed=1)) == [0, 1, 2]
    with pytest.raises(UserError, match="probabilities"):
        informativeness(SystemOutput((), (), ()), strategy="uncertainty")


@pytest.fixture(scope="module")
def scorer(taxonomy: Taxonomy) -> TfidfBaseline:
    """A real, quickly trained scorer: the TF-IDF baseline on a few labelled sentences."""
    rows = [
        ("support answered my ticket quickly", ["support"], "positive", "none"),
        ("the support agent was slow", ["support"], "negative", "none"),
        ("our account manager calls every month", ["success"], "positive", "none"),
        ("they charged my card twice", [], "negative", "billing"),
        ("the calendar view is clean", [], "positive", "none"),
        ("the reports page lists projects", [], "neutral", "none"),
    ]
    train = [LabelledExample(text=t, service=s, sentiment=m, sharp_edge=e) for t, s, m, e in rows]
    return TfidfBaseline.fit(train, taxonomy=taxonomy)


def test_export_label_studio_json(tmp_path: Path, taxonomy: Taxonomy, scorer: TfidfBaseline) -> None:
    already = {text_key("The calendar view is clean.")}
    result = export_for_labelling(POOL, tmp_path / "tasks.json", taxonomy=taxonomy, n=3, scorer=scorer,
                                  exclude_keys=already, model_version="m1")  # fmt: skip
    assert result.n == 3 and result.n_candidates == 4  # duplicate and already-labelled removed
    tasks = json.loads(result.path.read_text(encoding="utf-8"))
    assert all(set(t) == {"data", "predictions"} and t["data"]["text"] for t in tasks)
    assert "The calendar view is clean." not in [t["data"]["text"] for t in tasks]
    scores = [t["predictions"][0]["score"] for t in tasks]
    assert scores == sorted(scores, reverse=True)
    result_heads = [r["from_name"] for r in tasks[0]["predictions"][0]["result"]]
    assert result_heads == ["service", "sentiment", "sharp_edge"]
    assert tasks[0]["predictions"][0]["model_version"] == "m1"
    config = ET.fromstring(result.config_path.read_text(encoding="utf-8"))
    names = [c.get("name") for c in config.iter("Choices")]
    assert names == ["service", "sentiment", "sharp_edge"]
    assert "none" in [c.get("value") for c in config.iter("Choice")]


def test_export_csv_and_jsonl(tmp_path: Path, taxonomy: Taxonomy, scorer: TfidfBaseline) -> None:
    export_for_labelling(POOL, tmp_path / "t.csv", taxonomy=taxonomy, n=2, scorer=scorer, strategy="margin")
    rows = list(csv.DictReader((tmp_path / "t.csv").read_text(encoding="utf-8").splitlines()))
    assert len(rows) == 2 and rows[0]["service"] == "" and rows[0]["suggested_sentiment"]
    export_for_labelling(POOL, tmp_path / "t.jsonl", taxonomy=taxonomy, n=10, strategy="random")
    lines = (tmp_path / "t.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5 and "predictions" not in json.loads(lines[0])
    with pytest.raises(UserError, match="needs a model"):
        export_for_labelling(POOL, tmp_path / "u.json", taxonomy=taxonomy, strategy="uncertainty")
    with pytest.raises(UserError, match="probabilities"):
        export_for_labelling(POOL, tmp_path / "u.json", taxonomy=taxonomy, scorer=RulesBaseline(taxonomy))
    with pytest.raises(UserError, match="format"):
        export_for_labelling(POOL, tmp_path / "u.xlsx", taxonomy=taxonomy, strategy="random")


def test_import_label_studio_export(taxonomy: Taxonomy) -> None:
    result = read_label_file(FIXTURES / "label_studio_export.json", taxonomy=taxonomy)
    got = [(e.text, e.lang, e.service, e.sentiment, e.sharp_edge, e.origin) for e in result.examples]
    assert got == [
        # the later of two annotations wins
        ("The onboarding specialist walked us through setup.", "en", ("onboarding",), "positive", "none", "user"),
        ("解約したのに請求が続いています。", "ja", (), "negative", "billing", "user"),
    ]
    assert result.rejects[0].reason == "not annotated"  # the cancelled one
    assert "unknown sentiment choice" in result.rejects[1].reason


def test_import_label_studio_json_min(taxonomy: Taxonomy) -> None:
    result = read_label_file(FIXTURES / "label_studio_min.json", taxonomy=taxonomy)
    got = [(e.text, e.lang, e.service, e.sentiment, e.sharp_edge) for e in result.examples]
    assert got == [
        ("Tim CS membalas dengan cepat.", "id", ("support",), "positive", "none"),
        ("Our account manager and the trainer both helped.", None, ("onboarding", "success"), "positive", None),
    ]
    assert result.rejects[0].reason == "no labels chosen"


def test_import_merges_into_the_labelled_dir(tmp_path: Path, taxonomy: Taxonomy) -> None:
    out = tmp_path / "labelled"
    first = import_labels(FIXTURES / "labelled.csv", taxonomy=taxonomy, out_dir=out, name="batch")
    assert (first.added, first.updated, first.total) == (4, 0, 4) and len(first.rejects) == 1
    changed = tmp_path / "again.csv"
    changed.write_text("text,service,sentiment\nPricing page is clear.,none,positive\nNew one.,support,negative\n",
                       encoding="utf-8")  # fmt: skip
    second = import_labels(changed, taxonomy=taxonomy, out_dir=out, name="batch")
    assert (second.added, second.updated, second.total) == (1, 1, 5)
    back = {e.text: e for e in read_labelled(out / "batch.jsonl", taxonomy=taxonomy)}
    assert back["Pricing page is clear."].sentiment == "positive"
    assert back["Unlabelled service cell here."].service is None  # stays unlabelled, not "no service"
    assert back["The kickoff call and setup help were great."].service == ("onboarding", "support")


def test_round_trip_export_annotate_import(tmp_path: Path, taxonomy: Taxonomy, scorer: TfidfBaseline) -> None:
    """Export tasks, accept the model's suggestions as a Label Studio annotator would, import them back."""
    exported = export_for_labelling(POOL, tmp_path / "tasks.json", taxonomy=taxonomy, n=4, scorer=scorer)
    tasks = json.loads(exported.path.read_text(encoding="utf-8"))
    for i, task in enumerate(tasks):
        task["id"] = i
        task["annotations"] = [{"id": 100 + i, "was_cancelled": False, "result": task["predictions"][0]["result"]}]
    (tmp_path / "export.json").write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    result = import_labels(tmp_path / "export.json", taxonomy=taxonomy, out_dir=tmp_path / "labelled")
    back = read_labelled(result.path, taxonomy=taxonomy)
    assert [e.text for e in back] == [t["data"]["text"] for t in tasks]
    for example, task in zip(back, tasks, strict=True):
        chosen = {r["from_name"]: r["value"]["choices"] for r in task["predictions"][0]["result"]}
        assert list(example.service) == [k for k in chosen["service"] if k != "none"]
        assert example.sentiment == chosen["sentiment"][0] and example.sharp_edge == chosen["sharp_edge"][0]


def test_candidates_from_file(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"text": "one", "lang": "en"}\n{"id": 3}\n\n{"text": "two"}\n', encoding="utf-8")
    assert [(c.text, c.lang, c.ref) for c in candidates_from_file(tmp_path / "a.jsonl")] == [
        ("one", "en", "a.jsonl:1"), ("two", None, "a.jsonl:4")]  # fmt: skip
    (tmp_path / "b.txt").write_text("x\n\ny\n", encoding="utf-8")
    assert [c.text for c in candidates_from_file(tmp_path / "b.txt")] == ["x", "y"]
    (tmp_path / "c.csv").write_text('text,lang\n"first line\nsecond line",en\nnext,id\n', encoding="utf-8")
    assert [(c.text, c.ref) for c in candidates_from_file(tmp_path / "c.csv")] == [
        ("first line\nsecond line", "c.csv:2"), ("next", "c.csv:4")]  # fmt: skip


def _settings(tmp_path: Path, **classifier: object) -> Settings:
    return Settings.model_validate({
        "paths": {"data_dir": str(tmp_path / "data"), "taxonomy": str(REPO_ROOT / "configs" / "taxonomy.yaml")},
        "classifier": {"gold_dir": str(FIXTURES / "nothing-here"), "labelled_dir": str(tmp_path / "labelled"),
                       **classifier},
    })  # fmt: skip


def _store_with_sentences(settings: Settings) -> None:
    from pipeline.store import Store

    with Store(settings.paths.store_path) as store:
        for i, (text, lang) in enumerate([(c.text, c.lang) for c in POOL]):
            store.con.execute("INSERT INTO sentences VALUES ('s', ?, 0, 'body', ?, ?, 0, 1, ?, 'h')",
                              [str(i), text, text, lang])  # fmt: skip


def test_label_export_from_store_with_the_trained_model(tmp_path: Path, tiny_model) -> None:
    settings = _settings(tmp_path, model_version=str(tiny_model.model_dir))
    _store_with_sentences(settings)
    result = label_export(settings, tmp_path / "out.json", n=3)
    assert result.scorer == "model" and result.n == 3 and result.n_candidates == 5
    tasks = json.loads(result.path.read_text(encoding="utf-8"))
    assert {t["predictions"][0]["model_version"] for t in tasks} == {tiny_model.version}
    assert all(t["data"]["ref"].startswith("s/") for t in tasks)


def test_cli_label_export_and_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.cli import assess

    app = typer.Typer()
    assess.register(app)
    config = tmp_path / "c.yaml"
    config.write_text(json.dumps(_settings(tmp_path).model_dump(mode="json", include={"paths", "classifier"})),
                      encoding="utf-8")  # fmt: skip
    (tmp_path / "in.txt").write_text("first sentence\nsecond sentence\n", encoding="utf-8")
    runner = CliRunner()
    done = runner.invoke(app, ["label", "export", "-c", str(config), "--strategy", "random", "-n", "5",
                               "--input", str(tmp_path / "in.txt"), "-o", str(tmp_path / "t.csv")])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "wrote 2 of 2" in done.output
    rows = list(csv.DictReader((tmp_path / "t.csv").read_text(encoding="utf-8").splitlines()))
    with (tmp_path / "t.csv").open("w", encoding="utf-8", newline="") as handle:  # the annotator fills it in
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([row | {"service": "none", "sentiment": "neutral", "sharp_edge": "none"} for row in rows])
    done = runner.invoke(app, ["label", "import", str(tmp_path / "t.csv"), "-c", str(config)])
    assert done.exit_code == 0, done.output
    assert "imported 2 new" in done.output
    back = read_labelled(tmp_path / "labelled" / "t.jsonl")
    assert sorted((e.text, e.service, e.sentiment) for e in back) == [
        ("first sentence", (), "neutral"), ("second sentence", (), "neutral")]  # fmt: skip


def test_imported_labels_join_the_training_data(tmp_path: Path, taxonomy: Taxonomy) -> None:
    from models.data import gather_examples

    settings = _settings(tmp_path)
    import_labels(FIXTURES / "label_studio_min.json", taxonomy=taxonomy, out_dir=settings.classifier.labelled_dir)
    gathered = gather_examples(settings, taxonomy)
    assert [(e.text, e.origin) for e in gathered] == [
        ("Tim CS membalas dengan cepat.", "user"),
        ("Our account manager and the trainer both helped.", "user"),
    ]
