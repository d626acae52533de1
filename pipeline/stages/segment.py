"""Stage 1: feedback records -> sentences (normalised, language-tagged, PII-redacted copies for display).

Offsets: ``Sentence.start``/``end`` index the record's normalised document, ``build_document(record.fields())``:
its text fields (title, body, pros, cons) normalised and joined by a blank line.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import pyarrow as pa

from pipeline.config import NlpSettings
from pipeline.langid import LanguageIdentifier, has_cjk, has_kana, identifier
from pipeline.pii import PiiSpan, Redactor, redact_slice
from pipeline.records import Reject, Sentence
from pipeline.segment import Segmenter
from pipeline.store import Store
from pipeline.text import Document, build_document, text_problem

log = logging.getLogger(__name__)

# "ok": has sentences; "empty": no text at all (a score-only NPS row); "rejected": text, but none usable.
Status = Literal["ok", "empty", "rejected"]
_RAW_CAP = 4  # raw text beyond max_chars * 4 cannot survive truncation; it is not even normalised


@dataclass(frozen=True, slots=True)
class FeedbackText:
    """What segmentation reads of a feedback row. ``seen``: an older text version was segmented before."""

    source: str
    external_id: str
    text_hash: str
    language: str | None = None
    title: str | None = None
    body: str | None = None
    pros: str | None = None
    cons: str | None = None
    seen: bool = False

    def fields(self) -> list[tuple[str, str]]:
        pairs = (("title", self.title), ("body", self.body), ("pros", self.pros), ("cons", self.cons))
        return [(name, text) for name, text in pairs if text is not None and text != ""]


@dataclass(frozen=True, slots=True)
class SegmentedRecord:
    source: str
    external_id: str
    feedback_hash: str
    language: str | None
    status: Status
    sentences: tuple[Sentence, ...]
    notes: tuple[Reject, ...] = ()
    replaces_earlier: bool = False  # an older text version's rows must go


@dataclass(slots=True)
class _Prepared:
    """A record on its way through the splitter: its normalised document, language, PII spans and notes."""

    record: FeedbackText
    doc: Document
    language: str | None
    pii: list[PiiSpan]
    notes: list[Reject]


class SentenceSplitter:
    """The segmentation stage with its tools (spaCy pipelines, language identifier, redactor) built once."""

    def __init__(self, nlp: NlpSettings) -> None:
        self.settings = nlp
        self.segmenter = Segmenter(max_sentence_chars=nlp.max_sentence_chars)
        self.langid: LanguageIdentifier = identifier(tuple(nlp.languages))
        self.redactor = Redactor(person_names=nlp.person_names) if nlp.redact_pii else None

    def run(self, records: Sequence[FeedbackText]) -> list[SegmentedRecord]:
        prepared = [self._prepare(r) for r in records]
        items: list[tuple[str, str | None]] = []
        owners: list[tuple[int, str, int]] = []  # (record index, section label, offset of the line)
        for n, p in enumerate(prepared):
            for section in p.doc.sections:
                for offset, line in _lines(p.doc.text, section.start, section.end):
                    items.append((line, self._line_language(line, p.language)))
                    owners.append((n, section.label, offset))
        spans_by_record: list[list[tuple[int, int, str]]] = [[] for _ in records]
        for (n, label, offset), spans in zip(owners, self.segmenter.split_many(items), strict=True):
            spans_by_record[n].extend((offset + s, offset + e, label) for s, e in spans)
        return [self._finish(p, sorted(spans)) for p, spans in zip(prepared, spans_by_record, strict=True)]

    def _prepare(self, record: FeedbackText) -> _Prepared:
        max_chars = self.settings.max_chars
        notes: list[Reject] = []
        usable: list[tuple[str, str]] = []
        for name, raw in record.fields():
            problem = text_problem(raw[: max_chars * _RAW_CAP])
            if problem is None:
                usable.append((name, raw[: max_chars * _RAW_CAP]))
            else:
                notes.append(_note(record, name, problem, raw))
        doc = build_document(usable)
        if len(doc.text) > max_chars:
            log.warning("%s/%s: text of %d characters truncated to %d", record.source, record.external_id,
                        len(doc.text), max_chars)  # fmt: skip
            notes.append(_note(record, "text", f"truncated: {len(doc.text)} characters > max_chars {max_chars}"))
            doc = doc.truncated(max_chars)
        language = self.langid.detect(doc.text, hint=record.language) if doc.text else record.language
        pii = self.redactor.spans(doc.text, language=language) if self.redactor and doc.text else []
        return _Prepared(record, doc, language, pii, notes)

    def _line_language(self, line: str, record_language: str | None) -> str | None:
        """The tokenizer for a line: Japanese for kana (or kanji in a Japanese record), else the record's."""
        if has_cjk(line) and (has_kana(line) or record_language in ("ja", None)):
            return "ja"
        if record_language == "ja":
            return self.langid.detect(line) or "en"
        return record_language

    def _finish(self, p: _Prepared, spans: list[tuple[int, int, str]]) -> SegmentedRecord:
        record, text = p.record, p.doc.text
        sentences = tuple(
            Sentence(
                source=record.source,
                external_id=record.external_id,
                idx=idx,
                section=label,
                text=text[start:end],
                text_redacted=redact_slice(text, p.pii, start=start, end=end),
                start=start,
                end=end,
                language=self._sentence_language(text[start:end], p.language, mixed_possible=len(spans) > 1),
                feedback_hash=record.text_hash,
            )
            for idx, (start, end, label) in enumerate(spans)
        )
        status: Status
        if sentences:
            status = "ok"
        elif p.notes or record.fields():
            status = "rejected"
            if not p.notes:
                p.notes.append(_note(record, "text", "no sentence with letters, digits or emoji"))
        else:
            status = "empty"
        return SegmentedRecord(record.source, record.external_id, record.text_hash, p.language, status, sentences,
                               tuple(p.notes), record.seen)  # fmt: skip

    def _sentence_language(self, sentence: str, record_language: str | None, *, mixed_possible: bool) -> str | None:
        """One-sentence records take the record's language; longer ones are checked sentence by sentence."""
        if not mixed_possible:
            return record_language
        return self.langid.detect_sentence(sentence, record_language=record_language)


def _lines(text: str, start: int, end: int) -> Iterator[tuple[int, str]]:
    offset = start
    for line in text[start:end].split("\n"):
        if line.strip():
            yield offset, line
        offset += len(line) + 1


def _note(record: FeedbackText, field: str, reason: str, raw: str | None = None) -> Reject:
    payload = {"external_id": record.external_id, "field": field}
    if raw is not None:
        payload["text"] = raw[:2_000]
    return Reject(
        stage="process",
        source=record.source,
        reason=f"{field}: {reason}",
        raw=json.dumps(payload, ensure_ascii=False),
        external_id=record.external_id,
        location=f"{record.source}/{record.external_id}",
    )


@lru_cache(maxsize=4)
def _splitter(settings_json: str) -> SentenceSplitter:
    return SentenceSplitter(NlpSettings.model_validate_json(settings_json))


def segment_records(records: Sequence[FeedbackText], nlp: NlpSettings) -> list[SegmentedRecord]:
    """Split records into sentences (tools are built once per distinct settings)."""
    return _splitter(nlp.model_dump_json()).run(records)


# -- store edges -----------------------------------------------------------------------------------------------
# New or changed feedback: never segmented, or segmented from an older text version.
PENDING_SQL = """
    SELECT f.source, f.external_id, f.text_hash, f.language, f.title, f.body, f.pros, f.cons,
           g.feedback_hash IS NOT NULL AS seen
    FROM feedback f LEFT JOIN segmented g USING (source, external_id)
    WHERE g.feedback_hash IS NULL OR g.feedback_hash <> f.text_hash"""


def count_pending(store: Store) -> int:
    return int(store.con.execute(f"SELECT count(*) FROM ({PENDING_SQL})").fetchone()[0])  # type: ignore[index]


def iter_pending(store: Store, *, chunk_size: int) -> Iterator[list[FeedbackText]]:
    """New or changed feedback, streamed in chunks from a separate cursor (writes may commit in between)."""
    cursor = store.con.cursor()
    try:
        result = cursor.execute(PENDING_SQL)
        while rows := result.fetchmany(chunk_size):
            yield [FeedbackText(*row) for row in rows]
    finally:
        cursor.close()


def write_segmented(store: Store, records: Sequence[SegmentedRecord]) -> None:
    """One transaction: drop what older text versions produced, insert sentences, mark records, keep notes."""
    sentences = [s for r in records for s in r.sentences]
    with store.transaction() as con:
        stale = [r for r in records if r.replaces_earlier]
        if stale:
            keys = {"source": [r.source for r in stale], "external_id": [r.external_id for r in stale]}
            con.register("stale_keys", pa.table(keys))
            for table in ("sentences", "predictions", "feedback_tags"):
                con.execute(f"DELETE FROM {table} t USING stale_keys k "
                            "WHERE t.source = k.source AND t.external_id = k.external_id")  # fmt: skip
            con.unregister("stale_keys")
        if sentences:
            con.register("new_sentences", sentence_table(sentences))
            con.execute("INSERT INTO sentences SELECT * FROM new_sentences")
            con.unregister("new_sentences")
        con.register("new_segmented", segmented_table(records))
        con.execute("INSERT OR REPLACE INTO segmented SELECT * FROM new_segmented")
        con.unregister("new_segmented")
        store.add_rejects(note for r in records for note in r.notes)


SENTENCE_SCHEMA = pa.schema([
    ("source", pa.string()), ("external_id", pa.string()), ("idx", pa.int32()), ("section", pa.string()),
    ("text", pa.string()), ("text_redacted", pa.string()), ("start_char", pa.int32()), ("end_char", pa.int32()),
    ("language", pa.string()), ("feedback_hash", pa.string()),
])  # fmt: skip
SEGMENTED_SCHEMA = pa.schema([
    ("source", pa.string()), ("external_id", pa.string()), ("feedback_hash", pa.string()),
    ("language", pa.string()), ("status", pa.string()), ("n_sentences", pa.int32()),
])  # fmt: skip


def sentence_table(sentences: Sequence[Sentence]) -> pa.Table:
    """Rows in the column order of the ``sentences`` table."""
    fields = ("source", "external_id", "idx", "section", "text", "text_redacted", "start", "end", "language",
              "feedback_hash")  # fmt: skip
    return arrow_table(SENTENCE_SCHEMA, [[getattr(s, f) for s in sentences] for f in fields])


def segmented_table(records: Sequence[SegmentedRecord]) -> pa.Table:
    """Rows in the column order of the ``segmented`` table."""
    fields = ("source", "external_id", "feedback_hash", "language", "status")
    columns = [[getattr(r, f) for r in records] for f in fields]
    return arrow_table(SEGMENTED_SCHEMA, [*columns, [len(r.sentences) for r in records]])


def arrow_table(schema: pa.Schema, columns: Sequence[list]) -> pa.Table:
    """Columns (Python lists, in schema order) as an Arrow table of exactly ``schema``."""
    arrays = [pa.array(column, field.type) for column, field in zip(columns, schema, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema)
