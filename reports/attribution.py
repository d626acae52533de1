"""How much of customers' sentiment and score is about service: rates, shares, NPS and removal impact.

Every function takes the record frame of ``reports.aggregate`` and returns a long table with a bootstrap
interval on each estimate and a ``small_sample`` flag. These are associations, not causal effects.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reports.stats import Estimate, bootstrap, difference_estimate, interval, ratio_estimate, rng_for


@dataclass(frozen=True)
class Resampling:
    """Bootstrap settings shared by every table: resamples, seed, and the size below which we warn."""

    samples: int = 500
    seed: int = 7
    min_sample: int = 30

    def rng(self, *key: object) -> np.random.Generator:
        return rng_for(self.seed, "/".join(map(str, key)))


def groups(frame: pd.DataFrame, by: Sequence[str]) -> Iterator[tuple[dict[str, object], pd.DataFrame]]:
    """(group values, rows) for each group of ``by``; one group with no values when ``by`` is empty."""
    if not by:
        yield {}, frame
        return
    for key, rows in frame.groupby(list(by), sort=True, dropna=False):
        values = key if isinstance(key, tuple) else (key,)
        yield dict(zip(by, values, strict=True)), rows


def estimate_row(group: dict[str, object], est: Estimate, opts: Resampling, **extra: object) -> dict[str, object]:
    return {
        **group,
        **extra,
        "n": est.n,
        "value": est.value,
        "ci_low": est.low,
        "ci_high": est.high,
        "small_sample": est.n < opts.min_sample,
    }


def mention_rates(
    records: pd.DataFrame, *, by: Sequence[str], measures: Sequence[str], opts: Resampling
) -> pd.DataFrame:
    """Share of records with text that mention each measure (``has_service``, ``svc_<kind>`` or a theme)."""
    rows = []
    texts = records[records["has_text"]]
    for group, part in groups(texts, by):
        for measure in measures:
            flags = part[measure].to_numpy(dtype=float)
            est = ratio_estimate(
                flags, np.ones_like(flags), samples=opts.samples, rng=opts.rng("mention", measure, *group.values())
            )
            rows.append(estimate_row(group, est, opts, measure=measure, count=int(flags.sum())))
    return pd.DataFrame(rows, columns=[*by, "measure", "count", "n", "value", "ci_low", "ci_high", "small_sample"])


def lift(records: pd.DataFrame, *, before: str, after: str, measures: Sequence[str], opts: Resampling) -> pd.DataFrame:
    """Change of each mention rate from period ``before`` to period ``after`` (percentage points)."""
    texts = records[records["has_text"]]
    a, b = texts[texts["period"] == before], texts[texts["period"] == after]
    rows = []
    for measure in measures:
        fa, fb = a[measure].to_numpy(dtype=float), b[measure].to_numpy(dtype=float)
        est = difference_estimate(fa, fb, samples=opts.samples, rng=opts.rng("lift", measure, before, after))
        rows.append(
            {
                "measure": measure,
                "before": before,
                "after": after,
                "rate_before": fa.mean() if fa.size else np.nan,
                "rate_after": fb.mean() if fb.size else np.nan,
                "n_before": fa.size,
                "n_after": fb.size,
                "lift": est.value,
                "ci_low": est.low,
                "ci_high": est.high,
                "small_sample": min(fa.size, fb.size) < opts.min_sample,
            }
        )
    return pd.DataFrame(rows)


def sentiment_shares(records: pd.DataFrame, *, by: Sequence[str], opts: Resampling) -> pd.DataFrame:
    """Share of positive (negative) sentences that are about service; net service sentiment per 100 records."""
    rows = []
    for group, part in groups(records, by):
        key = tuple(group.values())
        for measure, num, den, scale in (
            ("positive_share", part["pos_service_sentences"], part["pos_sentences"], 1.0),
            ("negative_share", part["neg_service_sentences"], part["neg_sentences"], 1.0),
            (
                "net_per_100",
                part["pos_service_sentences"] - part["neg_service_sentences"],
                pd.Series(1, index=part.index),
                100.0,
            ),
        ):
            est = ratio_estimate(
                num.to_numpy(), den.to_numpy(), samples=opts.samples, rng=opts.rng("share", measure, *key), scale=scale
            )
            rows.append(
                estimate_row(group, est, opts, measure=measure, numerator=int(num.sum()), denominator=int(den.sum()))
            )
    columns = [*by, "measure", "numerator", "denominator", "n", "value", "ci_low", "ci_high", "small_sample"]
    return pd.DataFrame(rows, columns=columns)


def nps_summary(records: pd.DataFrame, *, by: Sequence[str], opts: Resampling) -> pd.DataFrame:
    """NPS with the shares of promoters, passives and detractors, each with an interval (NPS records only)."""
    scored = records[records["nps_points"].notna()]
    rows = []
    for group, part in groups(scored, by):
        points = part["nps_points"].to_numpy()
        row: dict[str, object] = {**group, "n": len(points)}
        for name, values in (
            ("promoters", points == 100),
            ("passives", points == 0),
            ("detractors", points == -100),
            ("nps", points),
        ):
            est = ratio_estimate(
                values.astype(float),
                np.ones(len(points)),
                samples=opts.samples,
                rng=opts.rng("nps", name, *group.values()),
            )
            row.update({name: est.value, f"{name}_low": est.low, f"{name}_high": est.high})
        row["small_sample"] = len(points) < opts.min_sample
        rows.append(row)
    return pd.DataFrame(rows, columns=_summary_columns(by, ["promoters", "passives", "detractors", "nps"]))


def stars_summary(records: pd.DataFrame, *, by: Sequence[str], opts: Resampling) -> pd.DataFrame:
    """Mean star rating with the shares of 5-star and 1–2-star records (records with a rating only)."""
    rated = records[records["stars"].notna()]
    rows = []
    for group, part in groups(rated, by):
        stars = part["stars"].to_numpy()
        row: dict[str, object] = {**group, "n": len(stars)}
        for name, values in (("five_star", stars >= 5), ("low_star", stars <= 2), ("mean_stars", stars)):
            est = ratio_estimate(
                values.astype(float),
                np.ones(len(stars)),
                samples=opts.samples,
                rng=opts.rng("stars", name, *group.values()),
            )
            row.update({name: est.value, f"{name}_low": est.low, f"{name}_high": est.high})
        row["small_sample"] = len(stars) < opts.min_sample
        rows.append(row)
    return pd.DataFrame(rows, columns=_summary_columns(by, ["five_star", "low_star", "mean_stars"]))


def removal_impact(records: pd.DataFrame, *, y: str, themes: Sequence[str], opts: Resampling) -> pd.DataFrame:
    """score(all) − score(records without the theme), per theme, with the identity n_t·(s_t − s)/(N − n_t)."""
    scored = records[records[y].notna()]
    values = scored[y].to_numpy(dtype=float)
    total, overall = len(values), float(values.mean()) if len(values) else np.nan
    rows = []
    for theme in themes:
        flags = scored[theme].to_numpy(dtype=float)
        n_t = int(flags.sum())
        without = values[flags == 0]
        impact = overall - float(without.mean()) if without.size and total else np.nan
        with_theme = float(values[flags == 1].mean()) if n_t else np.nan
        identity = n_t * (with_theme - overall) / (total - n_t) if n_t and total > n_t else np.nan
        resampled = bootstrap(
            np.column_stack([values, flags, values * flags]),
            _removal_statistic,
            samples=opts.samples,
            rng=opts.rng("removal", y, theme),
        )
        low, high = interval(impact, resampled) if n_t else (np.nan, np.nan)
        rows.append(
            {
                "theme": theme,
                "n": total,
                "n_theme": n_t,
                "score_all": overall,
                "score_theme": with_theme,
                "score_without": float(without.mean()) if without.size else np.nan,
                "impact": impact,
                "impact_identity": identity,
                "ci_low": low,
                "ci_high": high,
                "small_sample": n_t < opts.min_sample,
            }
        )
    return pd.DataFrame(rows)


def _removal_statistic(sums: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Resampled mean(all) − mean(without theme) from the weighted sums of (y, flag, y·flag)."""
    count = weights.sum(axis=1)
    rest = count - sums[:, 1]
    without = np.divide(sums[:, 0] - sums[:, 2], rest, out=np.full(len(rest), np.nan), where=rest > 0)
    return sums[:, 0] / count - without


def _summary_columns(by: Sequence[str], names: Sequence[str]) -> list[str]:
    return [*by, "n", *(c for name in names for c in (name, f"{name}_low", f"{name}_high")), "small_sample"]
