"""Statistics behind every figure: NPS coding, seeded bootstrap resampling, percentile intervals.

All bootstrap estimates reuse one idea: a resample is a vector of multinomial counts ``w`` over the n records,
so any statistic built from weighted sums (a rate, a share, a ratio of sums, an NPS, a least-squares fit)
is evaluated for every resample at once with matrix products.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95
_CELLS_PER_CHUNK = 4_000_000  # resamples x records held in memory at once


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its bootstrap interval (NaN bounds when no resampling was asked for)."""

    value: float
    low: float
    high: float
    n: int


def nps_code(scores: np.ndarray) -> np.ndarray:
    """0–10 scores coded +100 (promoter, 9–10), 0 (passive, 7–8), −100 (detractor, 0–6); NaN stays NaN."""
    scores = np.asarray(scores, dtype=float)
    coded = np.where(scores >= 9, 100.0, np.where(scores >= 7, 0.0, -100.0))
    return np.where(np.isnan(scores), np.nan, coded)


def nps(scores: np.ndarray) -> float:
    """Net Promoter Score: % promoters − % detractors, in [−100, 100]; NaN for no scores."""
    coded = nps_code(scores)
    coded = coded[~np.isnan(coded)]
    return float(coded.mean()) if coded.size else float("nan")


def rng_for(seed: int, key: str) -> np.random.Generator:
    """A generator that depends only on the seed and a stable key, so results do not depend on call order."""
    return np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])


def resample_weights(n: int, samples: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Bootstrap resamples of n records as multinomial count vectors, yielded in chunks of shape (b, n)."""
    if n == 0 or samples == 0:
        return
    chunk = max(1, _CELLS_PER_CHUNK // n)
    probs = np.full(n, 1.0 / n)
    done = 0
    while done < samples:
        size = min(chunk, samples - done)
        yield rng.multinomial(n, probs, size=size).astype(float)
        done += size


def bootstrap(
    columns: np.ndarray,
    statistic: Callable[[np.ndarray, np.ndarray], np.ndarray],
    *,
    samples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Resampled values of ``statistic(weighted_sums, counts)``.

    ``columns`` is (n, k); for each resample the statistic receives the weighted column sums (b, k) and the
    weights (b, n) — enough for means, ratios of sums and differences between subsets.
    """
    columns = np.asarray(columns, dtype=float)
    if columns.ndim == 1:
        columns = columns[:, None]
    values = [statistic(w @ columns, w) for w in resample_weights(len(columns), samples, rng)]
    return np.concatenate(values) if values else np.empty(0)


def interval(point: float, resampled: np.ndarray, *, level: float = CONFIDENCE) -> tuple[float, float]:
    """Percentile interval of the resampled values, widened to include the point estimate.

    The widening only matters in tiny samples, where a percentile interval can miss its own estimate.
    """
    finite = resampled[np.isfinite(resampled)]
    if not np.isfinite(point) or finite.size == 0:
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(min(low, point)), float(max(high, point))


def ratio_estimate(
    numerator: np.ndarray, denominator: np.ndarray, *, samples: int, rng: np.random.Generator, scale: float = 1.0
) -> Estimate:
    """scale·Σnumerator / Σdenominator over records, with a record-level bootstrap interval.

    A rate is the ratio with denominator 1 per record; a mean score is the same; a sentence share is
    (service sentences per record) / (all sentences per record).
    """
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    total = den.sum()
    point = float(scale * num.sum() / total) if total > 0 else float("nan")
    resampled = bootstrap(
        np.column_stack([num, den]),
        lambda sums, _w: scale * _safe_divide(sums[:, 0], sums[:, 1]),
        samples=samples,
        rng=rng,
    )
    low, high = interval(point, resampled)
    return Estimate(point, low, high, len(num))


def mean_estimate(values: np.ndarray, *, samples: int, rng: np.random.Generator) -> Estimate:
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    return ratio_estimate(values, np.ones_like(values), samples=samples, rng=rng)


def difference_estimate(
    a: np.ndarray, b: np.ndarray, *, samples: int, rng: np.random.Generator, scale: float = 1.0
) -> Estimate:
    """mean(b) − mean(a) of two independent samples (a lift between periods), with a bootstrap interval."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.size == 0 or b.size == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), int(a.size + b.size))
    point = float(scale * (b.mean() - a.mean()))
    ra = bootstrap(a, lambda sums, w: sums[:, 0] / w.sum(axis=1), samples=samples, rng=rng)
    rb = bootstrap(b, lambda sums, w: sums[:, 0] / w.sum(axis=1), samples=samples, rng=rng)
    low, high = interval(point, scale * (rb - ra))
    return Estimate(point, low, high, int(a.size + b.size))


def _safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
