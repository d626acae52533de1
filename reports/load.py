"""The report's only I/O on the store: read feedback, tags and tagged sentences of one model version."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd

from pipeline.errors import UserError
from pipeline.store import Store

log = logging.getLogger(__name__)

_FEEDBACK_SQL = """
    SELECT source, external_id, kind, product, url, rating, nps_score, language, created_at,
           plan_tier, region, account_id
    FROM feedback
    WHERE created_at >= ? AND created_at < ?"""

_TAGS_SQL = """
    SELECT t.source, t.external_id, t.language, t.n_sentences, t.has_service, t.service_kinds,
           t.service_sentiment, t.sharp_edges, t.overall_sentiment
    FROM feedback_tags t JOIN feedback f USING (source, external_id)
    WHERE t.model_version = ? AND f.created_at >= ? AND f.created_at < ?"""

_SENTENCES_SQL = """
    SELECT s.source, s.external_id, s.idx, s.section, s.text_redacted, s.language AS sentence_language,
           p.service, p.sentiment, p.sharp_edge, p.sentiment_score, p.sharp_edge_score
    FROM sentences s
    JOIN predictions p USING (source, external_id, idx)
    JOIN feedback f USING (source, external_id)
    WHERE p.model_version = ? AND f.created_at >= ? AND f.created_at < ?
    ORDER BY s.source, s.external_id, s.idx"""

_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ReportInputs:
    """Frames as stored, for one model version and time window."""

    feedback: pd.DataFrame
    tags: pd.DataFrame
    sentences: pd.DataFrame
    model_version: str


def model_versions(store: Store) -> pd.DataFrame:
    """Model versions with their prediction counts, the default (most predictions, then newest id) first."""
    return store.frame(
        "SELECT model_version, count(*) AS predictions FROM predictions GROUP BY 1 ORDER BY 2 DESC, 1 DESC"
    )


def choose_model_version(store: Store, requested: str | None = None) -> str:
    versions = model_versions(store)
    if versions.empty:
        raise UserError(f"no tagged sentences in {store.path}; run `vocmine process` first")
    known = list(versions["model_version"])
    if requested is None:
        return str(known[0])
    if requested not in known:
        raise UserError(f"model version {requested!r} has no predictions; known: {', '.join(known)}")
    return requested


def load_inputs(
    store: Store, *, model_version: str | None = None, since: date | None = None, until: date | None = None
) -> ReportInputs:
    """Read everything the report needs; ``until`` is inclusive (the whole day)."""
    version = choose_model_version(store, model_version)
    start = datetime.combine(since, time(), tzinfo=UTC) if since else _EARLIEST
    end = datetime.combine(until, time(), tzinfo=UTC) + timedelta(days=1) if until else _LATEST
    feedback = store.frame(_FEEDBACK_SQL, [start, end])
    feedback["created_at"] = _utc(feedback["created_at"])
    tags = store.frame(_TAGS_SQL, [version, start, end])
    sentences = store.frame(_SENTENCES_SQL, [version, start, end])
    log.info(
        "report inputs: %d feedback, %d tagged, %d sentences (model %s)",
        len(feedback),
        len(tags),
        len(sentences),
        version,
    )
    return ReportInputs(feedback=feedback, tags=tags, sentences=sentences, model_version=version)


def _utc(values: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(values)
    if stamps.dt.tz is None:
        return stamps.dt.tz_localize("UTC")
    return stamps.dt.tz_convert("UTC")
