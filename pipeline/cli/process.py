"""``process``: normalise, detect language, redact, split sentences, tag, aggregate."""

from __future__ import annotations

from typing import Annotated

import typer

from pipeline.cli.common import ConfigOpt, SetOpt, console, settings_from


def register(app: typer.Typer) -> None:
    @app.command()
    def process(
        config: ConfigOpt = None,
        set_: SetOpt = None,
        engine: Annotated[str | None, typer.Option(help="local (default) or ray.")] = None,
    ) -> None:
        """Tag every new or changed feedback record (all of them when the model version changes)."""
        settings = settings_from(config, set_)
        from pipeline.run import process_store

        result = process_store(settings, engine=engine)
        console.print(result.summary())
