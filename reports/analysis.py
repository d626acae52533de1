"""Every table of the report, computed from the stored frames by pure functions: ``analyse(...) -> Analysis``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reports import advocacy, attribution, drivers, findings, sharp_edges
from reports.aggregate import (
    Period,
    attach_records,
    driver_themes,
    record_frame,
    service_themes,
    theme_label,
)
from reports.attribution import Resampling
from reports.stats import Estimate, mean_estimate, ratio_estimate

SCORES = {"nps": "nps_points", "stars": "stars"}


@dataclass(frozen=True)
class KeyFigures:
    """The headline numbers of a report."""

    records: int
    periods: tuple[str, ...]
    model_version: str
    nps: Estimate | None = None
    stars: Estimate | None = None
    service_mention: Estimate | None = None
    cs_points: Estimate | None = None
    cs_stars: Estimate | None = None
    mention_lift: Estimate | None = None
    advocates: int = 0
    top_sharp_edge: str | None = None
    top_sharp_edge_records: int = 0
    spikes: int = 0


@dataclass(frozen=True)
class Analysis:
    tables: dict[str, pd.DataFrame]
    key: KeyFigures
    findings: tuple[str, ...]
    dimensions: tuple[str, ...]
    compare: tuple[str, str] | None
    service_kinds: tuple[str, ...]
    sharp_edge_categories: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())


def analyse(
    feedback: pd.DataFrame,
    tags: pd.DataFrame,
    sentences: pd.DataFrame,
    *,
    model_version: str,
    service_kinds: Sequence[str],
    sharp_edge_categories: Sequence[str],
    period: Period = "month",
    dimensions: Sequence[str] = ("plan", "language", "source"),
    opts: Resampling = Resampling(),
    max_quotes: int = 5,
) -> Analysis:
    records = record_frame(feedback, tags, sentences, period=period, service_kinds=service_kinds)
    partial = partial_periods(records)
    records = records[~records["period"].isin(partial)].reset_index(drop=True)
    sents = attach_records(sentences, records)
    themes, svc = driver_themes(service_kinds), service_themes(service_kinds)
    measures = ["any_service", *(f"svc_{k}" for k in service_kinds)]
    periods = sorted(records["period"].unique())
    compare = compared_periods(records, min_sample=opts.min_sample)
    t: dict[str, pd.DataFrame] = {}

    t["service_mentions"] = _label(attribution.mention_rates(records, by=["period"], measures=measures, opts=opts))
    t["theme_rates"] = _label(attribution.mention_rates(records, by=["period"], measures=svc, opts=opts))
    t["sentiment_shares"] = attribution.sentiment_shares(records, by=["period"], opts=opts)
    if compare:
        t["service_lift"] = _label(
            attribution.lift(records, before=compare[0], after=compare[1], measures=[*measures, *svc], opts=opts)
        )
    for score, column in SCORES.items():
        if not records[column].notna().any():
            continue
        summary = attribution.nps_summary if score == "nps" else attribution.stars_summary
        t[f"{score}_by_period"] = summary(records, by=["period"], opts=opts)
        t[f"removal_impact_{score}"] = _label(
            attribution.removal_impact(records, y=column, themes=["any_service", *svc], opts=opts), "theme"
        )
        t[f"contributions_{score}"] = _label(
            drivers.contributions(records, y=column, themes=themes, service=svc, opts=opts), "term"
        )
        t[f"contributions_{score}_total"] = _label(
            drivers.contributions(records, y=column, themes=themes, service=svc, by=[], opts=opts), "term"
        )
        t[f"relative_weights_{score}"] = _label(
            drivers.relative_weights(records, y=column, themes=themes, service=svc, opts=opts), "term"
        )
        if compare:
            t[f"change_{score}"] = _label(
                drivers.decompose_change(
                    records, y=column, themes=themes, service=svc, before=compare[0], after=compare[1], opts=opts
                ),
                "term",
            )
    t["segment_summary"] = _segment_summary(records, dimensions, opts)
    t["segment_trends"] = _segment_trends(records, dimensions, opts)

    candidates = advocacy.advocate_candidates(sents)
    t["advocates"] = candidates
    t["advocacy_by_period"] = advocacy.advocacy_rate(records, candidates, opts=opts)

    found = sorted(c for c in sents["sharp_edge"].dropna().unique() if c not in sharp_edge_categories)
    cats = [*sharp_edge_categories, *found]  # categories in the data but not in the taxonomy still count
    edge_rows = sharp_edges.edge_sentences(sents)
    t["sharp_edges_by_period"] = sharp_edges.by_period(records, sents, categories=cats)
    t["sharp_edge_segments"] = sharp_edges.segments_affected(
        records, sents, categories=cats, dimensions=dimensions, opts=opts
    )
    t["sharp_edges"] = sharp_edges.ranking(
        records, sents, t["sharp_edges_by_period"], t["sharp_edge_segments"], categories=cats, opts=opts
    )
    t["sharp_edge_spikes"] = sharp_edges.spike_profile(
        records, sents, t["sharp_edges_by_period"], dimensions=dimensions
    )
    t["sharp_edge_quotes"] = sharp_edges.representative_quotes(edge_rows, per_category=max_quotes)
    t["sharp_edge_sentences"] = edge_rows
    t["shifts"] = findings.shifts(records, themes=svc, dimensions=dimensions)

    key = _key_figures(records, t, model_version=model_version, periods=periods, opts=opts)
    lines = [findings.describe_shift(row) for _, row in findings.headline_shifts(t["shifts"]).iterrows()]
    lines += findings.describe_spikes(t["sharp_edges_by_period"], t["sharp_edge_spikes"])
    notes = [
        f"Period {p} has only {n} record(s), a partial period at the edge of the data; it is left out."
        for p, n in partial.items()
    ]
    if len(tags) < len(feedback):
        notes.append(
            f"{len(feedback) - len(tags)} records in the window are not tagged by model {model_version} "
            "and are left out; run `vocmine process`."
        )
    return Analysis(
        tables=t,
        key=key,
        findings=tuple(lines),
        dimensions=tuple(dimensions),
        compare=compare,
        service_kinds=tuple(service_kinds),
        sharp_edge_categories=tuple(cats),
        notes=tuple(notes),
    )


def partial_periods(records: pd.DataFrame, *, fraction: float = 0.2) -> dict[str, int]:
    """Leading or trailing periods with fewer than ``fraction`` × the median period's records (a month cut by the
    data's start or end, or by time zones), which would otherwise show as sudden drops."""
    sizes = records.groupby("period").size().sort_index()
    if len(sizes) < 3:
        return {}
    floor = fraction * float(sizes.median())
    partial: dict[str, int] = {}
    for order in (sizes, sizes.iloc[::-1]):
        for label, n in order.items():
            if n >= floor:
                break
            partial[str(label)] = int(n)
    return partial


def compared_periods(records: pd.DataFrame, *, min_sample: int) -> tuple[str, str] | None:
    """The last two periods with at least ``min_sample`` records with text (else simply the last two)."""
    periods = sorted(records["period"].unique())
    if len(periods) < 2:
        return None
    sizes = records[records["has_text"]].groupby("period").size()
    big = [p for p in periods if sizes.get(p, 0) >= min_sample]
    chosen = big[-2:] if len(big) >= 2 else periods[-2:]
    return str(chosen[0]), str(chosen[1])


def _key_figures(
    records: pd.DataFrame, t: dict[str, pd.DataFrame], *, model_version: str, periods: list[str], opts: Resampling
) -> KeyFigures:
    overall = {}
    for score, column in SCORES.items():
        values = records[column].dropna().to_numpy()
        if values.size:
            overall[score] = mean_estimate(values, samples=opts.samples, rng=opts.rng("key", score))
    texts = records.loc[records["has_text"], "any_service"].to_numpy(dtype=float)
    mention = ratio_estimate(texts, np.ones_like(texts), samples=opts.samples, rng=opts.rng("key", "mention"))
    lift_table = t.get("service_lift")
    lift = None
    if lift_table is not None:
        row = lift_table[lift_table["measure"] == "any_service"].iloc[0]
        lift = Estimate(row["lift"], row["ci_low"], row["ci_high"], int(row["n_before"] + row["n_after"]))
    edges = t["sharp_edges"]
    top = edges.iloc[0] if len(edges) and edges.iloc[0]["records"] > 0 else None
    return KeyFigures(
        records=len(records),
        periods=tuple(periods),
        model_version=model_version,
        nps=overall.get("nps"),
        stars=overall.get("stars"),
        service_mention=mention,
        cs_points=_service_total(t, "nps"),
        cs_stars=_service_total(t, "stars"),
        mention_lift=lift,
        advocates=len(t["advocates"]),
        top_sharp_edge=str(top["category"]) if top is not None else None,
        top_sharp_edge_records=int(top["records"]) if top is not None else 0,
        spikes=int(t["sharp_edges_by_period"]["spike"].sum()),
    )


def _service_total(t: dict[str, pd.DataFrame], score: str) -> Estimate | None:
    table = t.get(f"contributions_{score}_total")
    if table is None or table.empty:
        return None
    row = table[table["kind"] == "total"].iloc[0]
    return Estimate(row["points"], row["ci_low"], row["ci_high"], int(row["n"]))


def _segment_summary(records: pd.DataFrame, dimensions: Sequence[str], opts: Resampling) -> pd.DataFrame:
    parts = []
    for dim in dimensions:
        base = records.groupby(dim).size().rename("records").reset_index()
        nps = attribution.nps_summary(records, by=[dim], opts=opts)[[dim, "n", "nps", "nps_low", "nps_high"]]
        nps = nps.rename(columns={"n": "nps_n"})
        stars = attribution.stars_summary(records, by=[dim], opts=opts)
        stars = stars[[dim, "n", "mean_stars", "mean_stars_low", "mean_stars_high"]].rename(columns={"n": "stars_n"})
        mention = attribution.mention_rates(records, by=[dim], measures=["any_service"], opts=opts)
        mention = mention[[dim, "n", "value", "ci_low", "ci_high"]].rename(
            columns={"n": "text_n", "value": "mention", "ci_low": "mention_low", "ci_high": "mention_high"}
        )
        merged = base.merge(nps, on=dim, how="left").merge(stars, on=dim, how="left").merge(mention, on=dim, how="left")
        parts.append(merged.rename(columns={dim: "segment"}).assign(dimension=dim))
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    out["small_sample"] = out["records"] < opts.min_sample
    return out[["dimension", "segment", *[c for c in out.columns if c not in ("dimension", "segment")]]]


def _segment_trends(records: pd.DataFrame, dimensions: Sequence[str], opts: Resampling) -> pd.DataFrame:
    parts = []
    for dim in dimensions:
        nps = attribution.nps_summary(records, by=[dim, "period"], opts=opts)
        parts.append(
            pd.DataFrame(
                {
                    "dimension": dim,
                    "segment": nps[dim],
                    "period": nps["period"],
                    "measure": "nps",
                    "n": nps["n"],
                    "value": nps["nps"],
                    "ci_low": nps["nps_low"],
                    "ci_high": nps["nps_high"],
                    "small_sample": nps["small_sample"],
                }
            )
        )
        rates = attribution.mention_rates(records, by=[dim, "period"], measures=["any_service"], opts=opts)
        parts.append(rates.rename(columns={dim: "segment"}).assign(dimension=dim))
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    out["measure"] = out["measure"].fillna("nps")
    return out[["dimension", "segment", "period", "measure", "n", "value", "ci_low", "ci_high", "small_sample"]]


def _label(table: pd.DataFrame, column: str = "measure") -> pd.DataFrame:
    """Add a human-readable ``label`` beside a theme/measure id column."""
    names = {
        "any_service": "any service mention",
        "intercept": "baseline (intercept)",
        "service_total": "customer service (total)",
    }
    labels = [names.get(v) or (f"{v[4:]} mention" if v.startswith("svc_") else theme_label(v)) for v in table[column]]
    return table.assign(label=labels)
