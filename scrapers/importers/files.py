"""Read one NPS export file into validated records and rejects."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.records import Feedback, Reject
from scrapers.importers.formats import Layout, resolve_layout
from scrapers.importers.rows import to_feedback
from scrapers.importers.tables import read_table

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileRead:
    """What one file held: accepted records, rejected rows, and how it was read."""

    path: Path
    layout: Layout
    encoding: str | None
    records: list[Feedback]
    rejects: list[Reject]

    @property
    def read(self) -> int:
        return len(self.records) + len(self.rejects)


def read_nps_file(
    path: Path,
    *,
    product: str,
    format: str = "auto",
    mapping: Mapping[str, str] | None = None,
    encoding: str | None = None,
) -> FileRead:
    """Parse an export (CSV/TSV/XLSX; Delighted, SurveyMonkey, Qualtrics, Typeform, HubSpot or vocmine layout).

    Bad rows become rejects located as ``<file>:row N`` (N counts from 1 at the first header row, as a
    spreadsheet shows it); empty rows inside the data are rejected too, trailing empty rows are ignored.
    """
    table = read_table(path, encoding=encoding)
    layout = resolve_layout(table.rows, format=format, mapping=mapping, name=str(path))
    records: list[Feedback] = []
    rejects: list[Reject] = []
    body = table.rows[layout.header_rows :]
    while body and not any(body[-1]):
        body.pop()
    for offset, row in enumerate(body):
        number = layout.header_rows + offset + 1
        location = f"{path}:row {number}"
        raw = {layout.headers[i] if i < len(layout.headers) else f"column {i + 1}": v for i, v in enumerate(row)}
        if not any(row):
            rejects.append(
                Reject(
                    stage="import",
                    source=layout.source,
                    reason="empty row",
                    raw=json.dumps({"row": number}),
                    location=location,
                )
            )
            continue
        fields = {key: row[c] if c < len(row) else "" for key, c in layout.columns.items()}
        result = to_feedback(fields, source=layout.source, product=product, raw=raw, location=location, tz=layout.tz)
        (records if isinstance(result, Feedback) else rejects).append(result)  # type: ignore[arg-type]
    log.info(
        "%s: %s layout, %s, %d rows: %d accepted, %d rejected",
        path,
        layout.format,
        table.encoding or "xlsx",
        len(body),
        len(records),
        len(rejects),
    )
    return FileRead(path, layout, table.encoding, records, rejects)
