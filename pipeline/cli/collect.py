"""``crawl``: collect reviews from the configured review sites."""

from __future__ import annotations

from typing import Annotated

import typer

from pipeline.cli.common import ConfigOpt, SetOpt, console, settings_from


def register(app: typer.Typer) -> None:
    @app.command()
    def crawl(
        config: ConfigOpt = None,
        set_: SetOpt = None,
        spider: Annotated[list[str] | None, typer.Option("--spider", help="Only these spiders (repeatable).")] = None,
    ) -> None:
        """Crawl the review sources configured under scrapers.sources into the store."""
        settings = settings_from(config, set_)
        from scrapers.crawl import crawl_sources

        result = crawl_sources(settings, only=spider)
        console.print(result.summary(), markup=False, soft_wrap=True)
