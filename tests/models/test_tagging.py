"""``vocmine tag``: JSONL / CSV / plain text in, JSONL with labels and scores out; bad input named by line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.tagging import EMPTY_NOTE, read_records, tag_file
from pipeline.config import Settings
from pipeline.errors import UserError


@pytest.fixture
def settings(tiny_model, tmp_path: Path) -> Settings:
    data_dir = tmp_path / "data"
    shutil.copytree(tiny_model.model_dir, data_dir / "models" / tiny_model.version)
    return Settings.model_validate({"paths": {"data_dir": str(data_dir)}})


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_jsonl_passes_fields_through(settings: Settings, tmp_path: Path, tiny_model) -> None:
    src = tmp_path / "in.jsonl"
    rows = [
        {"id": 1, "text": "Support answered my ticket fast.", "sentiment": "mine"},
        {"id": 2, "text": "   "},
        {"id": 3, "text": "They charged me twice for one plan!"},
    ]
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n", encoding="utf-8")
    out = tmp_path / "out" / "tagged.jsonl"
    assert tag_file(settings, src, out) == 3
    got = _read(out)
    assert [r["id"] for r in got] == [1, 2, 3]
    assert got[0]["service"] == ["support"] and got[0]["sentiment"] == "positive" and got[0]["sharp_edge"] is None
    assert got[0]["input_sentiment"] == "mine"  # an input field with an output name is kept, renamed
    assert got[0]["model_version"] == tiny_model.version
    assert set(got[0]["scores"]) >= {"service.support", "sentiment.positive", "sharp_edge.billing"}
    assert got[1]["note"] == EMPTY_NOTE and got[1]["service"] == [] and got[1]["sentiment"] is None
    assert got[2]["sharp_edge"] == "billing"


@pytest.mark.parametrize(
    ("header", "row", "column"),
    [
        ("id,comment,score", '7,"Support answered my ticket fast.",9', "comment"),
        ("id,score,feedback", '7,9,"Support answered my ticket fast."', "feedback"),
    ],
)
def test_csv_text_column_is_found(settings: Settings, tmp_path: Path, header: str, row: str, column: str) -> None:
    src = tmp_path / "in.csv"
    src.write_text(f"{header}\n{row}\n", encoding="utf-8")
    assert tag_file(settings, src, tmp_path / "out.jsonl") == 1
    got = _read(tmp_path / "out.jsonl")
    assert got[0][column] == "Support answered my ticket fast." and got[0]["id"] == "7"
    assert got[0]["service"] == ["support"]


def test_plain_text_one_per_line(settings: Settings, tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("Our success manager is great\n\nLocked out of my account again\n", encoding="utf-8")
    assert tag_file(settings, src, tmp_path / "out.jsonl") == 3
    got = _read(tmp_path / "out.jsonl")
    assert [r["text"] for r in got] == ["Our success manager is great", "", "Locked out of my account again"]
    assert got[0]["service"] == ["success"] and got[2]["sharp_edge"] == "account_access"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"text": "fine"}\n{"text": "broken\n', r"in\.jsonl:2: not valid JSON"),
        ('{"text": "fine"}\n{"body": "no text"}\n', r"in\.jsonl:2: no 'text' field \(fields: body\)"),
        ('{"text": 5}\n', r"in\.jsonl:1: 'text' must be a string"),
    ],
)
def test_bad_lines_are_named(settings: Settings, tmp_path: Path, content: str, message: str) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(content, encoding="utf-8")
    with pytest.raises(UserError, match=message):
        tag_file(settings, src, tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists() and not list(tmp_path.glob(".*.tmp"))


def test_missing_model_and_missing_file_are_user_errors(tmp_path: Path) -> None:
    settings = Settings.model_validate({"paths": {"data_dir": str(tmp_path / "empty")}})
    src = tmp_path / "in.txt"
    src.write_text("hello\n", encoding="utf-8")
    with pytest.raises(UserError, match="vocmine train"):
        tag_file(settings, src, tmp_path / "out.jsonl")
    with pytest.raises(UserError, match="input file not found"):
        tag_file(settings, tmp_path / "nope.jsonl", tmp_path / "out.jsonl")


def test_tag_command(settings: Settings, tmp_path: Path) -> None:
    from pipeline.cli import app

    src = tmp_path / "in.txt"
    src.write_text("Support answered my ticket fast.\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        app, ["tag", str(src), "-o", str(out), "--set", f"paths.data_dir={settings.paths.data_dir}"]
    )
    assert result.exit_code == 0, result.output
    assert "tagged 1 texts" in result.output and _read(out)[0]["service"] == ["support"]


@pytest.mark.usefixtures("csv_default_limit")
def test_a_csv_cell_longer_than_the_csv_modules_default_limit_is_read_whole(tmp_path: Path) -> None:
    huge = "The export keeps failing. " * 10_000  # 260,000 characters; the csv module's default cap is 131,072
    src = tmp_path / "in.csv"
    src.write_text(f'id,text\n1,"{huge}"\n2,short\n', encoding="utf-8")
    assert [text for text, _ in read_records(src)] == [huge, "short"]
