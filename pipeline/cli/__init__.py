"""The one CLI, ``vocmine``. Commands are thin: load settings, call a plain function, print a summary.

Heavy libraries (torch, scrapy, transformers) are imported inside command bodies so ``--help`` is instant.
"""

from __future__ import annotations

import logging
import os
import sys

import typer

from pipeline.cli import assess, collect, imports, learn, process, report, run
from pipeline.cli.common import err_console

app = typer.Typer(
    name="vocmine",
    help="Mine reviews and NPS comments: service attribution, advocate candidates and policy sharp edges.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for module in (collect, imports, process, learn, assess, report, run):
    module.register(app)


def main() -> None:
    """Entry point: user errors print one clear line and exit 2, with no traceback."""
    from pipeline.config import ConfigError
    from pipeline.errors import UserError
    from pipeline.store import StoreError

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.basicConfig(level=os.environ.get("VOCMINE_LOG", "WARNING"), format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except (ConfigError, StoreError, UserError) as exc:
        err_console.print(f"[bold red]error:[/] {exc}", markup=True, soft_wrap=True)
        sys.exit(2)
