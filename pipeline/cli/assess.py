"""Assessment commands: ``evaluate`` (model vs baselines) and the ``label`` active-learning loop."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.common import ConfigOpt, SetOpt, console, settings_from

label_app = typer.Typer(
    help="Active learning: export the sentences most worth labelling, import the labels back.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.command()(evaluate)
    app.add_typer(label_app, name="label")


def evaluate(
    model: Annotated[Path | None, typer.Option(help="Model directory (default: the configured or newest).")] = None,
    baselines_only: Annotated[bool, typer.Option(help="Run the rules and TF-IDF baselines alone.")] = False,
    suite: Annotated[
        list[str] | None, typer.Option(help="'gold' (held-out test split) and/or 'shared' (public corpora).")
    ] = None,
    shared_data: Annotated[
        Path | None, typer.Option(help="Public evaluation corpora (default: $VOCMINE_SHARED_DATA or ../shared/data).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="First N examples of each public suite (quick runs).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Report directory.")] = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Score the model and both baselines on the same data; write report.json and report.md."""
    settings = settings_from(config, set_)
    from models.evaluate import evaluate_model

    report = evaluate_model(
        settings, model_dir=model, include_model=not baselines_only, suites=suite or ("gold", "shared"),
        shared_dir=shared_data, limit=limit, out_dir=output,
    )  # fmt: skip
    console.print(report.summary(), markup=False)


@label_app.command("export")
def label_export(
    output: Annotated[Path, typer.Option("--output", "-o", help=".json / .jsonl (Label Studio tasks) or .csv")] = Path(
        "label_tasks.json"
    ),
    strategy: Annotated[str, typer.Option(help="uncertainty, margin or random.")] = "uncertainty",
    n: Annotated[int, typer.Option("-n", help="How many sentences.")] = 200,
    input_path: Annotated[
        Path | None, typer.Option("--input", "-i", help="Unlabelled JSONL / CSV / text file (default: the store).")
    ] = None,
    pool: Annotated[int, typer.Option(help="Candidates scored at most.")] = 10_000,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Write the most informative unlabelled sentences for labelling (Label Studio compatible)."""
    settings = settings_from(config, set_)
    from models.active import label_export as export

    console.print(export(settings, output, strategy=strategy, n=n, input_path=input_path, pool=pool).summary())  # type: ignore[arg-type]


@label_app.command("import")
def label_import(
    path: Annotated[Path, typer.Argument(help="Label Studio export (.json / .jsonl) or our .csv / .jsonl.")],
    name: Annotated[str | None, typer.Option(help="Target file name in classifier.labelled_dir.")] = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
) -> None:
    """Merge labelled sentences into classifier.labelled_dir, which training reads."""
    settings = settings_from(config, set_)
    from models.labelling import import_labels
    from pipeline.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(settings.paths.taxonomy)
    result = import_labels(path, taxonomy=taxonomy, out_dir=settings.classifier.labelled_dir, name=name)
    console.print(result.summary(), markup=False)
