"""Policy sharp edges for product: ranked by volume × negativity, with trend, spikes, segments and quotes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from reports.aggregate import UNKNOWN
from reports.attribution import Resampling

SPIKE_WINDOW = 6  # trailing periods that form a category's own baseline
SPIKE_MIN_HISTORY = 3
SPIKE_Z = 3.5  # robust z above which a period counts as a spike (Iglewicz & Hoaglin's outlier cut-off)
SPIKE_MIN_COUNT = 3
SENTENCE_COLUMNS = [
    "category",
    "date",
    "period",
    "source",
    "kind",
    "plan",
    "language",
    "region",
    "quote",
    "confidence",
    "sentiment",
    "url",
    "external_id",
]


def edge_sentences(sentences: pd.DataFrame) -> pd.DataFrame:
    """Every sharp-edge sentence, most confident first: the export for product teams."""
    edges = sentences[sentences["sharp_edge"].notna()]
    out = pd.DataFrame(
        {
            "category": edges["sharp_edge"],
            "date": edges["created_at"].dt.date,
            "period": edges["period"],
            "source": edges["source"],
            "kind": edges["kind"],
            "plan": edges["plan"],
            "language": edges["language"],
            "region": edges["region"],
            "quote": edges["text_redacted"],
            "confidence": edges["sharp_edge_score"].astype(float).fillna(0.0),
            "sentiment": edges["sentiment"],
            "url": edges["url"],
            "external_id": edges["external_id"],
        }
    )
    return out.sort_values(["category", "confidence"], ascending=[True, False], ignore_index=True)


def edge_records(sentences: pd.DataFrame) -> pd.DataFrame:
    """(source, external_id, category) once per record that has the category."""
    edges = sentences[sentences["sharp_edge"].notna()]
    return edges[["source", "external_id", "sharp_edge"]].drop_duplicates().rename(columns={"sharp_edge": "category"})


def by_period(records: pd.DataFrame, sentences: pd.DataFrame, *, categories: Sequence[str]) -> pd.DataFrame:
    """Records per category and period, against the category's trailing median (robust z, spike flag).

    z = (count − median of the previous ≤6 periods) / max(1.4826·MAD, √max(median, 1)); a spike is z ≥ 3.5
    with at least 3 records and 3 periods of history. The √median floor keeps a flat series from flagging noise.
    """
    periods = sorted(records["period"].unique())
    totals = records.groupby("period").size().reindex(periods, fill_value=0)
    hits = edge_records(sentences).merge(records[["source", "external_id", "period"]], on=["source", "external_id"])
    counts = hits.groupby(["category", "period"]).size()
    rows = []
    for category in categories:
        series = np.array([int(counts.get((category, p), 0)) for p in periods])
        for i, period in enumerate(periods):
            history = series[max(0, i - SPIKE_WINDOW) : i]
            median = float(np.median(history)) if len(history) else np.nan
            mad = float(np.median(np.abs(history - median))) if len(history) else np.nan
            scale = max(1.4826 * mad, np.sqrt(max(median, 1.0))) if len(history) else np.nan
            z = (series[i] - median) / scale if len(history) else np.nan
            spike = bool(len(history) >= SPIKE_MIN_HISTORY and z >= SPIKE_Z and series[i] >= SPIKE_MIN_COUNT)
            rows.append(
                {
                    "category": category,
                    "period": period,
                    "count": int(series[i]),
                    "records": int(totals[period]),
                    "rate": series[i] / totals[period] if totals[period] else np.nan,
                    "baseline": median,
                    "robust_z": z,
                    "spike": spike,
                }
            )
    return pd.DataFrame(
        rows, columns=["category", "period", "count", "records", "rate", "baseline", "robust_z", "spike"]
    )


def segments_affected(
    records: pd.DataFrame,
    sentences: pd.DataFrame,
    *,
    categories: Sequence[str],
    dimensions: Sequence[str],
    opts: Resampling,
) -> pd.DataFrame:
    """Rate of each category per segment value, and its ratio to the category's overall rate."""
    texts = records[records["has_text"]]
    hits = edge_records(sentences)
    rows = []
    for category in categories:
        keys = set(zip(*(hits.loc[hits["category"] == category, c] for c in ("source", "external_id")), strict=True))
        flag = pd.Series(
            [k in keys for k in zip(texts["source"], texts["external_id"], strict=True)], index=texts.index
        )
        overall = float(flag.mean()) if len(flag) else np.nan
        for dimension in dimensions:
            for value, part in flag.groupby(texts[dimension]):
                rate = float(part.mean())
                rows.append(
                    {
                        "category": category,
                        "dimension": dimension,
                        "segment": value,
                        "count": int(part.sum()),
                        "n": len(part),
                        "rate": rate,
                        "overall_rate": overall,
                        "ratio": rate / overall if overall else np.nan,
                        "small_sample": len(part) < opts.min_sample,
                    }
                )
    return pd.DataFrame(
        rows,
        columns=["category", "dimension", "segment", "count", "n", "rate", "overall_rate", "ratio", "small_sample"],
    )


def spike_profile(
    records: pd.DataFrame, sentences: pd.DataFrame, periods: pd.DataFrame, *, dimensions: Sequence[str]
) -> pd.DataFrame:
    """Who is behind each category's spikes: per segment value, its share of the category's records in the spike
    periods against its share of all records in those periods (lift = share ÷ base share). Shares are among
    records whose segment is known (reviews rarely carry a plan tier)."""
    rows = []
    hits = edge_records(sentences).merge(records, on=["source", "external_id"])
    for category, spikes in periods[periods["spike"]].groupby("category", sort=False):
        window = set(spikes["period"])
        mine = hits[(hits["category"] == category) & hits["period"].isin(window)]
        base = records[records["period"].isin(window)]
        for dimension in dimensions:
            known, known_base = mine[mine[dimension] != UNKNOWN], base[base[dimension] != UNKNOWN]
            share = known[dimension].value_counts(normalize=True)
            base_share = known_base[dimension].value_counts(normalize=True)
            for segment, value in share.items():
                rows.append(
                    {
                        "category": category,
                        "periods": ", ".join(sorted(window)),
                        "dimension": dimension,
                        "segment": segment,
                        "records": int((mine[dimension] == segment).sum()),
                        "share": value,
                        "base_share": base_share.get(segment, np.nan),
                        "lift": value / base_share.get(segment, np.nan),
                    }
                )
    columns = ["category", "periods", "dimension", "segment", "records", "share", "base_share", "lift"]
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["category", "lift"], ascending=[True, False], ignore_index=True)


def ranking(
    records: pd.DataFrame,
    sentences: pd.DataFrame,
    periods: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    categories: Sequence[str],
    opts: Resampling,
) -> pd.DataFrame:
    """One row per category, ranked by severity = records with the category × share of its sentences negative."""
    texts = records[records["has_text"]]
    edges = sentences[sentences["sharp_edge"].notna()]
    hits = edge_records(sentences).merge(records, on=["source", "external_id"])
    rows = []
    for category in categories:
        mine = edges[edges["sharp_edge"] == category]
        affected = hits[hits["category"] == category]
        series = periods[periods["category"] == category].sort_values("period")
        spikes = series.loc[series["spike"], "period"]
        worst = segments[(segments["category"] == category) & ~segments["small_sample"] & (segments["count"] > 0)]
        worst = worst[worst["segment"].astype(str) != UNKNOWN]
        worst = worst.sort_values("ratio", ascending=False).head(2)
        negativity = float(mine["neg"].mean()) if len(mine) else np.nan
        rows.append(
            {
                "category": category,
                "records": len(affected),
                "sentences": len(mine),
                "share_of_records": len(affected) / len(texts) if len(texts) else np.nan,
                "negativity": negativity,
                "severity": len(affected) * (negativity if len(mine) else 0.0),
                "first_seen": affected["created_at"].min().date() if len(affected) else None,
                "last_seen": affected["created_at"].max().date() if len(affected) else None,
                "trend": _trend(series["count"].to_numpy()),
                "spikes": ", ".join(spikes),
                "nps_affected": affected["nps_points"].mean() if affected["nps_points"].notna().any() else np.nan,
                "stars_affected": affected["stars"].mean() if affected["stars"].notna().any() else np.nan,
                "most_affected": ", ".join(f"{r.dimension}={r.segment} ({r.ratio:.1f}×)" for r in worst.itertuples()),
            }
        )
    out = pd.DataFrame(rows)
    return out.sort_values(["severity", "records"], ascending=False, ignore_index=True) if len(out) else out


def representative_quotes(edge_rows: pd.DataFrame, *, per_category: int) -> pd.DataFrame:
    """Up to ``per_category`` quotes per category: most confident first, rotating languages, no near-duplicates."""
    picked = []
    for _category, rows in edge_rows.groupby("category", sort=False):
        queues = [q.to_dict("records") for _, q in rows.groupby("language", sort=False)]
        queues.sort(key=lambda q: -q[0]["confidence"])
        chosen: list[dict] = []
        while len(chosen) < per_category and any(queues):
            for queue in queues:
                while queue and any(_similar(queue[0]["quote"], c["quote"]) for c in chosen):
                    queue.pop(0)
                if queue and len(chosen) < per_category:
                    chosen.append(queue.pop(0))
        picked.extend(chosen)
    return pd.DataFrame(picked, columns=SENTENCE_COLUMNS)


def _trend(counts: np.ndarray) -> str:
    """Last three periods against the three before them."""
    if len(counts) < 2:
        return "new" if counts.sum() else "none"
    if len(counts) <= 3:
        recent, earlier = float(counts[-1]), float(counts[:-1].mean())
    else:
        recent, earlier = float(counts[-3:].mean()), float(counts[-6:-3].mean())
    if earlier == 0:
        return "new" if recent > 0 else "none"
    change = recent / earlier - 1
    return "rising" if change > 0.25 else "falling" if change < -0.25 else "flat"


def _similar(a: str, b: str, *, threshold: float = 0.5) -> bool:
    """Character-trigram Jaccard similarity (works for Japanese too) at or above ``threshold``."""
    grams_a, grams_b = _trigrams(a), _trigrams(b)
    if not grams_a or not grams_b:
        return a.strip().lower() == b.strip().lower()
    return len(grams_a & grams_b) / len(grams_a | grams_b) >= threshold


def _trigrams(text: str) -> set[str]:
    text = " ".join(text.lower().split())
    return {text[i : i + 3] for i in range(max(0, len(text) - 2))}
