"""``vocmine evaluate``: the fine-tuned model against the rules and TF-IDF baselines, same data, same run.

Every system labels the same examples: the gold test split (all heads), then the public benchmark suites
(``models.suites``). Each head is scored on the examples labelled for it. The report — per-label precision /
recall / F1, macro-F1, confusion matrices, calibration (ECE), the most confident errors, and paired-bootstrap
intervals of the headline figures and of the model's leads (``models.bootstrap``) — is written as JSON and Markdown
under the model directory (``<model>/evaluation/``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from models.baselines import RulesBaseline, System, SystemOutput, TfidfBaseline
from models.bootstrap import Interval, Lead, paired_uncertainty
from models.config import HEAD_NAMES, INFERENCE_BATCH
from models.examples import LabelledExample, labelled_indices
from models.metrics import (
    BinaryMetrics,
    Calibration,
    ClassificationMetrics,
    MultiLabelMetrics,
    binary_calibration,
    binary_metrics,
    classification_metrics,
    multiclass_calibration,
    multilabel_metrics,
)
from models.suites import Suite, load_suites
from pipeline.taxonomy import NO_SHARP_EDGE, Taxonomy

if TYPE_CHECKING:
    from models.label_shift import PriorAdaptation
    from pipeline.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SystemScores:
    system: str
    service_any: BinaryMetrics | None = None  # "mentions service" (any kind)
    service_kinds: MultiLabelMetrics | None = None  # per kind, where the gold names kinds
    sentiment: ClassificationMetrics | None = None
    sharp_edge: ClassificationMetrics | None = None
    sharp_edge_any: BinaryMetrics | None = None  # "is a sharp edge" (any category)
    calibration: dict[str, Calibration] = field(default_factory=dict)  # head -> ECE, where probabilities exist

    def headline(self) -> dict[str, float]:
        """The few numbers a reader compares first."""
        out: dict[str, float] = {}
        if self.service_any is not None:
            out |= {"service.precision": self.service_any.precision, "service.recall": self.service_any.recall,
                    "service.f1": self.service_any.f1}  # fmt: skip
        if self.sentiment is not None:
            out |= {"sentiment.macro_f1": self.sentiment.macro_f1, "sentiment.accuracy": self.sentiment.accuracy}
        if self.sharp_edge is not None and self.sharp_edge_any is not None:
            out |= {"sharp_edge.macro_f1": self.sharp_edge.macro_f1, "sharp_edge.any_f1": self.sharp_edge_any.f1}
        return out


@dataclass(frozen=True)
class ErrorSample:
    system: str
    head: str
    text: str
    lang: str | None
    gold: str
    predicted: str
    confidence: float | None


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    description: str
    n: int
    scores: dict[str, SystemScores]
    errors: tuple[ErrorSample, ...] = ()
    intervals: dict[str, dict[str, Interval]] = field(default_factory=dict)  # system -> headline metric -> 95 %
    leads: tuple[Lead, ...] = ()  # the model minus each baseline, paired bootstrap


@dataclass(frozen=True)
class EvaluationReport:
    model_version: str | None
    created_at: str
    train_counts: dict[str, int]
    suites: tuple[SuiteResult, ...]
    skipped: tuple[str, ...] = ()
    runtime: str | None = None  # how the model ran: 'torch (cpu)', or 'onnx (<export variant>)'
    json_path: Path | None = None
    markdown_path: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["json_path"] = data["markdown_path"] = None
        return data

    def summary(self) -> str:
        from models.evaluation_report import headline_table, lead_summary

        lines = [headline_table(self)]
        if summary := lead_summary(self):
            lines.append(summary)
        lines += [f"skipped {reason}" for reason in self.skipped]
        if self.markdown_path:
            lines.append(f"report -> {self.markdown_path}")
        return "\n".join(lines)


def score_system(
    examples: Sequence[LabelledExample], output: SystemOutput, *, taxonomy: Taxonomy, name: str,
    heads: Sequence[str] = HEAD_NAMES, kinds_labelled: bool = True,
) -> SystemScores:  # fmt: skip
    """Score one system's output on the examples labelled for each head in ``heads``."""
    fields: dict[str, Any] = {}
    calibration: dict[str, Calibration] = {}
    if "service" in heads and (idx := labelled_indices(examples, "service")):
        gold = [examples[i].service or () for i in idx]
        pred = [output.service[i] for i in idx]
        fields["service_any"] = binary_metrics([bool(g) for g in gold], [bool(p) for p in pred], label="service")
        if kinds_labelled:
            fields["service_kinds"] = multilabel_metrics(gold, pred, labels=taxonomy.service_kinds, any_label="service")
        if output.service_proba is not None:
            p_any = output.service_proba[idx].max(axis=1) if len(idx) else np.zeros(0)
            calibration["service"] = binary_calibration(p_any, [bool(g) for g in gold])
    for head, classes in (("sentiment", taxonomy.sentiment), ("sharp_edge", taxonomy.sharp_edge_labels)):
        if head not in heads:
            continue
        idx = labelled_indices(examples, head)
        if not idx:
            continue
        gold_labels = [getattr(examples[i], head) for i in idx]
        pred_labels = [getattr(output, head)[i] for i in idx]
        fields[head] = classification_metrics(gold_labels, pred_labels, labels=classes)
        if head == "sharp_edge":
            fields["sharp_edge_any"] = binary_metrics(
                [g != NO_SHARP_EDGE for g in gold_labels], [p != NO_SHARP_EDGE for p in pred_labels], label="sharp_edge"
            )
        proba = getattr(output, f"{head}_proba")
        if proba is not None:
            calibration[head] = multiclass_calibration(proba[idx], [list(classes).index(g) for g in gold_labels])
    return SystemScores(name, calibration=calibration, **fields)


def error_samples(
    examples: Sequence[LabelledExample], output: SystemOutput, *, system: str, heads: Sequence[str], limit: int
) -> list[ErrorSample]:
    """Up to ``limit`` errors per head, the most confident first (input order when there are no scores)."""
    out: list[ErrorSample] = []
    for head in heads:
        found = []
        for i, ex in enumerate(examples):
            if getattr(ex, head) is None:
                continue
            if head == "service":  # an error of the headline decision: service mentioned or not
                gold, pred = ",".join(ex.service or ()) or "-", ",".join(output.service[i]) or "-"
                wrong = (gold == "-") != (pred == "-")
            else:
                gold, pred = str(getattr(ex, head)), str(getattr(output, head)[i])
                wrong = gold != pred
            if wrong:
                proba = getattr(output, f"{head}_proba")
                conf = float(proba[i].max()) if proba is not None else None
                found.append(ErrorSample(system, head, ex.text, ex.lang, gold, pred, conf))
        found.sort(key=lambda e: -(e.confidence or 0.0))
        out.extend(found[:limit])
    return out


def evaluate_suite(suite: Suite, systems: Sequence[System], *, taxonomy: Taxonomy, max_errors: int = 10) -> SuiteResult:
    texts = [ex.text for ex in suite.examples]
    langs = [ex.lang or suite.lang for ex in suite.examples]
    scores, errors, outputs = {}, [], {}
    if suite.records:
        from models.record_system import RecordSystem

        systems = [*systems, *(RecordSystem(s) for s in systems)]
    for system in systems:
        log.info("evaluating %s on %s (%d examples)", system.name, suite.name, len(texts))
        output = outputs[system.name] = system.run(texts, langs)
        scores[system.name] = score_system(
            suite.examples, output, taxonomy=taxonomy, name=system.name, heads=suite.heads,
            kinds_labelled=suite.service_kinds_labelled,
        )  # fmt: skip
        errors += error_samples(suite.examples, output, system=system.name, heads=suite.heads, limit=max_errors)
    uncertainty = paired_uncertainty(
        suite.examples, outputs, heads=suite.heads, sentiment_labels=taxonomy.sentiment,
        sharp_edge_labels=taxonomy.sharp_edge_labels,
    )  # fmt: skip
    return SuiteResult(
        suite.name, suite.description, len(texts), scores, tuple(errors), uncertainty.intervals, uncertainty.leads
    )


class ClassifierSystem:
    """The fine-tuned model (``models.predict.Classifier``) seen as an evaluated system."""

    name = "model"

    def __init__(
        self, classifier: Any, *, batch_size: int = INFERENCE_BATCH, adapt: PriorAdaptation | None = None
    ) -> None:
        """``adapt``: sentiment priors estimated per language from each suite's own (unlabelled) texts."""
        self.classifier = classifier
        self.batch_size = batch_size
        self.adapt = adapt

    def run(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> SystemOutput:
        decided = self.classifier.decisions(texts, langs=langs, batch_size=self.batch_size, adapt=self.adapt)
        labels, probs = self.classifier.labels, decided.probs
        service = [tuple(k for k, on in zip(labels.service, row, strict=True) if on) for row in decided.service]
        return SystemOutput(
            service=tuple(service),
            sentiment=tuple(labels.sentiment[int(i)] for i in decided.sentiment),
            sharp_edge=tuple(labels.sharp_edge[int(i)] for i in decided.sharp_edge),
            service_proba=probs.service,
            sentiment_proba=probs.sentiment,
            sharp_edge_proba=probs.sharp_edge,
        )


def evaluate_model(
    settings: Settings,
    *,
    model_dir: Path | None = None,
    include_model: bool = True,
    suites: Sequence[str] = ("gold", "shared"),
    shared_dir: Path | None = None,
    shared_names: Sequence[str] | None = None,
    limit: int | None = None,
    train_examples: Sequence[LabelledExample] | None = None,
    test_examples: Sequence[LabelledExample] | None = None,
    out_dir: Path | None = None,
    max_errors: int = 10,
) -> EvaluationReport:
    """Evaluate the model (newest, or ``model_dir``) and both baselines; write the JSON + Markdown report.

    The TF-IDF baseline trains on the model's training split, rebuilt from the same settings (or on
    ``train_examples``); the gold suite is the held-out test split (or ``test_examples``).
    ``include_model=False`` runs the baselines alone (before any model is trained).
    """
    from models.evaluation_report import write_report
    from pipeline.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(settings.paths.taxonomy)
    if train_examples is None or (test_examples is None and "gold" in suites):
        data = _training_data(settings, taxonomy)
        train_examples = data.train if train_examples is None else train_examples
        test_examples = data.test if test_examples is None else test_examples
    systems: list[System] = []
    version = runtime = None
    if include_model:
        from models.export import export_variant
        from models.predict import load_model
        from models.registry import resolve_model_dir

        model_dir = model_dir or resolve_model_dir(settings)
        classifier = load_model(model_dir, runtime=settings.classifier.runtime, device=settings.classifier.device)
        version = classifier.version
        how = export_variant(model_dir) if classifier.runtime == "onnx" else classifier.device
        runtime = f"{classifier.runtime} ({how})"
        adapt = settings.classifier.prior_adaptation()
        if adapt is None:
            runtime += ", sentiment priors as trained"
        else:
            runtime += f", sentiment priors adapted per suite and language (at least {adapt.min_rows} texts)"
        systems.append(ClassifierSystem(classifier, batch_size=settings.classifier.inference_batch_size, adapt=adapt))
    systems.append(RulesBaseline(taxonomy))
    systems.append(TfidfBaseline.fit(train_examples, taxonomy=taxonomy, seed=settings.classifier.seed))
    chosen: list[Suite] = []
    skipped: list[str] = []
    if "gold" in suites:
        if test_examples:
            chosen.append(Suite("gold_test", "held-out test split of the gold set (text-hash split)", None, HEAD_NAMES,
                                tuple(test_examples)))  # fmt: skip
        else:
            skipped.append("gold_test: no gold test examples")
    if "shared" in suites:
        found, missing = load_suites(shared_dir, names=shared_names, limit=limit)
        chosen += found
        skipped += missing
    results = tuple(evaluate_suite(s, systems, taxonomy=taxonomy, max_errors=max_errors) for s in chosen)
    counts: dict[str, int] = {}
    for ex in train_examples:
        counts[ex.origin] = counts.get(ex.origin, 0) + 1
    report = EvaluationReport(version, datetime.now(UTC).isoformat(), counts, results, tuple(skipped), runtime)
    if out_dir is None:
        out_dir = (model_dir / "evaluation") if model_dir is not None else settings.paths.data_dir / "evaluation"
    return write_report(report, out_dir)


def _training_data(settings: Settings, taxonomy: Taxonomy):  # -> models.data.TrainingData
    from models.data import assemble, gather_examples

    return assemble(gather_examples(settings, taxonomy), max_train_examples=settings.classifier.max_train_examples)


def report_json(report: EvaluationReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str)
