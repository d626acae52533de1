"""Stage 3: one model version's sentence predictions -> one ``feedback_tags`` row per feedback record.

Sentiment of a set of sentences (``combine_sentiment``), used for the service sentences and for all of them:
more positive than negative sentences -> positive; more negative -> negative; as many (and at least one) ->
negative, because a record that praises and complains in equal measure still holds a complaint worth reading;
no polar sentence -> neutral. Ratings and NPS scores play no part (the tags must stay comparable with them).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pyarrow as pa

from pipeline.stages.segment import arrow_table
from pipeline.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Verdict:
    """One sentence's labels."""

    service: tuple[str, ...]
    sentiment: str
    sharp_edge: str | None


@dataclass(frozen=True, slots=True)
class FeedbackTags:
    source: str
    external_id: str
    model_version: str
    feedback_hash: str
    language: str | None
    n_sentences: int
    has_service: bool
    service_kinds: tuple[str, ...]
    service_sentiment: str | None
    sharp_edges: tuple[str, ...]
    overall_sentiment: str


def combine_sentiment(sentiments: Sequence[str]) -> str:
    """Majority of positive vs negative; a tie with any polar sentence -> negative; none polar -> neutral."""
    positive = sum(s == "positive" for s in sentiments)
    negative = sum(s == "negative" for s in sentiments)
    if positive == negative == 0:
        return "neutral"
    return "positive" if positive > negative else "negative"


def aggregate_record(
    source: str,
    external_id: str,
    verdicts: Sequence[Verdict],
    *,
    model_version: str,
    feedback_hash: str,
    language: str | None,
) -> FeedbackTags:
    service_sentences = [v for v in verdicts if v.service]
    return FeedbackTags(
        source=source,
        external_id=external_id,
        model_version=model_version,
        feedback_hash=feedback_hash,
        language=language,
        n_sentences=len(verdicts),
        has_service=bool(service_sentences),
        service_kinds=tuple(sorted({kind for v in service_sentences for kind in v.service})),
        service_sentiment=combine_sentiment([v.sentiment for v in service_sentences]) if service_sentences else None,
        sharp_edges=tuple(sorted({v.sharp_edge for v in verdicts if v.sharp_edge and v.sharp_edge != "none"})),
        overall_sentiment=combine_sentiment([v.sentiment for v in verdicts]),
    )


@dataclass(frozen=True, slots=True)
class RecordPredictions:
    """A segmented record with the predictions of its sentences (in sentence order)."""

    source: str
    external_id: str
    feedback_hash: str
    language: str | None
    verdicts: tuple[Verdict, ...]

    def aggregate(self, model_version: str) -> FeedbackTags:
        return aggregate_record(
            self.source,
            self.external_id,
            self.verdicts,
            model_version=model_version,
            feedback_hash=self.feedback_hash,
            language=self.language,
        )


FEEDBACK_TAGS_SCHEMA = pa.schema([
    ("source", pa.string()), ("external_id", pa.string()), ("model_version", pa.string()),
    ("feedback_hash", pa.string()), ("language", pa.string()), ("n_sentences", pa.int32()),
    ("has_service", pa.bool_()), ("service_kinds", pa.list_(pa.string())), ("service_sentiment", pa.string()),
    ("sharp_edges", pa.list_(pa.string())), ("overall_sentiment", pa.string()),
])  # fmt: skip


def feedback_tags_table(rows: Sequence[FeedbackTags]) -> pa.Table:
    """Rows in the column order of the ``feedback_tags`` table."""
    names = FEEDBACK_TAGS_SCHEMA.names
    columns = {name: [getattr(r, name) for r in rows] for name in names}
    for name in ("service_kinds", "sharp_edges"):
        columns[name] = [list(v) for v in columns[name]]
    return arrow_table(FEEDBACK_TAGS_SCHEMA, [columns[name] for name in names])


# -- store edges -----------------------------------------------------------------------------------------------
# Records of one hash partition ($part of $parts) whose current text has no row of the version ($version) yet and
# whose every sentence has its prediction. Partitions bound the memory of the GROUP BY (measured: 1M records in
# one group-by peaked at 2.07 GB RSS).
PENDING_SQL = """
    SELECT g.source, g.external_id, g.feedback_hash, g.language,
           list(p.service ORDER BY p.idx) FILTER (WHERE p.idx IS NOT NULL) AS service,
           list(p.sentiment ORDER BY p.idx) FILTER (WHERE p.idx IS NOT NULL) AS sentiment,
           list(p.sharp_edge ORDER BY p.idx) FILTER (WHERE p.idx IS NOT NULL) AS sharp_edge
    FROM (SELECT * FROM segmented WHERE hash(source, external_id) % $parts = $part) g
    LEFT JOIN (SELECT source, external_id, idx, service, sentiment, sharp_edge FROM predictions
               WHERE model_version = $version AND hash(source, external_id) % $parts = $part) p
      ON p.source = g.source AND p.external_id = g.external_id
    WHERE NOT EXISTS (
        SELECT 1 FROM feedback_tags t
        WHERE t.source = g.source AND t.external_id = g.external_id AND t.model_version = $version
          AND t.feedback_hash = g.feedback_hash)
    GROUP BY g.source, g.external_id, g.feedback_hash, g.language, g.n_sentences
    HAVING count(p.idx) = g.n_sentences"""
PARTITION_RECORDS = 100_000


def pending_params(store: Store, model_version: str) -> list[dict[str, object]]:
    """Parameters of ``PENDING_SQL``, one dict per partition of at most ~PARTITION_RECORDS records."""
    n = int(store.con.execute("SELECT count(*) FROM segmented").fetchone()[0])  # type: ignore[index]
    parts = max(1, -(-n // PARTITION_RECORDS))
    return [{"version": model_version, "parts": parts, "part": part} for part in range(parts)]


def count_pending(store: Store, model_version: str) -> int:
    """Records without an up-to-date row of the version (some may still wait for their predictions)."""
    sql = """SELECT count(*) FROM segmented g WHERE NOT EXISTS (
                 SELECT 1 FROM feedback_tags t
                 WHERE t.source = g.source AND t.external_id = g.external_id AND t.model_version = $version
                   AND t.feedback_hash = g.feedback_hash)"""
    return int(store.con.execute(sql, {"version": model_version}).fetchone()[0])  # type: ignore[index]


def iter_pending(store: Store, model_version: str, *, chunk_size: int) -> Iterator[list[RecordPredictions]]:
    """Records ready to aggregate, with their sentence predictions, streamed in chunks, partition by partition."""
    for params in pending_params(store, model_version):
        cursor = store.con.cursor()
        try:
            result = cursor.execute(PENDING_SQL, params)
            while rows := result.fetchmany(chunk_size):
                yield [record_predictions(*row) for row in rows]
        finally:
            cursor.close()


def record_predictions(
    source: str,
    external_id: str,
    feedback_hash: str,
    language: str | None,
    service: list | None,
    sentiment: list | None,
    sharp_edge: list | None,
) -> RecordPredictions:
    """A row of ``PENDING_SQL`` as a record (lists are None for a record without sentences)."""
    verdicts = tuple(
        Verdict(tuple(kinds), label, edge)
        for kinds, label, edge in zip(service or [], sentiment or [], sharp_edge or [], strict=True)
    )
    return RecordPredictions(source, external_id, feedback_hash, language, verdicts)


def write_feedback_tags(store: Store, rows: Sequence[FeedbackTags]) -> None:
    if not rows:
        return
    with store.transaction() as con:
        con.register("new_tags", feedback_tags_table(rows))
        con.execute("INSERT OR REPLACE INTO feedback_tags SELECT * FROM new_tags")
        con.unregister("new_tags")
