"""build_report on a real DuckDB store: outputs, options, model versions and clear errors."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from pipeline.errors import UserError
from pipeline.store import Store
from reports.build import build_report
from tests.reports.corpus import MODEL, make_corpus, write_store


@pytest.fixture
def stored(settings_for):
    settings = settings_for()
    write_store(settings.paths.store_path, make_corpus(n=120, months=6))
    return settings


def test_report_writes_html_markdown_tables_and_settings(stored) -> None:
    result = build_report(stored)
    assert result.html.is_file() and result.html.stat().st_size > 1_000_000  # plotly.js inlined
    assert result.markdown.read_text(encoding="utf-8").startswith("# Voice of the customer — orbitask")
    for name in ("nps_by_period", "contributions_nps_total", "removal_impact_nps", "advocates", "sharp_edges"):
        csv = pd.read_csv(result.tables_dir / f"{name}.csv")
        parquet = pd.read_parquet(result.tables_dir / f"{name}.parquet")
        assert len(csv) == len(parquet) > 0, name
    assert len(list(result.tables_dir.glob("*.csv"))) == len(list(result.tables_dir.glob("*.parquet")))
    saved = json.loads((result.directory / "settings.json").read_text(encoding="utf-8"))
    assert saved["report"]["period"] == "month" and saved["product"] == "orbitask"
    latest = stored.paths.reports_dir / "latest"
    assert (latest / "report.html").is_file() and latest.resolve() == result.directory.resolve()
    assert result.key.records == 120 and result.key.model_version == MODEL
    summary = result.summary()
    assert "NPS" in summary and "advocate candidates" in summary and str(result.html) in summary
    html = result.html.read_text(encoding="utf-8")
    assert "as the model was trained (classifier.adapt_sentiment_priors: null)" in html  # the default


def test_the_method_says_when_sentiment_priors_are_adapted(settings_for) -> None:
    settings = settings_for()
    settings = settings.model_copy(
        update={"classifier": settings.classifier.model_copy(update={"adapt_sentiment_priors": 200})}
    )
    write_store(settings.paths.store_path, make_corpus(n=60, months=3))
    html = build_report(settings).html.read_text(encoding="utf-8")
    assert "estimated per language from each tagging batch of 2,048 sentences (at least 200" in html


def test_options_period_window_and_segment(stored) -> None:
    result = build_report(stored, period="quarter", since=date(2026, 3, 1), until=date(2026, 5, 31), segment="plan")
    assert result.key.periods == ("2026-Q1", "2026-Q2")
    segments = pd.read_csv(result.tables_dir / "segment_summary.csv")
    assert set(segments["dimension"]) == {"plan"}
    saved = json.loads((result.directory / "settings.json").read_text(encoding="utf-8"))
    assert saved["report"]["period"] == "quarter" and saved["report"]["segments"] == ["plan"]
    assert saved["report"]["since"] == "2026-03-01"
    again = build_report(stored, period="quarter", since=date(2026, 3, 1), until=date(2026, 5, 31), segment="plan")
    assert again.directory != result.directory  # two reports in the same second do not overwrite each other
    left = pd.read_csv(result.tables_dir / "nps_by_period.csv")
    right = pd.read_csv(again.tables_dir / "nps_by_period.csv")
    pd.testing.assert_frame_equal(left, right)  # seeded: same inputs, same intervals


def test_model_version_default_explicit_and_unknown(stored) -> None:
    with Store(stored.paths.store_path) as store:  # a second, partial model version
        store.con.execute(
            "INSERT INTO predictions SELECT source, external_id, idx, 'm-other', service, sentiment, "
            "sharp_edge, sentiment_score, sharp_edge_score, scores, rule_hits FROM predictions LIMIT 5"
        )
    assert build_report(stored).key.model_version == MODEL  # most predictions wins
    with pytest.raises(UserError, match="no feedback tagged by model m-other"):
        build_report(stored, model_version="m-other")  # it has predictions but no aggregated feedback tags
    with pytest.raises(UserError, match="m-unknown"):
        build_report(stored, model_version="m-unknown")


def test_missing_store_and_empty_window_are_clear_errors(settings_for, stored) -> None:
    with pytest.raises(UserError, match="no store"):
        build_report(
            settings_for().model_copy(
                update={"paths": stored.paths.model_copy(update={"store": stored.paths.data_dir / "none.duckdb"})}
            )
        )
    with pytest.raises(UserError, match="between 2030-01-01"):
        build_report(stored, since=date(2030, 1, 1))
