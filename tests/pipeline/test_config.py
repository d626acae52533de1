from pathlib import Path

import pytest

from pipeline.config import ConfigError, Settings, load_settings


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_configs_validate(repo_root: Path) -> None:
    settings = load_settings([repo_root / "configs/demo.yaml", repo_root / "configs/tiny.yaml"])
    assert settings.product == "orbitask"
    assert settings.classifier.base_model == "tiny-random"  # tiny.yaml overrides demo.yaml
    assert settings.paths.store_path == Path(".vocmine/vocmine.duckdb")


def test_files_merge_in_order_then_overrides(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "classifier: {epochs: 5, batch_size: 8}\nreport: {period: quarter}\n")
    b = write(tmp_path, "b.yaml", "classifier: {epochs: 2}\n")
    settings = load_settings([a, b], ["report.period=month", "classifier.learning_rate=1e-4"])
    assert settings.classifier.epochs == 2
    assert settings.classifier.batch_size == 8  # kept from a.yaml: sections merge, not replace
    assert settings.report.period == "month"
    assert settings.classifier.learning_rate == pytest.approx(1e-4)


def test_typo_names_file_key_and_suggestion(tmp_path: Path) -> None:
    cfg = write(tmp_path, "typo.yaml", "classifier:\n  epoch: 3\n")
    with pytest.raises(ConfigError) as err:
        load_settings([cfg])
    message = str(err.value)
    assert str(cfg) in message
    assert "classifier.epoch" in message
    assert "did you mean 'epochs'" in message
    assert "\n" not in message  # one clear line


def test_wrong_type_names_key_and_value(tmp_path: Path) -> None:
    cfg = write(tmp_path, "bad.yaml", "report:\n  bootstrap_samples: lots\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: report.bootstrap_samples: .*integer.*'lots'"):
        load_settings([cfg])


def test_override_typo_is_attributed_to_the_override() -> None:
    with pytest.raises(ConfigError, match=r"^--set report.perod=month: report.perod: unknown key \(did you mean"):
        load_settings([], ["report.perod=month"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("classifier: [1, 2\n", "not valid YAML"),
        ("- just\n- a list\n", "top level must be a mapping"),
        ("scrapers:\n  sources:\n    - {spider: myspace, product: x}\n", "scrapers.sources.0.spider"),
    ],
)
def test_malformed_files_fail_clearly(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_settings([write(tmp_path, "x.yaml", text)])


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(["nope/missing.yaml"])


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    assert load_settings([write(tmp_path, "empty.yaml", "")]) == Settings()


def test_resolved_is_json_round_trippable() -> None:
    settings = Settings()
    assert Settings.model_validate(settings.resolved()) == settings
