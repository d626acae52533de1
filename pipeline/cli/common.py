"""Shared CLI plumbing: the --config / --set options, settings loading, one console."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline.config import DEFAULT_CONFIG, Settings, load_settings

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)

ConfigOpt = Annotated[
    list[Path] | None,
    typer.Option("--config", "-c", help="YAML config file(s), merged in order. Default: configs/demo.yaml."),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", help="Override one setting, e.g. --set classifier.epochs=2 (repeatable)."),
]


def settings_from(config: list[Path] | None, overrides: list[str] | None) -> Settings:
    return load_settings(config or [DEFAULT_CONFIG], overrides or [])
