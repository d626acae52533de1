"""The one settings model: YAML files merged in order, then ``--set key=value`` overrides, validated strictly.

Errors name the file, the dotted key and the problem, e.g.::

    configs/demo.yaml: classifier.epoch: unknown key (did you mean 'epochs'?)
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.config import ClassifierSettings
from reports.config import ReportSettings
from scrapers.config import ScrapersSettings

DEFAULT_CONFIG = Path("configs/demo.yaml")


class ConfigError(ValueError):
    """A configuration problem, phrased for the user (no traceback needed)."""


class PathsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data_dir: Path = Field(default=Path(".vocmine"), description="Where every runtime artifact goes.")
    store: Path | None = Field(default=None, description="DuckDB file; <data_dir>/vocmine.duckdb when unset.")
    taxonomy: Path = Path("configs/taxonomy.yaml")

    @property
    def store_path(self) -> Path:
        return self.store if self.store is not None else self.data_dir / "vocmine.duckdb"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def crawl_dir(self) -> Path:
        return self.data_dir / "crawl"


class NlpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    languages: list[str] = Field(default_factory=lambda: ["en", "ja", "id", "de", "fr", "es", "pt", "it", "nl"])
    redact_pii: bool = True
    person_names: bool = Field(default=False, description="Redact person names with a NER model when installed.")
    max_chars: int = Field(default=100_000, ge=100, description="Longer texts are truncated, with a warning.")
    max_sentence_chars: int = Field(default=1_000, ge=50)
    chunk_size: int = Field(default=500, ge=1, description="Feedback records committed per chunk.")
    tag_batch: int = Field(default=2_048, ge=1, description="Sentences classified and committed per batch.")
    engine: Literal["local", "ray"] = "local"
    rule_evidence: bool = Field(default=True, description="Store the taxonomy's rule hits beside model scores.")


class Settings(BaseModel):
    """Root settings. Sections live beside the code they configure."""

    model_config = ConfigDict(extra="forbid")

    product: str = "default"
    paths: PathsSettings = Field(default_factory=PathsSettings)
    scrapers: ScrapersSettings = Field(default_factory=ScrapersSettings)
    nlp: NlpSettings = Field(default_factory=NlpSettings)
    classifier: ClassifierSettings = Field(default_factory=ClassifierSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)

    def resolved(self) -> dict[str, Any]:
        """Plain JSON-able dict, saved beside every artifact."""
        return json.loads(self.model_dump_json())


def load_settings(files: Sequence[Path | str] = (), overrides: Iterable[str] = ()) -> Settings:
    """Merge ``files`` in order, apply ``key=value`` overrides, validate. Raises ConfigError."""
    merged: dict[str, Any] = {}
    origin: dict[tuple[str, ...], str] = {}
    for file in files or [DEFAULT_CONFIG]:
        data = _read_yaml(Path(file))
        _merge(merged, data, origin, str(file), ())
    for item in overrides:
        key, value = _parse_override(item)
        _merge(merged, _nest(key, value), origin, f"--set {item}", ())
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, origin)) from None


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(f"{path}: config file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping of sections, got {type(data).__name__}")
    return data


def _merge(
    into: dict[str, Any],
    new: Mapping[str, Any],
    origin: dict[tuple[str, ...], str],
    source: str,
    prefix: tuple,
) -> None:
    for key, value in new.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value, origin, source, path)
        else:
            into[key] = dict(value) if isinstance(value, Mapping) else value
        origin[path] = source
        if isinstance(value, Mapping):
            for sub in _walk(value, path):
                origin[sub] = source


def _walk(data: Mapping[str, Any], prefix: tuple[str, ...]) -> Iterable[tuple[str, ...]]:
    for key, value in data.items():
        path = (*prefix, str(key))
        yield path
        if isinstance(value, Mapping):
            yield from _walk(value, path)


def _parse_override(item: str) -> tuple[str, Any]:
    if "=" not in item:
        raise ConfigError(f"--set {item}: expected key=value, e.g. --set classifier.epochs=2")
    key, raw = item.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw else ""
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def _nest(dotted: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    node = out
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def _explain(exc: ValidationError, origin: dict[tuple[str, ...], str]) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"])
        key = ".".join(loc)
        source = _source_of(loc, origin)
        if err["type"] == "extra_forbidden":
            hint = _suggest(loc)
            problem = f"unknown key{hint}"
        elif err["type"] == "missing":
            problem = "required key is missing"
        else:
            problem = f"{err['msg']} (got {err.get('input')!r})"
        lines.append(f"{source}: {key}: {problem}")
    return "\n".join(lines)


def _source_of(loc: tuple[str, ...], origin: dict[tuple[str, ...], str]) -> str:
    for n in range(len(loc), 0, -1):
        if loc[:n] in origin:
            return origin[loc[:n]]
    return "settings"


def _suggest(loc: tuple[str, ...]) -> str:
    model: Any = Settings
    for part in loc[:-1]:
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            if part.isdigit():
                continue
            return ""
        annotation = field.annotation
        inner = getattr(annotation, "__args__", None)
        model = inner[0] if inner and hasattr(inner[0], "model_fields") else annotation
    names = list(getattr(model, "model_fields", {}))
    close = difflib.get_close_matches(loc[-1], names, n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(names)})"
