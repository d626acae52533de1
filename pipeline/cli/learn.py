"""Model commands: ``train``, ``tag`` and ``export`` (``evaluate`` and ``label`` live in ``assess.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.common import ConfigOpt, SetOpt, console, settings_from


def register(app: typer.Typer) -> None:
    @app.command()
    def train(config: ConfigOpt = None, set_: SetOpt = None) -> None:
        """Fine-tune the classifier on the gold set plus weak and distant labels."""
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        settings = settings_from(config, set_)
        from models.train import train_from_settings

        columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("training steps", total=None)
            result = train_from_settings(
                settings, progress=lambda done, total: bar.update(task, completed=done, total=total)
            )
        console.print(result.summary())

    @app.command()
    def tag(
        input_path: Annotated[Path, typer.Argument(help="JSONL (with a 'text' field), CSV or plain-text file.")],
        output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the JSONL.")],
        config: ConfigOpt = None,
        set_: SetOpt = None,
    ) -> None:
        """Label any text file with the current model, one JSON object per input text."""
        settings = settings_from(config, set_)
        from models.tagging import tag_file

        n = tag_file(settings, input_path, output)
        console.print(f"tagged {n} texts -> {output}")

    @app.command()
    def export(
        quantize: Annotated[bool, typer.Option(help="Also write the dynamic int8 model (used on CPU).")] = True,
        config: ConfigOpt = None,
        set_: SetOpt = None,
    ) -> None:
        """Export the current model to ONNX (int8 by default) for fast CPU inference."""
        settings = settings_from(config, set_)
        from models.export import export_from_settings

        console.print(export_from_settings(settings, quantize=quantize).summary())
