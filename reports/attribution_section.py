"""The attribution section: service in the conversation, the scores (NPS, stars) and the segments."""

from __future__ import annotations

import pandas as pd

from reports import charts
from reports.analysis import Analysis
from reports.formulas import FORMULAS
from reports.present import Block, Cell, Column, Group, count, display, field, num_ci, pct, pct_ci, wide_table
from reports.score_blocks import score_blocks


def attribution_groups(analysis: Analysis) -> list[Group]:
    t = analysis.tables
    talk = [_mentions(t["service_mentions"]), _themes(t["theme_rates"], analysis.service_kinds)]
    if "service_lift" in t:
        talk.append(_lift(t["service_lift"]))
    talk.append(_shares(t["sentiment_shares"]))
    groups = [Group("Service in the conversation", tuple(talk))]
    scores = [s for s in ("nps", "stars") if f"{s}_by_period" in t]
    for i, score in enumerate(scores):  # the first score gets every figure, a second one the essentials
        title = "Net Promoter Score" if score == "nps" else "Star ratings"
        groups.append(Group(title, tuple(score_blocks(t, score, analysis.compare, full=i == 0))))
    segments = [b for dim in analysis.dimensions for b in _segments(t["segment_summary"], t["segment_trends"], dim)]
    if segments:
        groups.append(Group("Segments", tuple(segments)))
    return groups


def _mentions(table: pd.DataFrame) -> Block:
    wide = wide_table(table, "period", "label", lambda r: pct_ci(r["value"], r["ci_low"], r["ci_high"]))
    return Block(
        "mentions",
        "How often customers talk about service",
        "Share of records with text that mention the service team at all, and each kind of service.",
        display(wide, _period_columns(table, list(table["label"].unique())), export="service_mentions"),
        FORMULAS["mentions"],
        "service_mentions",
        charts.rate_trend(table, title="Service mentions over time"),
    )


def _themes(table: pd.DataFrame, kinds: tuple[str, ...]) -> Block:
    wide = wide_table(table, "period", "label", lambda r: pct_ci(r["value"], r["ci_low"], r["ci_high"]))
    return Block(
        "themes",
        "Praise and complaints about each kind of service",
        "Share of records with a positive (praise) or negative (complaint) sentence about each kind of service.",
        display(wide, _period_columns(table, list(table["label"].unique())), export="theme_rates"),
        FORMULAS["themes"],
        "theme_rates",
        charts.theme_panels(table, kinds=kinds),
    )


def _lift(table: pd.DataFrame) -> Block:
    before, after = table["before"].iloc[0], table["after"].iloc[0]
    columns: list[Column] = [
        ("measure", field("label")),
        (f"rate {before}", lambda r: Cell(pct(r["rate_before"], 1), numeric=True)),
        (f"rate {after}", lambda r: Cell(pct(r["rate_after"], 1), numeric=True)),
        ("lift, pts (95% CI)", lambda r: num_ci(r["lift"] * 100, r["ci_low"] * 100, r["ci_high"] * 100)),
        ("records", lambda r: count(r["n_before"] + r["n_after"], small=r["small_sample"])),
    ]
    return Block(
        "lift",
        f"Lift from {before} to {after}",
        "Change of each mention rate between the last two full periods; an interval that crosses zero is no clear "
        "change.",
        display(table, columns, export="service_lift"),
        FORMULAS["lift"],
        "service_lift",
        charts.lift_chart(table),
    )


def _shares(table: pd.DataFrame) -> Block:
    labels = {
        "positive_share": "% of praise about service",
        "negative_share": "% of complaints about service",
        "net_per_100": "net per 100 records",
    }

    def fmt(r: pd.Series) -> Cell:
        if r["measure"] == "net_per_100":
            return num_ci(r["value"], r["ci_low"], r["ci_high"], "+.0f")
        return pct_ci(r["value"], r["ci_low"], r["ci_high"])

    wide = wide_table(table.assign(label=table["measure"].map(labels)), "period", "label", fmt)
    columns: list[Column] = [("period", field("period")), *((v, field(v)) for v in labels.values())]
    return Block(
        "shares",
        "Sentiment share to customer service",
        "Of everything customers praise (or complain about), how much is about the service team; net sentiment "
        "counts positive minus negative service sentences per 100 records.",
        display(wide, columns, export="sentiment_shares"),
        FORMULAS["shares"],
        "sentiment_shares",
        charts.share_trend(table),
    )


def _segments(summary: pd.DataFrame, trends: pd.DataFrame, dim: str) -> list[Block]:
    rows = summary[summary["dimension"] == dim]
    columns: list[Column] = [
        (dim, lambda r: str(r["segment"])),
        ("records", lambda r: count(r["records"], small=r["small_sample"])),
        ("NPS (95% CI)", lambda r: num_ci(r["nps"], r["nps_low"], r["nps_high"], "+.0f")),
        ("mean ★ (95% CI)", lambda r: num_ci(r["mean_stars"], r["mean_stars_low"], r["mean_stars_high"], ".2f")),
        ("mentions service", lambda r: pct_ci(r["mention"], r["mention_low"], r["mention_high"])),
    ]
    has_nps = bool(rows["nps"].notna().any())
    value, unit, scale = ("nps", "NPS", 1.0) if has_nps else ("mention", "% mentioning service", 100.0)
    blocks = [
        Block(
            f"segment-{dim}",
            f"By {dim}",
            f"Scores and service mentions per {dim}; the chart shows the {unit}.",
            display(rows, columns, export="segment_summary"),
            FORMULAS["segments"],
            "segment_summary",
            charts.segment_bars(rows, value=value, unit=unit, scale=scale, title=f"{unit} by {dim}"),
        )
    ]
    measure, label, fmt, mscale = ("nps", "NPS", "+.0f", 1.0) if has_nps else ("any_service", unit, ".0f", 100.0)
    part = trends[(trends["dimension"] == dim) & (trends["measure"] == measure)]
    if part["value"].notna().any():

        def cell(r: pd.Series) -> Cell:
            return num_ci(r["value"] * mscale, r["ci_low"] * mscale, r["ci_high"] * mscale, fmt)

        wide = wide_table(part.assign(segment=part["segment"].astype(str)), "period", "segment", cell)
        segments = sorted(part["segment"].astype(str).unique())
        cols: list[Column] = [("period", field("period")), *((s, field(s)) for s in segments)]
        blocks.append(
            Block(
                f"segment-{dim}-trend",
                f"{label} by {dim} over time",
                "Each segment's line with its interval.",
                display(wide, cols, export="segment_trends"),
                FORMULAS["segment_trend"],
                "segment_trends",
                charts.segment_trend(part, title=f"{label} by {dim}", unit=label, scale=mscale),
            )
        )
    return blocks


def _period_columns(table: pd.DataFrame, labels: list[str]) -> list[Column]:
    """period, records (with the small-sample mark), then one column per label."""
    n = table.groupby("period")["n"].first()
    small = table.groupby("period")["small_sample"].first()
    columns: list[Column] = [
        ("period", field("period")),
        ("records", lambda r: count(n[r["period"]], small=small[r["period"]])),
    ]
    return columns + [(label, field(label)) for label in labels]
