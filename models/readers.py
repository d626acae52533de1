"""Readers for labelled data in standard formats, all into ``LabelledExample``.

- SemEval ABSA XML, 2014 (``aspectCategories``) and 2016 (``Opinions``): a sentence mentions service when one
  of its aspect categories maps to a service kind (2016: entity ``SUPPORT``; 2014 restaurants: ``service``).
- IndoNLU aspect CSV (CASA, HoASA): one column per aspect; the ``service`` aspect is mentioned when its value
  is not neutral (``pos`` / ``neg`` / ``neg_pos``).
- IndoNLU SmSA TSV (``text<TAB>label``) and JRTE-style TSV (id, label 1/0/-1, text, annotations, split).
- App-store style CSV of reviews with 1–5 star ratings, as distant sentiment (1–2 negative, 3 neutral, 4–5 positive).
- Our own JSONL (the gold format) and CSV (columns text, lang, service, sentiment, sharp_edge, source, weight).
  In CSV a service cell lists kinds separated by ``;`` or ``|``; ``none`` means "labelled: not about service",
  an empty cell means "not labelled".

Rows that cannot be read are kept as ``RowReject`` with the reason; nothing is dropped silently.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models.examples import LabelledExample, Origin
from pipeline.csv_cells import allow_long_cells
from pipeline.errors import UserError
from pipeline.taxonomy import Taxonomy

log = logging.getLogger(__name__)

SEMEVAL_SERVICE = {"SUPPORT": "support", "service": "support"}  # aspect entity / category -> service kind
INDONLU_NEUTRAL = {"neut", "neutral"}
POLARITY = {"positive": "positive", "negative": "negative", "neutral": "neutral", "pos": "positive",
            "neg": "negative", "neut": "neutral", "1": "positive", "0": "neutral", "-1": "negative"}  # fmt: skip
LIST_SEPARATORS = (";", "|")
STAR_SENTIMENT = {1.0: "negative", 2.0: "negative", 3.0: "neutral", 4.0: "positive", 5.0: "positive"}


@dataclass(frozen=True)
class RowReject:
    location: str  # "file:line"
    reason: str


@dataclass(frozen=True)
class ReadResult:
    examples: tuple[LabelledExample, ...]
    rejects: tuple[RowReject, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.examples)

    def __iter__(self) -> Iterator[LabelledExample]:
        return iter(self.examples)

    def summary(self) -> str:
        return f"{len(self.examples)} examples, {len(self.rejects)} rejected"


class _Collector:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.examples: list[LabelledExample] = []
        self.rejects: list[RowReject] = []

    def add(self, where: object, **fields: Any) -> None:
        try:
            self.examples.append(LabelledExample(**fields))
        except (ValidationError, ValueError) as exc:
            self.reject(where, error_reason(exc))

    def reject(self, where: object, reason: str) -> None:
        self.rejects.append(RowReject(f"{self.path.name}:{where}", reason))

    def result(self) -> ReadResult:
        if self.rejects:
            log.warning("%s: %d rows rejected (first: %s)", self.path, len(self.rejects), self.rejects[0].reason)
        return ReadResult(tuple(self.examples), tuple(self.rejects))


def error_reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in exc.errors())
    return str(exc)


def _open_text(path: Path) -> str:
    if not path.is_file():
        raise UserError(f"{path}: file not found")
    return path.read_text(encoding="utf-8-sig")


def csv_reader(text: str) -> csv.DictReader:
    """A CSV reader over the whole text, so a line break inside a quoted field stays in the field."""
    allow_long_cells()
    return csv.DictReader(io.StringIO(text, newline=""))


def csv_rows(reader: csv.DictReader) -> Iterator[tuple[int, dict[str, str | None]]]:
    """Each record with the line it starts on (after the previous record's last line)."""
    _ = reader.fieldnames  # reads the header, so line_num counts its lines
    end = reader.line_num
    for row in reader:
        yield end + 1, row
        end = reader.line_num


def read_semeval(
    path: Path | str,
    *,
    lang: str = "en",
    origin: Origin = "eval",
    source: str | None = None,
    service_map: Mapping[str, str] = SEMEVAL_SERVICE,
    include_out_of_scope: bool = False,
) -> ReadResult:
    """SemEval ABSA XML (2014 or 2016). Sentence sentiment is the opinions' polarity when they all agree.

    Service is labelled when the file annotates categories at all (a sentence without opinions then has none);
    2014 laptop files annotate aspect terms only, so their service stays unknown (None). Sentences marked
    ``OutOfScope`` were not annotated and are skipped unless ``include_out_of_scope``.
    """
    path = Path(path)
    try:
        root = ET.fromstring(_open_text(path))
    except ET.ParseError as exc:
        raise UserError(f"{path}: not valid XML: {exc}") from None
    out = _Collector(path)
    annotated = next(root.iter("Opinions"), None) is not None or next(root.iter("aspectCategories"), None) is not None
    for sentence in root.iter("sentence"):
        sid = sentence.get("id", "?")
        if sentence.get("OutOfScope", "").upper() == "TRUE" and not include_out_of_scope:
            continue
        text = (sentence.findtext("text") or "").strip()
        categories = [
            (op.get("category", ""), op.get("polarity", ""))
            for op in [*sentence.iter("Opinion"), *sentence.iter("aspectCategory")]
        ]
        if not text:
            out.reject(sid, "empty text")
            continue
        kinds = set()
        for category, _ in categories:
            entity = category.split("#")[0]
            if entity in service_map:
                kinds.add(service_map[entity])
        polarities = {p for _, p in categories if p in ("positive", "negative", "neutral")}
        sentiment = polarities.pop() if len(polarities) == 1 else None
        note = ";".join(f"{c}:{p}" for c, p in categories) or None
        out.add(
            sid, text=text, lang=lang, service=sorted(kinds) if annotated else None, sentiment=sentiment,
            origin=origin, source=source or f"semeval:{path.stem}", note=note,
        )  # fmt: skip
    return out.result()


def read_indonlu_aspect(
    path: Path | str,
    *,
    aspect: str = "service",
    kind: str = "support",
    origin: Origin = "eval",
    source: str | None = None,
) -> ReadResult:
    """IndoNLU CASA / HoASA CSV: ``service`` = (kind,) when the aspect's value is not neutral, else ()."""
    path = Path(path)
    rows = csv_reader(_open_text(path))
    columns = rows.fieldnames or []
    text_col = next((c for c in ("sentence", "review", "text") if c in columns), None)
    if text_col is None or aspect not in columns:
        raise UserError(f"{path}: expected a sentence/review column and a {aspect!r} column, got {columns}")
    out = _Collector(path)
    for line, row in csv_rows(rows):
        value = (row.get(aspect) or "").strip().lower()
        if value not in INDONLU_NEUTRAL | {"pos", "neg", "neg_pos", "positive", "negative"}:
            out.reject(line, f"unknown {aspect} value {value!r}")
            continue
        mentioned = value not in INDONLU_NEUTRAL
        out.add(
            line, text=(row.get(text_col) or "").strip(), lang="id", service=[kind] if mentioned else [],
            origin=origin, source=source or f"indonlu:{path.stem}", note=f"{aspect}={value}",
        )  # fmt: skip
    return out.result()


def read_smsa(path: Path | str, *, origin: Origin = "eval", source: str | None = None) -> ReadResult:
    """IndoNLU SmSA TSV: text, tab, positive / neutral / negative; no header."""
    path = Path(path)
    out = _Collector(path)
    for line, raw in enumerate(_open_text(path).splitlines(), start=1):
        if not raw.strip():
            continue
        text, _, label = raw.rpartition("\t")
        sentiment = POLARITY.get(label.strip().lower())
        if not text or sentiment is None:
            out.reject(line, f"expected 'text<TAB>label', got label {label.strip()!r}")
            continue
        out.add(line, text=text.strip(), lang="id", sentiment=sentiment, origin=origin,
                source=source or f"smsa:{path.stem}")  # fmt: skip
    return out.result()


def read_star_ratings(
    path: Path | str,
    *,
    lang: str | None = None,
    text_column: str = "review",
    rating_column: str = "rating",
    origin: Origin = "eval",
    source: str | None = None,
) -> ReadResult:
    """A CSV of reviews with 1–5 star ratings, as distant sentiment: 1–2 negative, 3 neutral, 4–5 positive."""
    path = Path(path)
    out = _Collector(path)
    reader = csv_reader(_open_text(path))
    missing = {text_column, rating_column} - set(reader.fieldnames or ())
    if missing:
        raise UserError(f"{path}: no column {', '.join(sorted(missing))} (columns: {reader.fieldnames})")
    for line, row in csv_rows(reader):
        rating = (row.get(rating_column) or "").strip()
        stars = _number(rating)
        if not isinstance(stars, float) or stars not in STAR_SENTIMENT:
            out.reject(line, f"rating {rating!r} is not a whole number of stars from 1 to 5")
            continue
        out.add(line, text=(row.get(text_column) or "").strip(), lang=lang, sentiment=STAR_SENTIMENT[stars],
                origin=origin, source=source or f"stars:{path.stem}")  # fmt: skip
    return out.result()


def span_key(text: str) -> str:
    """The key of an exact text, as written (first 16 hex digits of its SHA-1; no normalisation)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def read_span_labels(
    labels: Path | str,
    corpus: Path | str,
    *,
    text_column: str,
    lang: str | None = None,
    origin: Origin = "eval",
    source: str | None = None,
) -> ReadResult:
    """Labels kept apart from the text they label: a JSONL file whose lines name a record of ``corpus`` (a CSV) by
    the key of its text, a span in it by ``start`` / ``end``, the key of the span's text, and the labels. So labels
    of a corpus that may not be copied can ship without its text. A line whose record is missing, or whose span no
    longer holds the labelled text, is rejected with the reason."""
    labels, corpus = Path(labels), Path(corpus)
    reader = csv_reader(_open_text(corpus))
    if text_column not in (reader.fieldnames or ()):
        raise UserError(f"{corpus}: no column {text_column} (columns: {reader.fieldnames})")
    texts = {span_key(cell): cell for _, row in csv_rows(reader) if (cell := row.get(text_column) or "")}
    out = _Collector(labels)
    for line, raw in enumerate(_open_text(labels).splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
            record, start, end, key = row["record"], int(row["start"]), int(row["end"]), row["key"]
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            out.reject(line, f"expected a JSON object with record, start, end and key ({exc})")
            continue
        text = texts.get(record)
        if text is None:
            out.reject(line, f"no record {record!r} in {corpus.name}")
            continue
        span = text[start:end]
        if span_key(span) != key:
            out.reject(line, f"the span {start}:{end} of record {record!r} is not the labelled text")
            continue
        fields = {k: row[k] for k in ("service", "sentiment", "sharp_edge") if k in row}
        out.add(line, text=span, lang=lang, origin=origin, source=source or f"spans:{corpus.stem}",
                note=f"{record}:{start}", **fields)  # fmt: skip
    return out.result()


def read_jrte(
    path: Path | str,
    *,
    splits: tuple[str, ...] | None = None,
    origin: Origin = "eval",
    source: str | None = None,
) -> ReadResult:
    """JRTE-style TSV: id, label (1 positive, 0 neutral, -1 negative), text, annotations, split."""
    path = Path(path)
    out = _Collector(path)
    for line, raw in enumerate(_open_text(path).splitlines(), start=1):
        if not raw.strip():
            continue
        cols = raw.split("\t")
        if len(cols) < 3:
            out.reject(line, f"expected at least 3 tab-separated columns, got {len(cols)}")
            continue
        split = cols[4].strip() if len(cols) > 4 else None
        if splits is not None and split not in splits:
            continue
        sentiment = POLARITY.get(cols[1].strip())
        if sentiment is None:
            out.reject(line, f"unknown label {cols[1]!r} (expected 1, 0 or -1)")
            continue
        out.add(line, text=cols[2].strip(), lang="ja", sentiment=sentiment, origin=origin,
                source=source or f"jrte:{path.stem}", note=cols[0].strip() or None)  # fmt: skip
    return out.result()


def read_labelled(
    path: Path | str, *, origin: Origin = "user", taxonomy: Taxonomy | None = None, default_lang: str | None = None
) -> ReadResult:
    """Our own JSONL (gold format) or CSV. With ``taxonomy``, labels outside it are rejected."""
    path = Path(path)
    text = _open_text(path)
    out = _Collector(path)
    if path.suffix.lower() == ".csv":
        rows: list[tuple[int, dict[str, Any]]] = [
            (line, _from_csv_row(row)) for line, row in csv_rows(csv_reader(text))
        ]
    else:
        rows = []
        for line, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                out.reject(line, f"not valid JSON: {exc.msg}")
                continue
            if not isinstance(obj, dict):
                out.reject(line, "expected a JSON object")
                continue
            rows.append((line, obj))
    for line, row in rows:
        problem = _unknown_labels(row, taxonomy)
        if problem:
            out.reject(line, problem)
            continue
        fields = {k: v for k, v in row.items() if k in LabelledExample.model_fields and k != "origin"}
        fields.setdefault("lang", default_lang)
        out.add(line, **fields, origin=origin)
    return out.result()


def _from_csv_row(row: dict[str, str | None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key is None or value is None or not value.strip():
            continue
        value = value.strip()
        if key == "service":
            out[key] = _split_list(value)
        elif key == "weight":
            out[key] = _number(value)
        else:
            out[key] = value
    return out


def _number(value: str) -> float | str:
    try:
        return float(value)
    except ValueError:
        return value  # left for validation to reject with its reason


def _split_list(value: str) -> list[str]:
    if value.startswith("["):
        return list(json.loads(value))
    if value.lower() in ("none", "-"):
        return []
    for sep in LIST_SEPARATORS:
        value = value.replace(sep, ",")
    return [v.strip() for v in value.split(",") if v.strip()]


def _unknown_labels(row: Mapping[str, Any], taxonomy: Taxonomy | None) -> str | None:
    if taxonomy is None:
        return None
    service = row.get("service") or []
    if isinstance(service, list | tuple):
        unknown = [k for k in service if k not in taxonomy.service_kinds]
        if unknown:
            return f"unknown service kind(s) {unknown} (known: {', '.join(taxonomy.service_kinds)})"
    sharp = row.get("sharp_edge")
    if sharp is not None and sharp not in taxonomy.sharp_edge_labels:
        return f"unknown sharp_edge {sharp!r} (known: {', '.join(taxonomy.sharp_edge_labels)})"
    return None


def read_examples(path: Path | str, *, origin: Origin | None = None, taxonomy: Taxonomy | None = None) -> ReadResult:
    """Read any supported format, chosen by extension and header; a directory reads its *.jsonl and *.csv."""
    path = Path(path)
    if path.is_dir():
        parts = [read_examples(p, origin=origin, taxonomy=taxonomy)
                 for p in sorted([*path.glob("*.jsonl"), *path.glob("*.csv")])]  # fmt: skip
        return ReadResult(tuple(ex for r in parts for ex in r.examples), tuple(rej for r in parts for rej in r.rejects))
    suffix = path.suffix.lower()
    if suffix == ".xml":
        return read_semeval(path, origin=origin or "eval")
    if suffix == ".tsv":
        first = next((ln for ln in _open_text(path).splitlines() if ln.strip()), "")
        if len(first.split("\t")) >= 3:
            return read_jrte(path, origin=origin or "eval")
        return read_smsa(path, origin=origin or "eval")
    if suffix == ".csv":
        header = next(csv.reader(_open_text(path).splitlines()[:1]), [])
        if "text" not in header and ("sentence" in header or "review" in header):
            return read_indonlu_aspect(path, origin=origin or "eval")
        return read_labelled(path, origin=origin or "user", taxonomy=taxonomy)
    if suffix in (".jsonl", ".json", ".ndjson"):
        return read_labelled(path, origin=origin or "user", taxonomy=taxonomy)
    raise UserError(f"{path}: unknown labelled-data format (expected .xml, .tsv, .csv or .jsonl)")
