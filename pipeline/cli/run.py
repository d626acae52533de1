"""``run`` (the whole job), ``status`` and ``export-table``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.common import ConfigOpt, SetOpt, console, settings_from


def register(app: typer.Typer) -> None:
    @app.command()
    def run(
        config: ConfigOpt = None,
        set_: SetOpt = None,
        retrain: Annotated[bool, typer.Option(help="Train a new model even if one exists.")] = False,
    ) -> None:
        """The whole job: crawl, import NPS files, train if no model exists, process, write the report."""
        settings = settings_from(config, set_)
        from pipeline.cli.process import StageProgress
        from pipeline.job import run_job

        with StageProgress() as progress:
            result = run_job(settings, retrain=retrain, console=console, progress=progress)
        console.print(result.summary(), markup=False, highlight=False)

    @app.command()
    def status(config: ConfigOpt = None, set_: SetOpt = None) -> None:
        """Row counts per table, the schema version and the latest runs."""
        settings = settings_from(config, set_)
        from pipeline.store import Store

        with Store(settings.paths.store_path) as store:
            console.print(f"store {settings.paths.store_path} (schema v{store.schema_version})")
            for table, n in store.counts().items():
                console.print(f"  {table:<14} {n:>9,}")

    @app.command("export-table")
    def export_table(
        table: Annotated[str, typer.Argument(help="feedback, rejects, sentences, predictions, feedback_tags, runs")],
        output: Annotated[Path, typer.Option("--output", "-o", help="Parquet file to write.")],
        config: ConfigOpt = None,
        set_: SetOpt = None,
    ) -> None:
        """Export one stored table as Parquet."""
        settings = settings_from(config, set_)
        from pipeline.store import Store

        with Store(settings.paths.store_path) as store:
            path = store.export_parquet(table, output)
            console.print(f"{table}: {store.count(table):,} rows -> {path}")
