"""Sentiment priors adapted to the corpus being labelled (label shift), from its unlabelled sentences.

The gold set is about a quarter neutral in every language; real reviews are often far less (one sentence in ten,
or fewer, among review sentences that carry an opinion). A calibrated classifier's probabilities carry the class
balance it was trained on, so on such a corpus it calls too much "neutral". The EM procedure of Saerens, Latinne and
Decaestecker (2002, "Adjusting the outputs of a classifier to new a priori probabilities") estimates the corpus's own
class priors from the model's probabilities alone and re-weights each sentence's probabilities by
``target prior / training prior``. No label of the corpus is used; the texts themselves are.

The training prior of a model is the mean of its calibrated sentiment probabilities on its dev sentences, per
language (stored in ``calibration.json`` as ``sentiment_priors``; ``"*"`` is all languages together). A language with
fewer than ``min_rows`` sentences in the batch keeps its probabilities as they are: the estimate needs numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

ALL_LANGUAGES = "*"
MIN_ROWS = 200  # sentences of one language in one call, below which its probabilities are left alone
MAX_ITERATIONS = 200
TOLERANCE = 1e-6
_FLOOR = 1e-6  # no prior is exactly zero: a class the corpus seems to lack keeps a trace of probability


@dataclass(frozen=True)
class PriorAdaptation:
    """Adapt sentiment probabilities to each language's estimated priors when it has ``min_rows`` sentences."""

    min_rows: int = MIN_ROWS

    def __post_init__(self) -> None:
        if self.min_rows < 1:
            raise ValueError(f"min_rows must be at least 1, got {self.min_rows}")


@dataclass(frozen=True)
class PriorEstimate:
    priors: np.ndarray  # [C], sums to 1
    iterations: int
    converged: bool


def training_priors(probs: np.ndarray, langs: Sequence[str | None]) -> dict[str, tuple[float, ...]]:
    """Mean calibrated probabilities per language and over all (``"*"``): the priors a model's outputs carry."""
    groups = {lang: rows for lang, rows in rows_by_language(probs, langs).items() if lang != ALL_LANGUAGES}
    if len(probs):
        groups[ALL_LANGUAGES] = list(range(len(probs)))
    return {lang: tuple(round(float(v), 6) for v in probs[rows].mean(axis=0)) for lang, rows in sorted(groups.items())}


def rows_by_language(probs: np.ndarray, langs: Sequence[str | None] | None) -> dict[str, list[int]]:
    """Row indices per lower-cased language code; rows without one (or all rows, when ``langs`` is None) under
    ``"*"``."""
    codes = list(langs) if langs is not None else [None] * len(probs)
    if len(codes) != len(probs):
        raise ValueError(f"{len(probs)} rows of probabilities for {len(codes)} languages")
    groups: dict[str, list[int]] = {}
    for row, lang in enumerate(codes):
        groups.setdefault(lang.lower() if lang else ALL_LANGUAGES, []).append(row)
    return groups


def source_for(source_priors: Mapping[str, Sequence[float]], lang: str) -> Sequence[float] | None:
    """The training prior of ``lang``, else the all-languages one, else None."""
    return source_priors.get(lang, source_priors.get(ALL_LANGUAGES))


def adjust(probs: np.ndarray, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Bayes' rule for a change of priors: ``p(y|x) * target[y] / source[y]``, renormalised per row."""
    ratio = np.maximum(target, _FLOOR) / np.maximum(source, _FLOOR)
    out = probs.astype(np.float64) * ratio
    return (out / out.sum(axis=1, keepdims=True)).astype(probs.dtype)


def estimate_priors(
    probs: np.ndarray, source: Sequence[float], *, max_iterations: int = MAX_ITERATIONS, tolerance: float = TOLERANCE
) -> PriorEstimate:
    """The class priors of the rows of ``probs`` (maximum likelihood, by EM), for a model whose outputs carry
    ``source``. Starts at ``source``; each step adjusts every row to the current estimate and averages."""
    src = np.asarray(source, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] != len(src):
        raise ValueError(f"probabilities of shape {probs.shape} for {len(src)} training priors")
    if not len(probs):
        raise ValueError("cannot estimate priors from no rows")
    p = probs.astype(np.float64)
    prior = src / src.sum()
    for iteration in range(1, max_iterations + 1):
        new = adjust(p, src, prior).mean(axis=0)
        if np.abs(new - prior).max() < tolerance:
            return PriorEstimate(new, iteration, True)
        prior = new
    return PriorEstimate(prior, max_iterations, False)


def adapt(
    probs: np.ndarray,
    langs: Sequence[str | None] | None,
    source_priors: Mapping[str, Sequence[float]],
    *,
    min_rows: int = MIN_ROWS,
) -> tuple[np.ndarray, dict[str, PriorEstimate]]:
    """(probabilities adjusted per language to its estimated priors, the estimate of each language adjusted).

    Rows are grouped by ``langs``, case aside (all one group when None). A group is adjusted with its language's
    training prior, else the all-languages one; a group with fewer than ``min_rows`` rows, or with no training prior
    at all, is returned unchanged.
    """
    out = probs.copy()
    estimates: dict[str, PriorEstimate] = {}
    for lang, rows in rows_by_language(probs, langs).items():
        source = source_for(source_priors, lang)
        if source is None or len(rows) < min_rows:
            continue
        estimate = estimate_priors(probs[rows], source)
        out[rows] = adjust(probs[rows], np.asarray(source, dtype=np.float64), estimate.priors)
        estimates[lang] = estimate
    return out, estimates
