"""``--engine ray``: the same stage functions over Ray Data, for backlogs beyond one process.

Each stage exports its pending rows from the store to Parquet partitions (the same ``PENDING_SQL`` the local
runner streams), maps them with Ray Data (segmentation on CPU actors; the classifier on GPU actors when the
cluster has GPUs, else CPU actors), and the driver writes the results back chunk by chunk with the local
runner's writers, so resuming, rejects and deduplication behave exactly as with ``--engine local``.
The scratch Parquet goes under ``paths.data_dir``: on a multi-node cluster, put that on shared storage.
Needs the optional extra: ``pip install -e .[ray]`` (``ray[data]==2.60.0``).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.config import NlpSettings, Settings
from pipeline.errors import UserError
from pipeline.records import Reject, Sentence
from pipeline.run import (
    ProcessResult,
    Progress,
    SegmentStats,
    load_classifier,
    report_progress,
    write_segmented_chunks,
)
from pipeline.stages import aggregate, classify, segment
from pipeline.stages.classify import Classifier
from pipeline.store import Store

log = logging.getLogger(__name__)

_SENTENCE = pa.struct([(f.name, t) for f, t in zip(dataclasses.fields(Sentence), [
    pa.string(), pa.string(), pa.int32(), pa.string(), pa.string(), pa.string(), pa.int32(), pa.int32(), pa.string(),
    pa.string()], strict=True)])  # fmt: skip
_NOTE = pa.struct([(name, pa.string()) for name in ("stage", "source", "reason", "raw", "external_id", "location")])
RECORD_SCHEMA = pa.schema([
    ("source", pa.string()), ("external_id", pa.string()), ("feedback_hash", pa.string()),
    ("language", pa.string()), ("status", pa.string()), ("replaces_earlier", pa.bool_()),
    ("sentences", pa.list_(_SENTENCE)), ("notes", pa.list_(_NOTE)),
])  # fmt: skip


def process_with_ray(
    settings: Settings, *, classifier: Classifier | None = None, progress: Progress | None = None
) -> ProcessResult:
    """Segment, tag and aggregate everything pending, with Ray Data doing the work."""
    ray = _start_ray()
    started = time.perf_counter()
    if classifier is not None:
        make_classifier: Callable[[], Classifier] = functools.partial(_same, classifier)
        version = classifier.version
    else:
        make_classifier = functools.partial(_load, settings.model_dump_json())
        version = _configured_version(settings)
    scratch = settings.paths.data_dir / "ray-scratch" / uuid.uuid4().hex[:12]
    with Store(settings.paths.store_path) as store:
        run_id = store.start_run("process", settings.resolved() | {"engine": "ray"})
        try:
            seg = _segment(ray, store, settings, scratch / "feedback", progress)
            tag_started = time.perf_counter()
            tagged = _tag(ray, store, settings, make_classifier, version, scratch / "sentences", progress)
            tag_seconds = time.perf_counter() - tag_started
            aggregated = _aggregate(ray, store, settings, version, scratch / "records", progress)
        except BaseException:
            store.finish_run(run_id, status="failed")
            raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        result = ProcessResult("ray", version, seg.records, seg.sentences, seg.notes, tagged, aggregated,
                               time.perf_counter() - started, tag_seconds)  # fmt: skip
        store.finish_run(run_id, stats=dataclasses.asdict(result))
    return result


# -- stages ----------------------------------------------------------------------------------------------------
def _segment(ray: Any, store: Store, settings: Settings, where: Path, progress: Progress | None) -> SegmentStats:
    chunk = settings.nlp.chunk_size
    total = _export(store, segment.PENDING_SQL, {}, where, rows_per_file=chunk * 8)
    if not total:
        return write_segmented_chunks(store, [], total=0, progress=progress)
    mapped = ray.data.read_parquet(str(where)).map_batches(
        SegmentBatch, fn_constructor_kwargs={"nlp_json": settings.nlp.model_dump_json()}, batch_size=chunk,
        batch_format="pyarrow", concurrency=_cpu_workers(ray),
    )  # fmt: skip
    chunks = ([record_from_row(row) for row in table.to_pylist()] for table in _batches(mapped, chunk))
    return write_segmented_chunks(store, chunks, total=total, progress=progress)


def _tag(
    ray: Any,
    store: Store,
    settings: Settings,
    make_classifier: Callable[[], Classifier],
    version: str,
    where: Path,
    progress: Progress | None,
) -> int:
    batch = settings.nlp.tag_batch
    total = _export(store, classify.PENDING_SQL, {"version": version}, where, rows_per_file=batch * 4)
    if not total:
        return 0
    gpus = int(ray.cluster_resources().get("GPU", 0))
    placement = {"num_gpus": 1, "concurrency": gpus} if gpus else {"concurrency": _cpu_workers(ray)}
    mapped = ray.data.read_parquet(str(where)).map_batches(
        ClassifyBatch, batch_size=batch, batch_format="pyarrow", **placement,
        fn_constructor_kwargs={"make_classifier": make_classifier, "settings_json": settings.model_dump_json(),
                               "version": version},
    )  # fmt: skip
    tagged = 0
    for table in _batches(mapped, batch):
        classify.write_predictions(store, table.select(classify.PREDICTION_SCHEMA.names))
        tagged += table.num_rows
        report_progress(progress, "tag", tagged, total)
    return tagged


def _aggregate(ray: Any, store: Store, settings: Settings, version: str, where: Path, progress: Progress | None) -> int:
    chunk = max(settings.nlp.chunk_size, 1_000)
    total = sum(
        _export(store, aggregate.PENDING_SQL, params, where, rows_per_file=chunk * 8, name=f"part{params['part']}")
        for params in aggregate.pending_params(store, version)
    )
    if not total:
        return 0
    mapped = ray.data.read_parquet(str(where)).map_batches(
        aggregate_batch, fn_kwargs={"version": version}, batch_size=chunk, batch_format="pyarrow"
    )
    done = 0
    for table in _batches(mapped, chunk):
        with store.transaction() as con:
            con.register("new_tags", table.select(aggregate.FEEDBACK_TAGS_SCHEMA.names))
            con.execute("INSERT OR REPLACE INTO feedback_tags SELECT * FROM new_tags")
            con.unregister("new_tags")
        done += table.num_rows
        report_progress(progress, "aggregate", done, total)
    return done


# -- what runs on the workers ----------------------------------------------------------------------------------
class SegmentBatch:
    """Ray actor: feedback rows -> segmented records (spaCy pipelines and lingua built once per actor)."""

    def __init__(self, nlp_json: str) -> None:
        self.nlp = NlpSettings.model_validate_json(nlp_json)

    def __call__(self, table: pa.Table) -> pa.Table:
        records = [segment.FeedbackText(**row) for row in table.to_pylist()]
        return pa.Table.from_pylist([record_to_row(r) for r in segment.segment_records(records, self.nlp)],
                                    schema=RECORD_SCHEMA)  # fmt: skip


class ClassifyBatch:
    """Ray actor: sentence rows -> prediction rows (the model is loaded once per actor, on its GPU if any)."""

    def __init__(self, make_classifier: Callable[[], Classifier], settings_json: str, version: str) -> None:
        settings = Settings.model_validate_json(settings_json)
        self.classifier = make_classifier()
        if self.classifier.version != version:
            raise RuntimeError(f"worker loaded model {self.classifier.version}, the driver expected {version}")
        self.rules = classify.load_rule_tagger(settings.paths.taxonomy) if settings.nlp.rule_evidence else None
        self.batch_size = settings.classifier.inference_batch_size
        self.adapt = settings.classifier.prior_adaptation()

    def __call__(self, table: pa.Table) -> pa.Table:
        refs = [classify.SentenceRef(**row) for row in table.to_pylist()]
        tags = classify.classify(refs, self.classifier, rules=self.rules, batch_size=self.batch_size, adapt=self.adapt)
        return classify.prediction_table(refs, tags, self.classifier.version)


def aggregate_batch(table: pa.Table, *, version: str) -> pa.Table:
    rows = [aggregate.record_predictions(**row).aggregate(version) for row in table.to_pylist()]
    return aggregate.feedback_tags_table(rows)


def record_to_row(record: segment.SegmentedRecord) -> dict[str, Any]:
    row = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    row["sentences"] = [dataclasses.asdict(s) for s in record.sentences]
    row["notes"] = [n.model_dump(include=set(_NOTE.names)) for n in record.notes]
    return row


def record_from_row(row: dict[str, Any]) -> segment.SegmentedRecord:
    sentences = tuple(Sentence(**s) for s in row.pop("sentences") or [])
    notes = tuple(Reject(**n) for n in row.pop("notes") or [])
    return segment.SegmentedRecord(**row, sentences=sentences, notes=notes)


# -- plumbing --------------------------------------------------------------------------------------------------
def _start_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError:
        raise UserError("the ray engine needs the optional extra: pip install -e '.[ray]'") from None
    if not ray.is_initialized():
        ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.execution_options.preserve_order = True
    return ray


def _export(
    store: Store, sql: str, params: dict[str, Any], where: Path, *, rows_per_file: int, name: str = "part"
) -> int:
    """Stream a query's rows into Parquet partitions of ``rows_per_file``; returns the number of rows."""
    where.mkdir(parents=True, exist_ok=True)
    cursor = store.con.cursor()
    rows = 0
    try:
        reader = cursor.sql(sql, params=params or None).to_arrow_reader(rows_per_file)
        for part, batch in enumerate(reader):
            if batch.num_rows:
                pq.write_table(pa.Table.from_batches([batch]), where / f"{name}-{part:05d}.parquet")
                rows += batch.num_rows
    finally:
        cursor.close()
    return rows


def _batches(dataset: Any, size: int) -> Iterator[pa.Table]:
    yield from dataset.iter_batches(batch_size=size, batch_format="pyarrow")


def _cpu_workers(ray: Any) -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)) - 1)


def _same(classifier: Classifier) -> Classifier:
    return classifier


def _load(settings_json: str) -> Classifier:
    return load_classifier(Settings.model_validate_json(settings_json))


def _configured_version(settings: Settings) -> str:
    from models.registry import read_meta, resolve_model_dir

    return str(read_meta(resolve_model_dir(settings))["version"])
