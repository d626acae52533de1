"""``import_nps``: read the configured (or given) NPS exports and APIs, then write them through the store."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.store import Store
from scrapers.config import NpsApiSettings, NpsFileSettings
from scrapers.importers.api import ApiRead, read_nps_api
from scrapers.importers.files import FileRead, read_nps_file

if TYPE_CHECKING:
    from pipeline.config import Settings

log = logging.getLogger(__name__)

MAX_EXAMPLES = 5  # rejects listed in the summary per input; all of them are in the rejects table


@dataclass(frozen=True)
class FileCounts:
    """One input (file or API) after import."""

    name: str
    format: str  # delighted, surveymonkey, …, or "delighted API"
    encoding: str | None
    read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    examples: tuple[str, ...] = ()  # the first rejects, "<where>: <reason>"

    def line(self) -> str:
        how = f"{self.format}, {self.encoding}" if self.encoding else self.format
        return (
            f"{self.name} ({how}): read {self.read}, inserted {self.inserted}, updated {self.updated}, "
            f"unchanged {self.unchanged}, rejected {self.rejected}"
        )


@dataclass(frozen=True)
class ImportResult:
    files: tuple[FileCounts, ...]

    def total(self, name: str) -> int:
        """Sum of one count (read, inserted, updated, unchanged, rejected) over all inputs."""
        return sum(getattr(f, name) for f in self.files)

    @property
    def inserted(self) -> int:
        return self.total("inserted")

    @property
    def rejected(self) -> int:
        return self.total("rejected")

    def summary(self) -> str:
        if not self.files:
            return "import: nothing to import (no files given; scrapers.nps_files and nps_apis are empty)"
        head = (
            f"import: {len(self.files)} input(s): read {self.total('read')}, inserted {self.inserted}, "
            f"updated {self.total('updated')}, unchanged {self.total('unchanged')}, rejected {self.rejected}"
        )
        lines = [head]
        for f in self.files:
            lines.append(f"  {f.line()}")
            lines += [f"    rejected {example}" for example in f.examples]
            if f.rejected > len(f.examples):
                lines.append(f"    … {f.rejected - len(f.examples)} more (vocmine export-table rejects)")
        return "\n".join(lines)


def import_nps(
    settings: Settings, *, files: Sequence[Path | str] | None = None, product: str | None = None
) -> ImportResult:
    """Import NPS responses. ``files`` replaces ``scrapers.nps_files`` (and skips the APIs); ``product``
    overrides the product of every input. Every input is read and validated before anything is written,
    so an unreadable file stops the import with a UserError and leaves the store untouched."""
    if files:
        targets = [NpsFileSettings(path=Path(f), product=product or settings.product) for f in files]
        apis: list[NpsApiSettings] = []
    else:
        update = {"product": product} if product else {}
        targets = [t.model_copy(update=update) for t in settings.scrapers.nps_files]
        apis = [a.model_copy(update=update) for a in settings.scrapers.nps_apis]
    reads: list[FileRead | ApiRead] = [
        read_nps_file(t.path, product=t.product, format=t.format, mapping=t.mapping, encoding=t.encoding)
        for t in targets
    ]
    reads += [read_nps_api(api) for api in apis]
    if not reads:
        return ImportResult(())
    counts = []
    with Store(settings.paths.store_path) as store:
        run_id = store.start_run("import", settings.resolved())
        for read in reads:
            upsert = store.upsert_feedback(read.records)
            store.add_rejects(read.rejects)
            counts.append(_counts(read, upsert.inserted, upsert.updated, upsert.unchanged))
        result = ImportResult(tuple(counts))
        store.finish_run(run_id, stats={f.name: f.line() for f in result.files})
    log.info("%s", result.summary())
    return result


def _counts(read: FileRead | ApiRead, inserted: int, updated: int, unchanged: int) -> FileCounts:
    if isinstance(read, FileRead):
        name, fmt, encoding = str(read.path), read.layout.format, read.encoding or "xlsx"
    else:
        name, fmt, encoding = read.location, f"{read.source.removeprefix('nps-')} API", None
    examples = tuple(f"{r.location}: {r.reason}" for r in read.rejects[:MAX_EXAMPLES])
    return FileCounts(name, fmt, encoding, read.read, inserted, updated, unchanged, len(read.rejects), examples)
