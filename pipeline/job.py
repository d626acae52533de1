"""The whole job, in order: crawl, import, segment, train if no model exists, export it to ONNX (int8 where its
decisions agree with torch), tag, report.

Each step is the same plain function its own command calls; each skips work already done, so a second run
only re-crawls first pages, re-uses the model and tags nothing new.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pipeline.config import Settings
from pipeline.store import Store

log = logging.getLogger(__name__)


class _Printer(Protocol):
    def print(self, *objects: Any, **kwargs: Any) -> None: ...


@dataclass(frozen=True)
class JobResult:
    steps: dict[str, str]
    seconds: dict[str, float]
    counts: dict[str, int]
    report: str | None
    trained: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        total = sum(self.seconds.values())
        lines = ["", f"vocmine run finished in {total:.0f}s:"]
        for step, text in self.steps.items():
            first = text.splitlines()[0] if text else ""
            lines.append(f"  {step:<8} {self.seconds.get(step, 0):7.1f}s  {first}")
        lines.append("  store    " + ", ".join(f"{t} {n:,}" for t, n in self.counts.items()))
        if self.report:
            lines.append(f"  report   {self.report}")
        return "\n".join(lines)


def run_job(
    settings: Settings,
    *,
    retrain: bool = False,
    console: _Printer | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> JobResult:
    """Run every stage on ``settings``; returns what each step did and how long it took.

    ``console`` receives each step's own summary as it finishes; ``progress(stage, done, total)`` is fed by the
    long steps (segment, train, tag, aggregate).
    """
    steps: dict[str, str] = {}
    seconds: dict[str, float] = {}

    def step(name: str, fn: Any) -> Any:
        start = time.perf_counter()
        result = fn()
        seconds[name] = time.perf_counter() - start
        steps[name] = result.summary() if hasattr(result, "summary") else str(result)
        if console is not None:
            console.print(f"[bold]{name}[/] ({seconds[name]:.1f}s)")
            console.print(steps[name], markup=False, highlight=False)
        return result

    from models.registry import latest_model_dir
    from pipeline.run import process_store, segment_store
    from reports.build import build_report
    from scrapers.crawl import crawl_sources
    from scrapers.importers import import_nps

    step("crawl", lambda: crawl_sources(settings))
    step("import", lambda: import_nps(settings))
    step("segment", lambda: segment_store(settings, progress=progress))
    trained = False
    if retrain or (settings.classifier.model_version is None and latest_model_dir(settings.paths.models_dir) is None):
        from models.train import train_from_settings

        train_progress = None if progress is None else (lambda done, total: progress("train", done, total))
        step("train", lambda: train_from_settings(settings, progress=train_progress))
        trained = True
    else:
        steps["train"] = "model exists, re-used (pass --retrain to train a new one)"
    if settings.classifier.runtime != "torch" and (trained or not _has_onnx(settings)):
        from models.export import export_from_settings

        step("export", lambda: export_from_settings(settings))
    step("process", lambda: process_store(settings, progress=progress))
    report = step("report", lambda: build_report(settings))
    with Store(settings.paths.store_path, read_only=True) as store:
        counts = store.counts()
    return JobResult(steps, seconds, counts, str(report.html), trained)


def _has_onnx(settings: Settings) -> bool:
    """Whether the model the job will use was exported (``vocmine train`` alone leaves torch weights only)."""
    from models.export import is_exported
    from models.registry import resolve_model_dir

    return is_exported(resolve_model_dir(settings))
