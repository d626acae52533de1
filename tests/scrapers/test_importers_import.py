"""``import_nps`` through the store: idempotent, edits update, rejects kept, the bundled demo export is clean."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.config import PathsSettings, Settings
from pipeline.errors import UserError
from pipeline.store import Store
from scrapers.config import NpsFileSettings, ScrapersSettings
from scrapers.importers import import_nps

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "nps"
DEMO_CSV = REPO / "data" / "sample" / "nps" / "orbitask_nps_delighted.csv"


def _settings(tmp_path: Path, *files: NpsFileSettings) -> Settings:
    return Settings(
        product="orbitask",
        paths=PathsSettings(data_dir=tmp_path / "data"),
        scrapers=ScrapersSettings(nps_files=list(files)),
    )


def test_importing_the_same_files_twice_adds_nothing(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        NpsFileSettings(path=FIXTURES / "delighted.csv", product="orbitask"),
        NpsFileSettings(path=FIXTURES / "bad_rows.csv", product="orbitask"),
    )
    first = import_nps(settings)
    assert [(f.format, f.read, f.inserted, f.rejected) for f in first.files] == [
        ("delighted", 4, 4, 0),
        ("delighted", 7, 2, 5),
    ]
    with Store(settings.paths.store_path) as store:
        before = store.counts()
    second = import_nps(settings)
    assert (second.inserted, second.total("updated"), second.total("unchanged"), second.rejected) == (0, 0, 6, 5)
    with Store(settings.paths.store_path) as store:
        assert store.counts()["feedback"] == before["feedback"] == 6
        assert store.counts()["rejects"] == before["rejects"] == 5
        rejects = store.frame("SELECT location, reason FROM rejects ORDER BY location")
    assert list(rejects["location"]) == [f"{FIXTURES / 'bad_rows.csv'}:row {n}" for n in (3, 4, 5, 6, 8)]
    assert "read 11, inserted 0, updated 0, unchanged 6, rejected 5" in second.summary()


def test_an_edited_response_updates_its_row(tmp_path: Path) -> None:
    export = tmp_path / "delighted.csv"
    shutil.copy(FIXTURES / "delighted.csv", export)
    settings = _settings(tmp_path)
    import_nps(settings, files=[export])
    export.write_text(
        export.read_text(encoding="utf-8").replace("for the new team leads.", "for our new team leads!"),
        encoding="utf-8",
    )
    again = import_nps(settings, files=[export])
    assert (again.inserted, again.total("updated"), again.total("unchanged")) == (0, 1, 3)
    with Store(settings.paths.store_path) as store:
        body = store.frame("SELECT body FROM feedback WHERE external_id = '201004511'")["body"][0]
    assert body == "Our CSM set up a training session for our new team leads!"


def test_product_override_and_nothing_to_import(tmp_path: Path) -> None:
    settings = _settings(tmp_path, NpsFileSettings(path=FIXTURES / "vocmine.csv", product="orbitask"))
    import_nps(settings, product="other")
    with Store(settings.paths.store_path) as store:
        assert set(store.frame("SELECT DISTINCT product FROM feedback")["product"]) == {"other"}
    assert "nothing to import" in import_nps(_settings(tmp_path)).summary()


def test_an_unreadable_file_stops_before_anything_is_written(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        NpsFileSettings(path=FIXTURES / "delighted.csv", product="orbitask"),
        NpsFileSettings(path=FIXTURES / "custom.csv", product="orbitask"),
    )
    with pytest.raises(UserError, match=r"custom\.csv"):
        import_nps(settings)
    assert not settings.paths.store_path.exists()


def test_bundled_demo_export_imports_cleanly(tmp_path: Path) -> None:
    settings = _settings(tmp_path, NpsFileSettings(path=DEMO_CSV, product="orbitask"))
    result = import_nps(settings)
    (counts,) = result.files
    assert (counts.format, counts.encoding, counts.rejected) == ("delighted", "utf-8", 0)
    assert counts.read == counts.inserted >= 600
    with Store(settings.paths.store_path) as store:
        mix = store.frame("SELECT language, plan_tier, count(*) AS n FROM feedback GROUP BY ALL")
        missing = store.frame("SELECT count(*) AS n FROM feedback WHERE account_id IS NULL OR plan_tier IS NULL")
    assert set(mix["language"]) == {"en", "ja", "id"} and set(mix["plan_tier"]) == {"free", "paid"}
    assert missing["n"][0] == 0


def test_cli_import_command(tmp_path: Path) -> None:
    from pipeline.cli import app

    data_dir = f"paths.data_dir={tmp_path / 'data'}"
    out = CliRunner().invoke(app, ["import", str(FIXTURES / "hubspot.csv"), "--product", "orbitask", "--set", data_dir])
    assert out.exit_code == 0, out.output
    assert "read 3, inserted 2, updated 0, unchanged 0, rejected 1" in out.output
