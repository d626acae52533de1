"""Evaluation metrics as frozen records: precision / recall / F1, macro-F1, confusion matrices, calibration.

Conventions (as scikit-learn with ``zero_division=0``): precision is 0 when nothing was predicted, recall is 0
when nothing was expected, F1 is 0 when both are 0. Macro-F1 averages the labels that occur in the gold or the
predicted labels, so a test set without 'neutral' is not punished for a class it cannot contain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


@dataclass(frozen=True)
class BinaryMetrics:
    """Scores of one yes/no decision (e.g. 'mentions service')."""

    label: str
    tp: int
    fp: int
    fn: int
    tn: int
    precision: float
    recall: float
    f1: float

    @property
    def support(self) -> int:
        """Number of gold positives."""
        return self.tp + self.fn

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "support": self.support}


def binary_metrics(y_true: Sequence[bool], y_pred: Sequence[bool], *, label: str = "positive") -> BinaryMetrics:
    true = np.asarray(y_true, dtype=bool)
    pred = np.asarray(y_pred, dtype=bool)
    if true.shape != pred.shape:
        raise ValueError(f"y_true has {true.shape} items, y_pred {pred.shape}")
    tp = int(np.sum(true & pred))
    fp = int(np.sum(~true & pred))
    fn = int(np.sum(true & ~pred))
    tn = int(np.sum(~true & ~pred))
    return BinaryMetrics(label, tp, fp, fn, tn, *_prf(tp, fp, fn))


@dataclass(frozen=True)
class LabelScores:
    label: str
    precision: float
    recall: float
    f1: float
    support: int  # gold count
    predicted: int  # predicted count


@dataclass(frozen=True)
class ClassificationMetrics:
    """Single-label classification: per-label scores, macro-F1, accuracy and the confusion matrix."""

    labels: tuple[str, ...]
    per_label: tuple[LabelScores, ...]
    macro_f1: float
    macro_labels: tuple[str, ...]  # labels the macro average is taken over
    accuracy: float
    confusion: tuple[tuple[int, ...], ...]  # rows: gold label, columns: predicted label (order of ``labels``)
    n: int

    def score(self, label: str) -> LabelScores:
        return self.per_label[self.labels.index(label)]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def classification_metrics(
    y_true: Sequence[str], y_pred: Sequence[str], *, labels: Sequence[str]
) -> ClassificationMetrics:
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} items, y_pred {len(y_pred)}")
    labels = tuple(labels)
    unknown = (set(y_true) | set(y_pred)) - set(labels)
    if unknown:
        raise ValueError(f"labels {sorted(unknown)} are not in {labels}")
    index = {label: i for i, label in enumerate(labels)}
    confusion = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for t, p in zip(y_true, y_pred, strict=True):
        confusion[index[t], index[p]] += 1
    per_label = []
    for i, label in enumerate(labels):
        tp = int(confusion[i, i])
        gold, predicted = int(confusion[i].sum()), int(confusion[:, i].sum())
        per_label.append(LabelScores(label, *_prf(tp, predicted - tp, gold - tp), gold, predicted))
    present = tuple(s.label for s in per_label if s.support or s.predicted)
    macro = float(np.mean([s.f1 for s in per_label if s.label in present])) if present else 0.0
    n = len(y_true)
    accuracy = float(np.trace(confusion) / n) if n else 0.0
    return ClassificationMetrics(
        labels, tuple(per_label), macro, present, accuracy, tuple(tuple(int(v) for v in row) for row in confusion), n
    )


@dataclass(frozen=True)
class MultiLabelMetrics:
    """Multi-label (service kinds): 'any label' as one binary decision, then each label on its own."""

    any: BinaryMetrics
    per_label: tuple[BinaryMetrics, ...]
    macro_f1: float  # over labels with gold or predicted positives
    micro_f1: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "any": self.any.to_dict(),
            "per_label": [m.to_dict() for m in self.per_label],
            "macro_f1": self.macro_f1,
            "micro_f1": self.micro_f1,
        }


def multilabel_metrics(
    y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]], *, labels: Sequence[str], any_label: str = "any"
) -> MultiLabelMetrics:
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} items, y_pred {len(y_pred)}")
    true_sets, pred_sets = [set(t) for t in y_true], [set(p) for p in y_pred]
    per_label = tuple(
        binary_metrics([label in t for t in true_sets], [label in p for p in pred_sets], label=label)
        for label in labels
    )
    present = [m for m in per_label if m.tp + m.fn + m.fp]
    macro = float(np.mean([m.f1 for m in present])) if present else 0.0
    tp, fp, fn = (sum(getattr(m, k) for m in per_label) for k in ("tp", "fp", "fn"))
    any_metrics = binary_metrics([bool(t) for t in true_sets], [bool(p) for p in pred_sets], label=any_label)
    return MultiLabelMetrics(any_metrics, per_label, macro, _prf(tp, fp, fn)[2])


@dataclass(frozen=True)
class CalibrationBin:
    lower: float
    upper: float
    count: int
    confidence: float  # mean confidence in the bin
    accuracy: float  # share correct in the bin


@dataclass(frozen=True)
class Calibration:
    """Expected calibration error: sum over bins of (bin share) × |accuracy − confidence|."""

    ece: float
    n: int
    bins: tuple[CalibrationBin, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def expected_calibration_error(
    confidence: Sequence[float] | np.ndarray, correct: Sequence[bool] | np.ndarray, *, n_bins: int = 10
) -> Calibration:
    """ECE over ``n_bins`` equal-width confidence bins (right-closed; confidence 0 falls in the first bin)."""
    conf = np.asarray(confidence, dtype=np.float64)
    hit = np.asarray(correct, dtype=bool)
    if conf.shape != hit.shape:
        raise ValueError(f"confidence has {conf.shape} items, correct {hit.shape}")
    if conf.size and (np.nanmin(conf) < 0 or np.nanmax(conf) > 1 or np.isnan(conf).any()):
        raise ValueError("confidences must lie in [0, 1]")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, n_bins - 1)
    bins, ece = [], 0.0
    for b in range(n_bins):
        mask = which == b
        count = int(mask.sum())
        mean_conf = float(conf[mask].mean()) if count else 0.0
        accuracy = float(hit[mask].mean()) if count else 0.0
        if count:
            ece += count / conf.size * abs(accuracy - mean_conf)
        bins.append(CalibrationBin(float(edges[b]), float(edges[b + 1]), count, mean_conf, accuracy))
    return Calibration(float(ece), int(conf.size), tuple(bins))


def multiclass_calibration(proba: np.ndarray, gold_index: Sequence[int], *, n_bins: int = 10) -> Calibration:
    """ECE of the top class: confidence = max probability, correct = argmax equals gold."""
    proba = np.asarray(proba, dtype=np.float64)
    gold = np.asarray(gold_index)
    return expected_calibration_error(proba.max(axis=1), proba.argmax(axis=1) == gold, n_bins=n_bins)


def binary_calibration(
    p_positive: Sequence[float] | np.ndarray, gold: Sequence[bool] | np.ndarray, *, n_bins: int = 10
) -> Calibration:
    """ECE of a yes/no probability, scored as the confidence of the decision taken at 0.5."""
    p = np.asarray(p_positive, dtype=np.float64)
    decided = p >= 0.5
    return expected_calibration_error(
        np.where(decided, p, 1 - p), decided == np.asarray(gold, dtype=bool), n_bins=n_bins
    )
