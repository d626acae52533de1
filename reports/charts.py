"""Plotly figures. Each function takes one table (as computed by ``reports.analysis``) and returns one figure."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from reports.style import (
    COMPLAINT,
    NPS_COLOURS,
    PRAISE,
    band,
    base_layout,
    colour_of,
    rgba,
)


def rate_trend(table: pd.DataFrame, *, title: str, value_label: str = "share of records") -> go.Figure:
    """Lines of a rate per measure over periods, with the bootstrap interval as a band (rates in [0, 1])."""
    fig = go.Figure()
    alpha = 0.15 if table["measure"].nunique() <= 2 else 0.06  # many overlapping bands turn to mud
    for measure, rows in table.groupby("measure", sort=False):
        rows = rows.sort_values("period")
        colour = colour_of(str(measure))
        label = rows["label"].iloc[0] if "label" in rows else str(measure)
        fig.add_traces(
            band(rows["period"], rows["ci_low"] * 100, rows["ci_high"] * 100, colour, group=str(label), alpha=alpha)
        )
        fig.add_trace(
            go.Scatter(
                x=rows["period"],
                y=rows["value"] * 100,
                name=label,
                legendgroup=str(label),
                mode="lines+markers",
                line={"color": colour, "width": 2.5, "dash": "dot" if str(measure).endswith("_neg") else "solid"},
                customdata=rows[["ci_low", "ci_high", "n"]].to_numpy() * [100, 100, 1],
                hovertemplate="%{x}: %{y:.1f}% (95% CI %{customdata[0]:.1f}–%{customdata[1]:.1f}, n=%{customdata[2]})"
                "<extra>" + str(label) + "</extra>",
            )
        )
    fig.update_layout(**base_layout(title, periods=True), yaxis_title=f"{value_label} (%)", yaxis_rangemode="tozero")
    return fig


def theme_panels(table: pd.DataFrame, *, kinds: Sequence[str]) -> go.Figure:
    """One small panel per service kind: praise (solid) and complaint (dotted) rates with intervals."""
    fig = make_subplots(rows=1, cols=len(kinds), shared_yaxes=True, subplot_titles=list(kinds), horizontal_spacing=0.03)
    for col, kind in enumerate(kinds, start=1):
        for pol, colour, dash in (("pos", PRAISE, "solid"), ("neg", COMPLAINT, "dot")):
            rows = table[table["measure"] == f"{kind}_{pol}"].sort_values("period")
            name = "praise" if pol == "pos" else "complaint"
            fig.add_traces(
                band(rows["period"], rows["ci_low"] * 100, rows["ci_high"] * 100, colour, group=name), rows=1, cols=col
            )
            fig.add_trace(
                go.Scatter(
                    x=rows["period"],
                    y=rows["value"] * 100,
                    name=name,
                    legendgroup=name,
                    showlegend=col == 1,
                    mode="lines+markers",
                    marker={"size": 4},
                    line={"color": colour, "width": 2, "dash": dash},
                    hovertemplate="%{x}: %{y:.1f}%<extra>" + f"{kind} {name}" + "</extra>",
                ),
                row=1,
                col=col,
            )
    fig.update_layout(**base_layout("Service themes over time", periods=True))
    fig.update_xaxes(type="category", nticks=6, tickangle=-45)
    fig.update_yaxes(title_text="share of records (%)", rangemode="tozero", row=1, col=1)
    return fig


def share_trend(table: pd.DataFrame) -> go.Figure:
    """Share of positive and of negative sentences that are about service, per period."""
    shares = table[table["measure"].isin(["positive_share", "negative_share"])].copy()
    shares["label"] = shares["measure"].map({"positive_share": "of all praise", "negative_share": "of all complaints"})
    shares["measure"] = shares["measure"].map({"positive_share": "praise", "negative_share": "complaint"})
    return rate_trend(shares, title="Share of sentiment that is about service", value_label="share of sentences")


def lift_chart(table: pd.DataFrame) -> go.Figure:
    """Change of each mention rate between two periods, with intervals, in percentage points."""
    rows = table.iloc[::-1]
    fig = go.Figure(
        go.Scatter(
            x=rows["lift"] * 100,
            y=rows["label"],
            mode="markers",
            marker={"size": 11, "color": [colour_of(m) for m in rows["measure"]]},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (rows["ci_high"] - rows["lift"]) * 100,
                "arrayminus": (rows["lift"] - rows["ci_low"]) * 100,
                "color": "#64748b",
            },
            hovertemplate="%{y}: %{x:+.1f} pts<extra></extra>",
        )
    )
    before, after = (table["before"].iloc[0], table["after"].iloc[0]) if len(table) else ("", "")
    fig.add_vline(x=0, line={"color": "#94a3b8", "width": 1})
    fig.update_layout(**base_layout(f"Lift {before} → {after}"), xaxis_title="percentage points", showlegend=False)
    return fig


def nps_trend(table: pd.DataFrame) -> go.Figure:
    """NPS per period with its interval (top), over the promoter / passive / detractor mix (bottom)."""
    rows = table.sort_values("period")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.64, 0.36], vertical_spacing=0.06)
    fig.add_traces(band(rows["period"], rows["nps_low"], rows["nps_high"], "#0f172a", group="NPS"), rows=1, cols=1)
    fig.add_trace(
        go.Scatter(
            x=rows["period"],
            y=rows["nps"],
            name="NPS",
            legendgroup="NPS",
            mode="lines+markers",
            line={"color": "#0f172a", "width": 3},
            customdata=rows[["nps_low", "nps_high", "n"]].to_numpy(),
            hovertemplate="%{x}: NPS %{y:.0f} (95% CI %{customdata[0]:.0f}…%{customdata[1]:.0f}, "
            "n=%{customdata[2]})<extra></extra>",
        ),
        row=1,
        col=1,
    )
    for name in ("detractors", "passives", "promoters"):
        fig.add_trace(
            go.Bar(
                x=rows["period"],
                y=rows[name] * 100,
                name=name,
                marker_color=rgba(NPS_COLOURS[name], 0.75),
                hovertemplate="%{x}: %{y:.0f}% " + name + "<extra></extra>",
            ),
            row=2,
            col=1,
        )
    fig.update_layout(**base_layout("NPS and its mix", height=440, periods=True), barmode="stack", bargap=0.25)
    fig.update_xaxes(type="category")
    fig.update_yaxes(title_text="NPS", zeroline=True, zerolinecolor="#94a3b8", row=1, col=1)
    fig.update_yaxes(title_text="% of responses", range=[0, 100], row=2, col=1)
    return fig


def stars_trend(table: pd.DataFrame) -> go.Figure:
    rows = table.sort_values("period")
    fig = go.Figure(band(rows["period"], rows["mean_stars_low"], rows["mean_stars_high"], "#b45309", group="stars"))
    fig.add_trace(
        go.Scatter(
            x=rows["period"],
            y=rows["mean_stars"],
            name="mean stars",
            mode="lines+markers",
            legendgroup="stars",
            line={"color": "#b45309", "width": 3},
            hovertemplate="%{x}: %{y:.2f}★<extra></extra>",
        )
    )
    fig.update_layout(**base_layout("Mean star rating", periods=True), yaxis={"title": "stars", "range": [1, 5]})
    return fig


def segment_bars(table: pd.DataFrame, *, value: str, title: str, unit: str, scale: float = 1.0) -> go.Figure:
    """One estimate per segment value with its interval (a slice of the segment summary)."""
    rows = table.dropna(subset=[value])
    fig = go.Figure(
        go.Bar(
            x=rows["segment"].astype(str),
            y=rows[value] * scale,
            marker_color="#334155",
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (rows[f"{value}_high"] - rows[value]) * scale,
                "arrayminus": (rows[value] - rows[f"{value}_low"]) * scale,
                "color": "#94a3b8",
            },
            hovertemplate="%{x}: %{y:.1f}<extra></extra>",
        )
    )
    fig.update_layout(**base_layout(title), yaxis_title=unit, showlegend=False, bargap=0.45)
    return fig


def segment_trend(table: pd.DataFrame, *, title: str, unit: str, scale: float = 1.0) -> go.Figure:
    """One line per segment value over periods (a slice of the segment trends: one dimension, one measure)."""
    fig = go.Figure()
    for i, (segment, rows) in enumerate(table.groupby("segment", sort=True)):
        rows = rows.sort_values("period")
        colour = colour_of(f"segment{i}")
        fig.add_traces(
            band(rows["period"], rows["ci_low"] * scale, rows["ci_high"] * scale, colour, group=str(segment))
        )
        fig.add_trace(
            go.Scatter(
                x=rows["period"],
                y=rows["value"] * scale,
                name=str(segment),
                legendgroup=str(segment),
                mode="lines+markers",
                line={"color": colour, "width": 2.5},
                hovertemplate="%{x}: %{y:.1f}<extra>" + str(segment) + "</extra>",
            )
        )
    fig.update_layout(**base_layout(title, periods=True), yaxis_title=unit)
    return fig


def advocacy_trend(table: pd.DataFrame) -> go.Figure:
    rows = table.sort_values("period")
    fig = go.Figure(
        go.Bar(
            x=rows["period"],
            y=rows["advocates"],
            name="advocate candidates",
            marker_color=rgba(PRAISE, 0.45),
            hovertemplate="%{x}: %{y} candidates<extra></extra>",
        )
    )
    fig.add_traces(band(rows["period"], rows["ci_low"] * 100, rows["ci_high"] * 100, PRAISE, group="rate", axis="y2"))
    fig.add_trace(
        go.Scatter(
            x=rows["period"],
            y=rows["value"] * 100,
            name="advocacy rate",
            yaxis="y2",
            mode="lines+markers",
            legendgroup="rate",
            line={"color": PRAISE, "width": 3},
            hovertemplate="%{x}: %{y:.1f}% of records<extra></extra>",
        )
    )
    fig.update_layout(
        **base_layout("Advocate candidates over time", periods=True),
        yaxis_title="candidates",
        yaxis2={"overlaying": "y", "side": "right", "title": "% of records", "rangemode": "tozero", "showgrid": False},
    )
    return fig
