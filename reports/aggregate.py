"""Stored rows → the two frames every table is computed from: one row per record, one row per sentence.

Record-level flags are recomputed from the sentence predictions, so every count in the report traces back to
sentences that can be quoted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from reports.stats import nps_code

log = logging.getLogger(__name__)

Period = Literal["month", "quarter"]
SEGMENT_COLUMNS = {"plan": "plan", "language": "language", "source": "source", "region": "region", "product": "product"}
OTHER_THEMES = ("other_pos", "other_neg")
SHARP_EDGE_THEME = "sharp_edge"
UNKNOWN = "unknown"


def service_themes(service_kinds: Sequence[str]) -> list[str]:
    """Theme-with-polarity ids of the service kinds: support_pos, support_neg, success_pos, …"""
    return [f"{kind}_{pol}" for kind in service_kinds for pol in ("pos", "neg")]


def driver_themes(service_kinds: Sequence[str]) -> list[str]:
    """Every theme indicator used as a driver: service themes, then other praise/complaints and sharp edges."""
    return [*service_themes(service_kinds), *OTHER_THEMES, SHARP_EDGE_THEME]


def theme_label(theme: str) -> str:
    if theme == SHARP_EDGE_THEME:
        return "policy sharp edge"
    kind, _, pol = theme.rpartition("_")
    what = "product & other" if kind == "other" else kind
    return f"{what} · {'praise' if pol == 'pos' else 'complaint'}"


def period_of(created_at: pd.Series, period: Period) -> pd.Series:
    """Sortable period labels: '2026-03' for months, '2026-Q1' for quarters (UTC dates)."""
    if period == "month":
        return created_at.dt.strftime("%Y-%m")
    return created_at.dt.year.astype(str) + "-Q" + created_at.dt.quarter.astype(str)


def sentence_frame(sentences: pd.DataFrame) -> pd.DataFrame:
    """Sentences with normalised labels: service tuple, is_service, pos / neg, sharp-edge category or None."""
    out = sentences.copy()
    out["service"] = [_as_tuple(v) for v in out["service"]] if len(out) else pd.Series(dtype=object)
    out["is_service"] = out["service"].map(bool).astype(bool)
    out["pos"] = out["sentiment"].eq("positive")
    out["neg"] = out["sentiment"].eq("negative")
    edge = out["sharp_edge"].where(~out["sharp_edge"].isin(["none", ""]))
    out["sharp_edge"] = edge.astype(object).where(edge.notna(), None)
    return out


def record_frame(
    feedback: pd.DataFrame,
    tags: pd.DataFrame,
    sentences: pd.DataFrame,
    *,
    period: Period,
    service_kinds: Sequence[str],
) -> pd.DataFrame:
    """One row per tagged record: period, segments, scores (NPS-coded and stars), theme indicators, counts."""
    keys = ["source", "external_id"]
    records = feedback.merge(tags[[*keys, "language"]].rename(columns={"language": "tag_language"}), on=keys)
    untagged = len(feedback) - len(records)
    if untagged:
        log.warning("%d records have no tags for this model version and are left out", untagged)
    records["period"] = period_of(records["created_at"], period)
    records["plan"] = records["plan_tier"].fillna(UNKNOWN)
    records["language"] = records["tag_language"].fillna(records["language"]).fillna(UNKNOWN)
    records["region"] = records["region"].fillna(UNKNOWN)
    is_nps = records["kind"].eq("nps") & records["nps_score"].notna()
    records["nps_points"] = np.where(is_nps, nps_code(records["nps_score"].astype(float).to_numpy()), np.nan)
    records["stars"] = records["rating"].astype(float)
    counts = _sentence_counts(sentence_frame(sentences), service_kinds)
    records = records.merge(counts, on=keys, how="left")
    count_columns = [c for c in counts.columns if c not in keys]
    records[count_columns] = records[count_columns].fillna(0).astype(int)
    records["has_text"] = records["n_sentences"] > 0
    records["has_service"] = records["service_sentences"] > 0
    records["any_service"] = records["has_service"].astype(int)
    return records.drop(columns=["tag_language", "plan_tier"]).sort_values([*keys]).reset_index(drop=True)


def attach_records(sentences: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """Sentence frame joined with the record columns quotes and segments need."""
    columns = [
        "source",
        "external_id",
        "kind",
        "product",
        "url",
        "created_at",
        "period",
        "plan",
        "language",
        "region",
        "account_id",
        "nps_score",
        "rating",
    ]
    return sentence_frame(sentences).merge(records[columns], on=["source", "external_id"])


def _sentence_counts(sentences: pd.DataFrame, service_kinds: Sequence[str]) -> pd.DataFrame:
    keys = ["source", "external_id"]
    s = sentences
    plain = ~s["is_service"] & s["sharp_edge"].isna()
    parts = {
        "n_sentences": pd.Series(1, index=s.index),
        "pos_sentences": s["pos"],
        "neg_sentences": s["neg"],
        "service_sentences": s["is_service"],
        "pos_service_sentences": s["pos"] & s["is_service"],
        "neg_service_sentences": s["neg"] & s["is_service"],
        "other_pos": s["pos"] & plain,
        "other_neg": s["neg"] & plain,
        "sharp_edge": s["sharp_edge"].notna(),
    }
    for kind in service_kinds:
        has_kind = s["service"].map(lambda kinds, k=kind: k in kinds).astype(bool)
        parts[f"svc_{kind}"] = has_kind
        parts[f"{kind}_pos"] = has_kind & s["pos"]
        parts[f"{kind}_neg"] = has_kind & s["neg"]
    frame = pd.DataFrame({name: values.astype(int) for name, values in parts.items()})
    frame[keys] = s[keys]
    summed = frame.groupby(keys, as_index=False).sum()
    flags = [*service_themes(service_kinds), *OTHER_THEMES, SHARP_EDGE_THEME, *(f"svc_{k}" for k in service_kinds)]
    summed[flags] = (summed[flags] > 0).astype(int)  # theme indicators: does the record mention it at all
    return summed


def _as_tuple(value: Any) -> tuple[str, ...]:
    """A stored VARCHAR[] (list, numpy array or missing) as a tuple of strings."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ()
    return tuple(str(v) for v in value)
