"""``report``: attribution, advocacy and sharp edges as HTML, Markdown, CSV and Parquet."""

from __future__ import annotations

from typing import Annotated

import typer

from pipeline.cli.common import ConfigOpt, SetOpt, console, settings_from


def register(app: typer.Typer) -> None:
    @app.command()
    def report(
        config: ConfigOpt = None,
        set_: SetOpt = None,
        open_: Annotated[bool, typer.Option("--open", help="Open the HTML report in a browser.")] = False,
    ) -> None:
        """Write the report from the store's tagged feedback."""
        settings = settings_from(config, set_)
        from reports.build import build_report

        result = build_report(settings)
        console.print(result.summary())
        if open_:
            typer.launch(str(result.html))
