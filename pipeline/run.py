"""Processing of the store: segment new or changed feedback, tag sentences, aggregate to feedback records.

Incremental: a record is segmented again only when its text hash changes; a sentence is tagged once per model
version; a record is aggregated once per model version and text. Resumable: every chunk commits in its own
transaction, so a killed run loses at most the chunk in flight and a rerun finishes the job without duplicates.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pipeline.config import Settings
from pipeline.errors import UserError
from pipeline.stages import aggregate, classify, segment
from pipeline.stages.classify import Classifier, RuleHits
from pipeline.store import Store

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)`` after each committed chunk; stages: segment, tag, aggregate."""


@dataclass(frozen=True)
class ProcessResult:
    engine: str
    model_version: str
    segmented: int
    sentences: int
    notes: int
    tagged: int
    aggregated: int
    seconds: float
    tag_seconds: float = 0.0

    def summary(self) -> str:
        rate = f" ({self.tagged / self.tag_seconds:,.0f}/s)" if self.tagged and self.tag_seconds > 0 else ""
        return (
            f"processed with {self.engine} engine, model {self.model_version}: "
            f"{self.segmented:,} records segmented into {self.sentences:,} sentences "
            f"({self.notes:,} new rejects/notes), {self.tagged:,} sentences tagged{rate}, "
            f"{self.aggregated:,} records aggregated, in {self.seconds:.1f}s"
        )


@dataclass(frozen=True)
class SegmentStats:
    records: int
    sentences: int
    notes: int

    def summary(self) -> str:
        return f"{self.records:,} records segmented into {self.sentences:,} sentences ({self.notes:,} new notes)"


def segment_pending(store: Store, settings: Settings, *, progress: Progress | None = None) -> int:
    """Segment new or changed feedback records into sentences; returns the number of records segmented."""
    return segment_pending_stats(store, settings, progress=progress).records


def segment_store(settings: Settings, *, progress: Progress | None = None) -> SegmentStats:
    """``segment_pending`` on the configured store (the job runs it before training: distant labels need it)."""
    with Store(settings.paths.store_path) as store:
        return segment_pending_stats(store, settings, progress=progress)


def segment_pending_stats(store: Store, settings: Settings, *, progress: Progress | None = None) -> SegmentStats:
    total = segment.count_pending(store)
    chunks = (
        segment.segment_records(chunk, settings.nlp)
        for chunk in segment.iter_pending(store, chunk_size=settings.nlp.chunk_size)
    )
    return write_segmented_chunks(store, chunks, total=total, progress=progress)


def write_segmented_chunks(
    store: Store, chunks: Iterable[list[Any]], *, total: int, progress: Progress | None = None
) -> SegmentStats:
    """Commit each chunk of segmented records as it comes (any engine produces them); count what was written."""
    records = sentences = 0
    rejects_before = store.count("rejects")
    for done in chunks:
        segment.write_segmented(store, done)
        records += len(done)
        sentences += sum(len(r.sentences) for r in done)
        report_progress(progress, "segment", records, total)
    return SegmentStats(records, sentences, store.count("rejects") - rejects_before)


def tag_pending(
    store: Store,
    classifier: Classifier,
    settings: Settings,
    *,
    rules: RuleHits | None = None,
    progress: Progress | None = None,
) -> int:
    """Tag every sentence that has no prediction of ``classifier.version``; returns the number tagged.

    ``rules`` adds rule evidence (``predictions.rule_hits``); by default the taxonomy's rule tagger is used
    when ``nlp.rule_evidence`` is on and the models package provides it.
    """
    version = classifier.version
    if rules is None and settings.nlp.rule_evidence:
        rules = classify.load_rule_tagger(settings.paths.taxonomy)
    total = classify.count_pending(store, version)
    tagged = 0
    batch_size = settings.classifier.inference_batch_size
    adapt = settings.classifier.prior_adaptation()
    for batch in classify.iter_pending(store, version, batch=settings.nlp.tag_batch):
        tags = classify.classify(batch, classifier, rules=rules, batch_size=batch_size, adapt=adapt)
        classify.write_predictions(store, classify.prediction_table(batch, tags, version))
        tagged += len(batch)
        report_progress(progress, "tag", tagged, total)
    return tagged


def aggregate_pending(
    store: Store, model_version: str, *, chunk_size: int = 5_000, progress: Progress | None = None
) -> int:
    """Write ``feedback_tags`` of ``model_version`` for records fully tagged but not yet aggregated."""
    total = aggregate.count_pending(store, model_version)
    done = 0
    for chunk in aggregate.iter_pending(store, model_version, chunk_size=chunk_size):
        aggregate.write_feedback_tags(store, [r.aggregate(model_version) for r in chunk])
        done += len(chunk)
        report_progress(progress, "aggregate", done, total)
    return done


def process_store(
    settings: Settings,
    *,
    engine: str | None = None,
    classifier: Classifier | None = None,
    progress: Progress | None = None,
) -> ProcessResult:
    """Segment, tag and aggregate everything pending in the configured store (``engine``: local or ray)."""
    engine = engine or settings.nlp.engine
    if engine == "ray":
        from pipeline.ray_engine import process_with_ray

        return process_with_ray(settings, classifier=classifier, progress=progress)
    if engine != "local":
        raise UserError(f"unknown engine {engine!r}: use 'local' or 'ray'")
    started = time.perf_counter()
    with Store(settings.paths.store_path) as store:
        run_id = store.start_run("process", settings.resolved())
        try:
            seg = segment_pending_stats(store, settings, progress=progress)
            loaded = classifier or load_classifier(settings)
            version = loaded.version
            tag_started = time.perf_counter()
            tagged = tag_pending(store, loaded, settings, progress=progress)
            tag_seconds = time.perf_counter() - tag_started
            del loaded  # a classifier loaded here frees its ~0.5–0.7 GB of sessions before the aggregation's peak
            aggregated = aggregate_pending(store, version, progress=progress)
        except BaseException:
            store.finish_run(run_id, status="failed")
            raise
        result = ProcessResult(
            engine="local",
            model_version=version,
            segmented=seg.records,
            sentences=seg.sentences,
            notes=seg.notes,
            tagged=tagged,
            aggregated=aggregated,
            seconds=time.perf_counter() - started,
            tag_seconds=tag_seconds,
        )
        store.finish_run(run_id, stats=dataclasses.asdict(result))
    return result


def load_classifier(settings: Settings) -> Classifier:
    """The configured trained model (raises UserError when none has been trained)."""
    from models.predict import load_classifier as load

    return load(settings)


def report_progress(progress: Progress | None, stage: str, done: int, total: int) -> None:
    log.debug("%s: %d/%d", stage, done, total)
    if progress is not None:
        progress(stage, done, max(total, done))
