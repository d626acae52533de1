"""Paired bootstrap intervals for the headline figures of ``vocmine evaluate``.

A figure measured on a few hundred sentences would move on another sample of the same kind of text: with 177 service
sentences, SemEval service F1 is known to about ±0.04. Each suite's labelled examples are resampled with replacement
``RESAMPLES`` times and every system is scored on the *same* resamples (a paired bootstrap). So the interval of the
model's lead over a baseline reflects where the two systems disagree, and a lead whose interval lies above zero would
survive another sample. Percentile intervals; the resamples are seeded, so a report is reproducible.

This is sampling noise only. Retraining the model with another seed moves the figures too, and by as much (see the
README), which no interval computed from one model can show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from models.baselines import SystemOutput
from models.examples import LabelledExample, labelled_indices
from models.record_system import RECORD_SUFFIX
from pipeline.taxonomy import NO_SHARP_EDGE

RESAMPLES = 1000
LEVEL = 0.95
MAX_WEIGHT_CELLS = 4_000_000  # resamples × examples held at once per head: 16 MB in float32
MODEL = "model"  # the system whose leads are measured, and its by-sentence twin ``model_by_sentence``


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class Lead:
    """``system`` minus ``versus`` on one metric, with its paired interval."""

    system: str
    versus: str
    metric: str
    difference: float
    low: float
    high: float
    share_ahead: float  # share of resamples in which ``system`` scores strictly higher


@dataclass(frozen=True)
class Uncertainty:
    intervals: dict[str, dict[str, Interval]]  # system -> metric -> interval
    leads: tuple[Lead, ...]


def resample_weights(n: int, *, resamples: int = RESAMPLES, seed: int = 0) -> np.ndarray:
    """[resamples, n]: how many times each example is drawn in each resample (every row sums to ``n``)."""
    return _draw(np.random.default_rng(seed), n, resamples)


def _draw(rng: np.random.Generator, n: int, resamples: int) -> np.ndarray:
    # Drawing k rows, then m more, from one generator gives the same rows as drawing k + m at once.
    return rng.multinomial(n, np.full(n, 1.0 / n), size=resamples).astype(np.float32)


def binary_scores(gold: np.ndarray, pred: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall and F1 of a yes/no decision under each row of ``weights`` (``models.metrics`` conventions)."""
    tp, fp, fn = (weights @ v.astype(np.float32) for v in (gold & pred, ~gold & pred, gold & ~pred))
    return {
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
    }


def macro_f1(gold: np.ndarray, pred: np.ndarray, labels: Sequence[str], weights: np.ndarray) -> np.ndarray:
    """Macro-F1 under each row of ``weights``, over the labels present in that resample's gold or predictions."""
    f1s, present = [], []
    for label in labels:
        g, p = gold == label, pred == label
        tp, n_gold, n_pred = (weights @ v.astype(np.float32) for v in (g & p, g, p))
        f1s.append(_ratio(2 * tp, n_gold + n_pred))
        present.append(n_gold + n_pred > 0)
    f1, on = np.stack(f1s), np.stack(present)
    return _ratio((f1 * on).sum(axis=0), on.sum(axis=0).astype(np.float32))


def headline_samples(
    examples: Sequence[LabelledExample],
    output: SystemOutput,
    *,
    heads: Sequence[str],
    sentiment_labels: Sequence[str],
    sharp_edge_labels: Sequence[str],
    weights: Mapping[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Every headline figure of one system under each resample; ``weights[head]`` resamples that head's examples."""
    out: dict[str, np.ndarray] = {}
    if "service" in heads and "service" in weights:
        idx = labelled_indices(examples, "service")
        gold = np.array([bool(examples[i].service) for i in idx], dtype=bool)
        pred = np.array([bool(output.service[i]) for i in idx], dtype=bool)
        out |= {f"service.{k}": v for k, v in binary_scores(gold, pred, weights["service"]).items()}
    if "sentiment" in heads and "sentiment" in weights:
        idx = labelled_indices(examples, "sentiment")
        gold = np.array([examples[i].sentiment for i in idx], dtype=object)
        pred = np.array([output.sentiment[i] for i in idx], dtype=object)
        out["sentiment.macro_f1"] = macro_f1(gold, pred, sentiment_labels, weights["sentiment"])
    if "sharp_edge" in heads and "sharp_edge" in weights:
        idx = labelled_indices(examples, "sharp_edge")
        gold = np.array([examples[i].sharp_edge for i in idx], dtype=object)
        pred = np.array([output.sharp_edge[i] for i in idx], dtype=object)
        out["sharp_edge.macro_f1"] = macro_f1(gold, pred, sharp_edge_labels, weights["sharp_edge"])
        any_edge = binary_scores(gold != NO_SHARP_EDGE, pred != NO_SHARP_EDGE, weights["sharp_edge"])
        out["sharp_edge.any_f1"] = any_edge["f1"]
    return out


def paired_uncertainty(
    examples: Sequence[LabelledExample],
    outputs: Mapping[str, SystemOutput],
    *,
    heads: Sequence[str],
    sentiment_labels: Sequence[str],
    sharp_edge_labels: Sequence[str],
    resamples: int = RESAMPLES,
    seed: int = 0,
    max_cells: int = MAX_WEIGHT_CELLS,
) -> Uncertainty:
    """Intervals of every system's headline figures, and the model's leads over every other system of its kind
    (sentence-level against sentence-level, ``…_by_sentence`` against ``…_by_sentence``)."""
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    sizes, rngs = {}, {}
    for offset, head in enumerate(("service", "sentiment", "sharp_edge")):
        n = len(labelled_indices(examples, head))
        if head in heads and n:
            sizes[head], rngs[head] = n, np.random.default_rng(seed + offset)
    kwargs = dict(heads=heads, sentiment_labels=sentiment_labels, sharp_edge_labels=sharp_edge_labels)
    # Resamples are drawn and scored in chunks of at most ``max_cells`` weights per head, so memory stays flat however
    # large the suite; the chunks hold exactly the rows one draw of all the resamples would.
    step = max(1, max_cells // max(sizes.values(), default=1))
    chunks: dict[str, list[dict[str, np.ndarray]]] = {name: [] for name in outputs}
    for start in range(0, resamples, step):
        weights = {head: _draw(rngs[head], n, min(step, resamples - start)) for head, n in sizes.items()}
        for name, out in outputs.items():
            chunks[name].append(headline_samples(examples, out, weights=weights, **kwargs))
    samples = {name: {m: np.concatenate([c[m] for c in parts]) for m in parts[0]} for name, parts in chunks.items()}
    once = {head: np.ones((1, n), dtype=np.float32) for head, n in sizes.items()}
    points = {name: headline_samples(examples, out, weights=once, **kwargs) for name, out in outputs.items()}
    tail = (1 - LEVEL) / 2 * 100
    intervals = {
        name: {m: Interval(*(float(q) for q in np.percentile(v, [tail, 100 - tail]))) for m, v in figures.items()}
        for name, figures in samples.items()
    }
    leads = []
    for name in samples:
        if name not in (MODEL, MODEL + RECORD_SUFFIX):
            continue
        suffix = name[len(MODEL) :]
        for other in samples:
            if other == name or other.endswith(RECORD_SUFFIX) != bool(suffix):
                continue
            for metric, ours in samples[name].items():
                theirs = samples[other].get(metric)
                if theirs is None or not metric.endswith("f1"):
                    continue
                diff = ours - theirs
                low, high = (float(q) for q in np.percentile(diff, [tail, 100 - tail]))
                point = float(points[name][metric][0] - points[other][metric][0])
                leads.append(Lead(name, other, metric, point, low, high, float(np.mean(diff > 0))))
    return Uncertainty(intervals, tuple(leads))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, 0 where den is 0 (as ``models.metrics``)."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)
