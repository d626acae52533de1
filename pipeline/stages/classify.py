"""Stage 2: sentences -> predictions of one model version, batched across records for throughput.

The classifier sorts each batch by length and pads dynamically; this stage feeds it large batches across records
(``nlp.tag_batch``, 2,048 by default) and commits each in its own transaction, so a crash loses at most one batch.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from pipeline.records import SentenceTags
from pipeline.stages.segment import arrow_table
from pipeline.store import Store

log = logging.getLogger(__name__)

SENTENCE_BATCH = 2_048


class Classifier(Protocol):
    """What tagging needs of a model (``models.predict.Classifier`` is one)."""

    version: str

    def predict(
        self, texts: Sequence[str], *, langs: Sequence[str | None] | None = ..., batch_size: int = ..., adapt: Any = ...
    ) -> list[SentenceTags]:
        """``adapt``: None, or adapt the sentiment priors to these texts (``models.label_shift.PriorAdaptation``)."""
        ...


class RuleHits(Protocol):
    """Optional rule evidence (``models.rules.RuleTagger`` is one): label ids that fire per text."""

    def hits_many(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[tuple[str, ...]]: ...


@dataclass(frozen=True, slots=True)
class SentenceRef:
    """A stored sentence to tag."""

    source: str
    external_id: str
    idx: int
    text: str
    language: str | None


def classify(
    sentences: Sequence[SentenceRef],
    classifier: Classifier,
    *,
    rules: RuleHits | None = None,
    batch_size: int = 64,
    adapt: object | None = None,
) -> list[SentenceTags]:
    """Tags for each sentence, in order, with rule hits attached when ``rules`` is given.

    ``adapt`` (a ``models.label_shift.PriorAdaptation``): the sentiment priors of each language are estimated from
    this batch of sentences, so a batch is labelled the same whenever it is tagged (batches are fixed by key order).
    """
    if not sentences:
        return []
    texts = [s.text for s in sentences]
    tags = classifier.predict(texts, langs=[s.language for s in sentences], batch_size=batch_size, adapt=adapt)
    if len(tags) != len(texts):
        raise RuntimeError(f"classifier returned {len(tags)} results for {len(texts)} sentences")
    if rules is not None:
        hits = rules.hits_many(texts, [s.language for s in sentences])
        tags = [dataclasses.replace(t, rule_hits=tuple(h)) for t, h in zip(tags, hits, strict=True)]
    return tags


def label_score(scores: dict[str, float], head: str, label: str | None) -> float | None:
    """The score of ``label`` on ``head`` ('sentiment.positive'); None when absent."""
    if label is None:
        return None
    value = scores.get(f"{head}.{label}")
    return None if value is None else float(value)


PREDICTION_SCHEMA = pa.schema([
    ("source", pa.string()), ("external_id", pa.string()), ("idx", pa.int32()), ("model_version", pa.string()),
    ("service", pa.list_(pa.string())), ("sentiment", pa.string()), ("sharp_edge", pa.string()),
    ("sentiment_score", pa.float64()), ("sharp_edge_score", pa.float64()), ("scores", pa.string()),
    ("rule_hits", pa.list_(pa.string())),
])  # fmt: skip


def prediction_table(sentences: Sequence[SentenceRef], tags: Sequence[SentenceTags], model_version: str) -> pa.Table:
    """Rows in the column order of the ``predictions`` table. ``sharp_edge_score`` is null without a sharp edge."""
    rows: list[list[Any]] = [[] for _ in PREDICTION_SCHEMA]
    for s, t in zip(sentences, tags, strict=True):
        edge = t.sharp_edge if t.sharp_edge not in (None, "none") else None
        values = (
            s.source, s.external_id, s.idx, model_version, list(t.service), t.sentiment, edge,
            label_score(t.scores, "sentiment", t.sentiment), label_score(t.scores, "sharp_edge", edge),
            json.dumps(t.scores, sort_keys=True), list(t.rule_hits),
        )  # fmt: skip
        for column, value in zip(rows, values, strict=True):
            column.append(value)
    return arrow_table(PREDICTION_SCHEMA, rows)


# -- store edges -----------------------------------------------------------------------------------------------
# Sentences without a prediction of the model version ($version), in key order: int8 results depend slightly on a
# sentence's batch-mates, so the same store must always be tagged in the same batches.
PENDING_SQL = """
    SELECT s.source, s.external_id, s.idx, s.text, s.language
    FROM sentences s ANTI JOIN (SELECT source, external_id, idx FROM predictions WHERE model_version = $version) p
    USING (source, external_id, idx)
    ORDER BY s.source, s.external_id, s.idx"""


def count_pending(store: Store, model_version: str) -> int:
    sql = f"SELECT count(*) FROM ({PENDING_SQL})"
    return int(store.con.execute(sql, {"version": model_version}).fetchone()[0])  # type: ignore[index]


def iter_pending(store: Store, model_version: str, *, batch: int = SENTENCE_BATCH) -> Iterator[list[SentenceRef]]:
    """Sentences without a prediction of ``model_version``, streamed in batches from a separate cursor."""
    cursor = store.con.cursor()
    try:
        result = cursor.execute(PENDING_SQL, {"version": model_version})
        while rows := result.fetchmany(batch):
            yield [SentenceRef(*row) for row in rows]
    finally:
        cursor.close()


def write_predictions(store: Store, table: pa.Table) -> None:
    """Insert in one transaction; rows already there (a rerun racing a crash) are left alone."""
    if table.num_rows == 0:
        return
    with store.transaction() as con:
        con.register("new_predictions", table)
        con.execute("INSERT INTO predictions SELECT * FROM new_predictions ON CONFLICT DO NOTHING")
        con.unregister("new_predictions")


def load_rule_tagger(taxonomy_path: Path | str) -> RuleHits | None:
    """The taxonomy's rule tagger for evidence, or None when the models package does not provide one."""
    try:
        from models.rules import RuleTagger
        from pipeline.taxonomy import load_taxonomy
    except ImportError:
        return None
    return RuleTagger(load_taxonomy(taxonomy_path))
