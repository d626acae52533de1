"""Advocate candidates for marketing: promoters and 5-star reviewers whose own words praise the service team.

Privacy: only what the source already shows — public review URLs for reviews; for NPS responses, only respondents
with an account id (so the customer team can reach them through the account), and never more than the redacted
sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from reports.attribution import Resampling, estimate_row, groups
from reports.stats import ratio_estimate

CANDIDATE_COLUMNS = [
    "date",
    "period",
    "source",
    "kind",
    "score",
    "praised",
    "quote",
    "confidence",
    "url",
    "plan",
    "language",
    "region",
    "account_id",
    "external_id",
]


def is_enthusiast(frame: pd.DataFrame) -> pd.Series:
    """Promoters (NPS 9–10) with an account id, and 5-star reviewers."""
    has_account = frame["account_id"].fillna("").astype(str).str.strip().ne("")
    promoter = frame["kind"].eq("nps") & frame["nps_score"].ge(9) & has_account
    five_star = frame["kind"].eq("review") & frame["rating"].ge(5)
    return (promoter | five_star).fillna(False).astype(bool)


def advocate_candidates(sentences: pd.DataFrame) -> pd.DataFrame:
    """One row per candidate: the most confident praising service sentence (redacted) as the quote, newest first.

    ``sentences`` is the sentence frame joined with record columns (``aggregate.attach_records``).
    """
    praise = sentences[sentences["is_service"] & sentences["pos"] & is_enthusiast(sentences)].copy()
    if praise.empty:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    praise["confidence"] = praise["sentiment_score"].astype(float).fillna(0.0)
    praised = praise.groupby(["source", "external_id"])["service"].agg(
        lambda kinds: ", ".join(sorted({k for t in kinds for k in t}))
    )
    best = praise.sort_values("confidence", ascending=False).drop_duplicates(["source", "external_id"])
    best = best.set_index(["source", "external_id"]).join(praised.rename("praised")).reset_index()
    best["date"] = best["created_at"].dt.date
    best["score"] = np.where(best["kind"].eq("nps"), best["nps_score"], best["rating"]).astype(float)
    best["quote"] = best["text_redacted"]
    best["account_id"] = best["account_id"].where(best["kind"].eq("nps"))
    out = best.sort_values(["date", "confidence"], ascending=[False, False], ignore_index=True)
    return out[CANDIDATE_COLUMNS]


def advocacy_rate(
    records: pd.DataFrame, candidates: pd.DataFrame, *, by: Sequence[str] = ("period",), opts: Resampling
) -> pd.DataFrame:
    """Share of records that are advocate candidates, per group, with an interval."""
    keys = set(zip(candidates["source"], candidates["external_id"], strict=True))
    flags = pd.Series(
        [k in keys for k in zip(records["source"], records["external_id"], strict=True)],
        index=records.index,
        dtype=float,
    )
    rows = []
    for group, part in groups(records.assign(advocate=flags), by):
        values = part["advocate"].to_numpy()
        est = ratio_estimate(
            values, np.ones_like(values), samples=opts.samples, rng=opts.rng("advocacy", *group.values())
        )
        rows.append(
            estimate_row(group, est, opts, advocates=int(values.sum()), enthusiasts=int(is_enthusiast(part).sum()))
        )
    columns = [*by, "advocates", "enthusiasts", "n", "value", "ci_low", "ci_high", "small_sample"]
    return pd.DataFrame(rows, columns=columns)
