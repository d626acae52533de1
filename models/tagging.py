"""``vocmine tag``: label any text file with the current model.

Input: JSONL (one object per line with a ``text`` field), CSV (a ``text`` / ``comment`` / ``review`` / ``body``
column, else the first column holding words), or plain text (one text per line). Output: JSONL, one object per input
record in input order — the record's own fields, then ``service``, ``sentiment``, ``sharp_edge``, ``scores`` and
``model_version``. An input field with one of those names is kept as ``input_<name>``. Empty texts get no labels
and a ``note``. A malformed line stops the run with its line number; the output file only appears when complete.
Records are labelled in chunks of ``CHUNK``; with ``classifier.adapt_sentiment_priors`` set, each chunk's sentiment
priors are estimated per language from its own texts (``models.label_shift``).
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.csv_cells import allow_long_cells
from pipeline.errors import UserError

if TYPE_CHECKING:
    from models.label_shift import PriorAdaptation
    from models.predict import Classifier
    from models.routed import RoutedClassifier
    from pipeline.config import Settings

log = logging.getLogger(__name__)

TEXT_COLUMNS = ("text", "comment", "review", "body")
OUTPUT_KEYS = ("service", "sentiment", "sharp_edge", "scores", "model_version", "note")
CHUNK = 1024
EMPTY_NOTE = "empty text: not tagged"


def tag_file(settings: Settings, input_path: Path, output_path: Path) -> int:
    """Tag every text of ``input_path`` into ``output_path`` (JSONL); returns the number of records written."""
    from models.predict import load_classifier

    input_path, output_path = Path(input_path), Path(output_path)
    if not input_path.is_file():
        raise UserError(f"{input_path}: input file not found")
    classifier = load_classifier(settings)
    batch_size = settings.classifier.inference_batch_size
    adapt = settings.classifier.prior_adaptation()
    output_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = output_path.with_name(f".{output_path.name}.tmp")
    written = 0
    try:
        with tmp.open("w", encoding="utf-8") as out:
            chunk: list[tuple[str, dict[str, Any]]] = []
            for item in read_records(input_path):
                chunk.append(item)
                if len(chunk) >= CHUNK:
                    written += _write_chunk(out, chunk, classifier, batch_size, adapt)
                    chunk = []
            written += _write_chunk(out, chunk, classifier, batch_size, adapt)
        tmp.replace(output_path)
    finally:
        tmp.unlink(missing_ok=True)
    log.info("tagged %d records of %s with %s", written, input_path, classifier.version)
    return written


def _write_chunk(
    out,
    chunk: list[tuple[str, dict[str, Any]]],
    classifier: Classifier | RoutedClassifier,
    batch_size: int,
    adapt: PriorAdaptation | None,
) -> int:
    texts = [text for text, _ in chunk]
    todo = [i for i, text in enumerate(texts) if text.strip()]
    langs = [_language(chunk[i][1]) for i in todo]  # a routed model detects the language where the record has none
    tagged = classifier.predict([texts[i] for i in todo], langs=langs, batch_size=batch_size, adapt=adapt)
    tags = dict(zip(todo, tagged, strict=True))
    for i, (_text, fields) in enumerate(chunk):
        record = {(f"input_{k}" if k in OUTPUT_KEYS else k): v for k, v in fields.items()}
        tag = tags.get(i)
        if tag is None:
            record |= {"service": [], "sentiment": None, "sharp_edge": None, "scores": {}, "note": EMPTY_NOTE}
        else:
            record |= {"service": list(tag.service), "sentiment": tag.sentiment, "sharp_edge": tag.sharp_edge}
            record["scores"] = tag.scores
        record["model_version"] = classifier.version
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(chunk)


def _language(fields: dict[str, Any]) -> str | None:
    """The record's own language code (a ``lang`` or ``language`` field), if it has one."""
    value = fields.get("lang") or fields.get("language")
    return value.strip().lower() or None if isinstance(value, str) else None


def read_records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(text, fields to pass through) per input record; the format is chosen by the file extension."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        yield from _read_jsonl(path)
    elif suffix in (".csv", ".tsv"):
        yield from _read_csv(path, delimiter="\t" if suffix == ".tsv" else ",")
    else:
        for text in _lines(path):
            yield text.rstrip("\r\n"), {"text": text.rstrip("\r\n")}


def _lines(path: Path) -> Iterator[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield from handle
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _read_jsonl(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for lineno, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}:{lineno}: not valid JSON ({exc.msg}, column {exc.colno})") from None
        if not isinstance(record, dict):
            raise UserError(f"{path}:{lineno}: expected a JSON object with a 'text' field")
        text = record.get("text")
        if text is None:
            raise UserError(f"{path}:{lineno}: no 'text' field (fields: {', '.join(record) or 'none'})")
        if not isinstance(text, str):
            raise UserError(f"{path}:{lineno}: 'text' must be a string, got {type(text).__name__}")
        yield text, record


def _read_csv(path: Path, *, delimiter: str) -> Iterator[tuple[str, dict[str, Any]]]:
    allow_long_cells()
    reader = csv.DictReader(_lines(path), delimiter=delimiter)
    rows = iter(reader)
    first = next(rows, None)
    if first is None:
        return
    column = text_column(list(reader.fieldnames or []), first)
    for row in _chain(first, rows):
        if None in row:  # more cells than header columns
            raise UserError(f"{path}:{reader.line_num}: more cells than header columns")
        yield row.get(column) or "", dict(row)


def _chain(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest


def text_column(fieldnames: list[str], first_row: dict[str, Any]) -> str:
    """The CSV column holding the text: a well-known name, else the first column whose first value has letters."""
    by_lower = {name.strip().lower(): name for name in fieldnames if name}
    for wanted in TEXT_COLUMNS:
        if wanted in by_lower:
            return by_lower[wanted]
    for name in fieldnames:
        value = (first_row.get(name) or "").strip()
        if value and any(ch.isalpha() for ch in value):
            return name
    raise UserError(f"no text column found (header: {', '.join(fieldnames)}); name it one of {', '.join(TEXT_COLUMNS)}")
