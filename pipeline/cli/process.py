"""``process``: normalise, detect language, redact, split sentences, tag, aggregate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from pipeline.cli.common import ConfigOpt, SetOpt, console, settings_from

if TYPE_CHECKING:
    from rich.progress import TaskID


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

        with StageProgress() as progress:
            result = process_store(settings, engine=engine, progress=progress)
        console.print(result.summary())


class StageProgress:
    """A Rich progress bar per stage (records or sentences done, rate, ETA), fed by ``progress(stage, done, total)``."""

    def __enter__(self) -> StageProgress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(
            TextColumn("{task.description:<9}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._bar.__enter__()
        return self

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self._tasks:
            self._tasks[stage] = self._bar.add_task(stage, total=total, rate="")
        task_id = self._tasks[stage]
        self._bar.update(task_id, completed=done, total=total)
        speed = self._bar.tasks[task_id].speed
        self._bar.update(task_id, rate=f"{speed:,.0f}/s" if speed else "")

    def __exit__(self, *exc: Any) -> None:
        self._bar.__exit__(*exc)
