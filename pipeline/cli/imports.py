"""``import``: NPS survey exports (CSV/XLSX) and survey APIs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.common import ConfigOpt, SetOpt, console, settings_from


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_(
        files: Annotated[
            list[Path] | None, typer.Argument(help="NPS export files; default: scrapers.nps_files.")
        ] = None,
        product: Annotated[str | None, typer.Option(help="Product the files belong to.")] = None,
        config: ConfigOpt = None,
        set_: SetOpt = None,
    ) -> None:
        """Import NPS survey exports (CSV/TSV/XLSX from Delighted, SurveyMonkey, Qualtrics, Typeform, HubSpot) and the
        configured survey APIs into the store. Re-importing a file adds nothing; bad rows go to the rejects table.
        An export whose header is not recognised needs a column mapping in scrapers.nps_files."""
        settings = settings_from(config, set_)
        from scrapers.importers import import_nps

        result = import_nps(settings, files=files, product=product)
        console.print(result.summary(), soft_wrap=True)
