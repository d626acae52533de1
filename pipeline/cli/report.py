"""``report``: attribution, advocacy and sharp edges as HTML, Markdown, CSV and Parquet."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

import typer

from pipeline.cli.common import ConfigOpt, SetOpt, console, settings_from

DateOpt = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD")]


def register(app: typer.Typer) -> None:
    @app.command()
    def report(
        config: ConfigOpt = None,
        set_: SetOpt = None,
        period: Annotated[Literal["month", "quarter"] | None, typer.Option(help="Period of every trend.")] = None,
        since: DateOpt = None,
        until: DateOpt = None,
        segment: Annotated[
            Literal["plan", "language", "source", "region", "product"] | None,
            typer.Option(help="Break figures down by this segment only (default: report.segments)."),
        ] = None,
        model_version: Annotated[str | None, typer.Option(help="Default: the version with most predictions.")] = None,
        screenshots: Annotated[Path | None, typer.Option(help="Also write PNG screenshots into this folder.")] = None,
        open_: Annotated[bool, typer.Option("--open", help="Open the HTML report in a browser.")] = False,
    ) -> None:
        """Write the report from the store's tagged feedback."""
        settings = settings_from(config, set_)
        from reports.build import build_report

        result = build_report(
            settings,
            model_version=model_version,
            period=period,
            segment=segment,
            since=since.date() if since else None,
            until=until.date() if until else None,
        )
        console.print(result.summary())
        if screenshots is not None and result.html is not None:
            from reports.screenshots import take_screenshots

            for path in take_screenshots(result.html, screenshots):
                console.print(f"  screenshot: {path}")
        if open_ and result.html is not None:
            typer.launch(str(result.html))
