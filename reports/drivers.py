"""Driver analysis of a score (NPS-coded or stars) on theme-with-polarity indicators.

* Additive contribution: OLS with intercept, y = b0 + Σ b_j·x_j. Because the residuals of an OLS fit with an
  intercept sum to zero, mean(y) = b0 + Σ b_j·p_j exactly (p_j = share of records with theme j), so each theme
  carries b_j·p_j points of the score and customer service carries the sum over the service themes.
* Change between two periods: Δ(b·p) = b̄·Δp + p̄·Δb (midpoint identity), a volume part and a rate part, + Δb0.
* Relative weights (Johnson 2000): how much of R² each driver accounts for, robust to correlated drivers.

All of these describe associations in the data, not causal effects.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from reports.attribution import Resampling, groups
from reports.stats import interval, resample_weights


def fit(y: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """OLS of y on x with an intercept: (b0, b).

    A theme present in all or none of the records gets b = 0 (its effect, if any, is the intercept's);
    other rank-deficient designs get the minimum-norm solution. Either way mean(y) = b0 + Σ b_j·mean(x_j).
    """
    varying = x.std(axis=0) > 0 if len(y) else np.zeros(x.shape[1], dtype=bool)
    design = np.column_stack([np.ones(len(y)), x[:, varying]])
    coefs, *_ = np.linalg.lstsq(design, y, rcond=None)
    b = np.zeros(x.shape[1])
    b[varying] = coefs[1:]
    return float(coefs[0]), b


def fit_resamples(
    y: np.ndarray, x: np.ndarray, *, samples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap fits: coefficients (B, 1 + k) with the intercept first, and prevalences (B, k)."""
    n, k = x.shape
    if n == 0 or samples == 0:
        return np.empty((0, k + 1)), np.empty((0, k))
    design = np.column_stack([np.ones(n), x])
    outer = (design[:, :, None] * design[:, None, :]).reshape(n, -1)
    coefs, prevalence = [], []
    for weights in resample_weights(n, samples, rng):
        gram = (weights @ outer).reshape(len(weights), k + 1, k + 1)
        moment = weights @ (design * y[:, None])
        coefs.append(np.einsum("bij,bj->bi", np.linalg.pinv(gram, hermitian=True), moment))
        prevalence.append((weights @ x) / weights.sum(axis=1, keepdims=True))
    return np.concatenate(coefs), np.concatenate(prevalence)


def contributions(
    records: pd.DataFrame,
    *,
    y: str,
    themes: Sequence[str],
    service: Sequence[str],
    by: Sequence[str] = ("period",),
    opts: Resampling,
) -> pd.DataFrame:
    """Points of the score carried by each theme (b_j·p_j), the intercept, and the service total, per group.

    Columns: group…, term, kind (intercept|service|other|total), coef, prevalence, points, ci_low, ci_high,
    n, score (the observed mean), small_sample. For each group Σ points over intercept/service/other = score.
    """
    scored = records[records[y].notna()]
    rows = []
    is_service = np.array([t in service for t in themes])
    for group, part in groups(scored, by):
        values = part[y].to_numpy(dtype=float)
        x = part[list(themes)].to_numpy(dtype=float)
        b0, b = fit(values, x)
        p = x.mean(axis=0)
        coefs, prev = fit_resamples(values, x, samples=opts.samples, rng=opts.rng("ols", y, *group.values()))
        resampled_points = coefs[:, 1:] * prev
        common = {
            **group,
            "n": len(values),
            "score": float(values.mean()),
            "small_sample": len(values) < opts.min_sample,
        }
        low, high = interval(b0, coefs[:, 0])
        rows.append(
            {
                **common,
                "term": "intercept",
                "kind": "intercept",
                "coef": b0,
                "prevalence": 1.0,
                "points": b0,
                "ci_low": low,
                "ci_high": high,
            }
        )
        for j, theme in enumerate(themes):
            low, high = interval(b[j] * p[j], resampled_points[:, j])
            rows.append(
                {
                    **common,
                    "term": theme,
                    "kind": "service" if is_service[j] else "other",
                    "coef": b[j],
                    "prevalence": p[j],
                    "points": b[j] * p[j],
                    "ci_low": low,
                    "ci_high": high,
                }
            )
        total = float((b * p)[is_service].sum())
        low, high = interval(total, resampled_points[:, is_service].sum(axis=1))
        rows.append(
            {
                **common,
                "term": "service_total",
                "kind": "total",
                "coef": np.nan,
                "prevalence": np.nan,
                "points": total,
                "ci_low": low,
                "ci_high": high,
            }
        )
    columns = [*by, "term", "kind", "coef", "prevalence", "points", "ci_low", "ci_high", "n", "score", "small_sample"]
    return pd.DataFrame(rows, columns=columns)


def decompose_change(
    records: pd.DataFrame,
    *,
    y: str,
    themes: Sequence[str],
    service: Sequence[str],
    before: str,
    after: str,
    opts: Resampling,
) -> pd.DataFrame:
    """Split the change of the score from period ``before`` to ``after`` into volume and rate parts per theme.

    volume_j = b̄_j·Δp_j (the theme became more or less common), rate_j = p̄_j·Δb_j (its association with the
    score changed); the intercept row carries Δb0. Σ volume + Σ rate + Δb0 = score(after) − score(before).
    """
    scored = records[records[y].notna()]
    parts = [scored[scored["period"] == period] for period in (before, after)]
    fits, boots = [], []
    for period, part in zip((before, after), parts, strict=True):
        values, x = part[y].to_numpy(dtype=float), part[list(themes)].to_numpy(dtype=float)
        b0, b = fit(values, x) if len(values) else (np.nan, np.full(len(themes), np.nan))
        fits.append((b0, b, x.mean(axis=0) if len(values) else np.full(len(themes), np.nan)))
        boots.append(fit_resamples(values, x, samples=opts.samples, rng=opts.rng("change", y, period, before, after)))
    (b0a, ba, pa), (b0b, bb, pb) = fits
    volume, rate = (ba + bb) / 2 * (pb - pa), (pa + pb) / 2 * (bb - ba)
    (ca, qa), (cb, qb) = boots
    resampled = len(ca) and len(cb)
    rv = (ca[:, 1:] + cb[:, 1:]) / 2 * (qb - qa) if resampled else np.empty((0, len(themes)))
    rr = (qa + qb) / 2 * (cb[:, 1:] - ca[:, 1:]) if resampled else np.empty((0, len(themes)))
    small = min(len(parts[0]), len(parts[1])) < opts.min_sample
    rows = []
    for j, theme in enumerate(themes):
        vlow, vhigh = interval(volume[j], rv[:, j])
        rlow, rhigh = interval(rate[j], rr[:, j])
        rows.append(
            {
                "term": theme,
                "kind": "service" if theme in service else "other",
                "before": before,
                "after": after,
                "volume": volume[j],
                "volume_low": vlow,
                "volume_high": vhigh,
                "rate": rate[j],
                "rate_low": rlow,
                "rate_high": rhigh,
                "total": volume[j] + rate[j],
                "small_sample": small,
            }
        )
    low, high = interval(b0b - b0a, cb[:, 0] - ca[:, 0] if resampled else np.empty(0))
    rows.append(
        {
            "term": "intercept",
            "kind": "intercept",
            "before": before,
            "after": after,
            "volume": 0.0,
            "volume_low": 0.0,
            "volume_high": 0.0,
            "rate": b0b - b0a,
            "rate_low": low,
            "rate_high": high,
            "total": b0b - b0a,
            "small_sample": small,
        }
    )
    return pd.DataFrame(rows)


def johnson_weights(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, float]:
    """Relative weights (Johnson 2000): raw weights ε_j (summing to R²) and R². Constant columns get 0."""
    k = x.shape[1]
    varying = x.std(axis=0) > 0
    weights = np.zeros(k)
    if varying.sum() == 0 or np.std(y) == 0:
        return weights, 0.0
    xs = x[:, varying]
    corr = np.corrcoef(np.column_stack([xs, y]), rowvar=False)
    rxx, rxy = corr[:-1, :-1], corr[:-1, -1]
    eigval, eigvec = np.linalg.eigh(rxx)
    lam = eigvec @ np.diag(np.sqrt(np.clip(eigval, 0, None))) @ eigvec.T  # correlations of X with orthogonal Z
    beta = np.linalg.pinv(lam) @ rxy  # regression of y on Z
    weights[varying] = (lam**2) @ (beta**2)
    return weights, float(weights.sum())


def relative_weights(
    records: pd.DataFrame, *, y: str, themes: Sequence[str], service: Sequence[str], opts: Resampling
) -> pd.DataFrame:
    """Each theme's share of the explained variance (R²) of the score, with bootstrap intervals."""
    scored = records[records[y].notna()]
    values, x = scored[y].to_numpy(dtype=float), scored[list(themes)].to_numpy(dtype=float)
    raw, r2 = johnson_weights(values, x) if len(values) > 2 else (np.zeros(len(themes)), 0.0)
    share = raw / r2 if r2 > 0 else np.zeros(len(themes))
    rng = opts.rng("relative-weights", y)
    resampled = []
    for _ in range(opts.samples if len(values) > 2 else 0):
        idx = rng.integers(0, len(values), len(values))
        w, total = johnson_weights(values[idx], x[idx])
        resampled.append(w / total if total > 0 else np.full(len(themes), np.nan))
    boot = np.array(resampled) if resampled else np.empty((0, len(themes)))
    rows = []
    for j, theme in enumerate(themes):
        low, high = interval(share[j], boot[:, j])
        rows.append(
            {
                "term": theme,
                "kind": "service" if theme in service else "other",
                "raw_weight": raw[j],
                "share": share[j],
                "ci_low": low,
                "ci_high": high,
                "r2": r2,
                "n": len(values),
                "small_sample": len(values) < opts.min_sample,
            }
        )
    return pd.DataFrame(rows).sort_values("share", ascending=False, ignore_index=True)
