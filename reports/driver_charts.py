"""Plotly figures of the driver analysis (contributions, change, removal impact, relative weights)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from reports.style import COMPLAINT, PRAISE, band, base_layout, colour_of


def contribution_waterfall(table: pd.DataFrame, *, unit: str = "NPS points") -> go.Figure:
    """Baseline + each theme's points = the observed score (the OLS identity), as a horizontal waterfall."""
    parts = table[table["kind"] != "total"]
    order = pd.concat(
        [parts[parts["kind"] == "intercept"], parts[parts["kind"] == "service"], parts[parts["kind"] == "other"]]
    )
    score = float(parts["score"].iloc[0]) if len(parts) else 0.0
    fig = go.Figure(
        go.Waterfall(
            orientation="h",
            y=[*order["label"], "observed score"],
            x=[*order["points"], score],
            measure=["absolute", *["relative"] * (len(order) - 1), "total"],
            increasing={"marker": {"color": PRAISE}},
            decreasing={"marker": {"color": COMPLAINT}},
            totals={"marker": {"color": "#0f172a"}},
            connector={"line": {"color": "#cbd5e1"}},
            hovertemplate="%{y}: %{x:+.2f}<extra></extra>",
        )
    )
    layout = base_layout(f"Where the score comes from ({unit})", height=max(340, 60 + 28 * (len(order) + 1)))
    fig.update_layout(**layout, showlegend=False, xaxis_title=unit, yaxis_autorange="reversed")
    return fig


def contribution_trend(table: pd.DataFrame, *, unit: str = "NPS points") -> go.Figure:
    """Points carried by each service theme per period, stacked, with the service total as a line."""
    fig = go.Figure()
    for term, rows in table[table["kind"] == "service"].groupby("term", sort=False):
        rows = rows.sort_values("period")
        fig.add_trace(
            go.Bar(
                x=rows["period"],
                y=rows["points"],
                name=rows["label"].iloc[0],
                marker={"color": colour_of(str(term)), "pattern": {"shape": "/" if str(term).endswith("_neg") else ""}},
                hovertemplate="%{x}: %{y:+.1f}<extra>%{fullData.name}</extra>",
            )
        )
    total = table[table["kind"] == "total"].sort_values("period")
    fig.add_traces(band(total["period"], total["ci_low"], total["ci_high"], "#0f172a", group="total"))
    fig.add_trace(
        go.Scatter(
            x=total["period"],
            y=total["points"],
            name="customer service (total)",
            legendgroup="total",
            mode="lines+markers",
            line={"color": "#0f172a", "width": 3},
        )
    )
    fig.update_layout(
        **base_layout(f"{unit} carried by customer service", periods=True),
        barmode="relative",
        yaxis_title=unit,
    )
    return fig


def change_bars(table: pd.DataFrame, *, unit: str = "NPS points") -> go.Figure:
    """Volume and rate parts of the change of the score per theme (horizontal, with intervals)."""
    rows = table.iloc[::-1]
    fig = go.Figure()
    for part, colour in (("volume", "#0ea5e9"), ("rate", "#f59e0b")):
        fig.add_trace(
            go.Bar(
                y=rows["label"],
                x=rows[part],
                name=f"{part} part",
                orientation="h",
                marker_color=colour,
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": rows[f"{part}_high"] - rows[part],
                    "arrayminus": rows[part] - rows[f"{part}_low"],
                    "color": "#475569",
                    "thickness": 1,
                },
                hovertemplate="%{y}: %{x:+.1f}<extra>" + part + "</extra>",
            )
        )
    before, after = (table["before"].iloc[0], table["after"].iloc[0]) if len(table) else ("", "")
    fig.update_layout(**base_layout(f"Change {before} → {after}: volume vs rate"), barmode="group", xaxis_title=unit)
    return fig


def impact_bars(table: pd.DataFrame, *, value: str, title: str, unit: str, scale: float = 1.0) -> go.Figure:
    """Horizontal bars of one estimate per theme with its interval (removal impact, relative weight share)."""
    rows = table.iloc[::-1]
    fig = go.Figure(
        go.Bar(
            y=rows["label"],
            x=rows[value] * scale,
            orientation="h",
            marker_color=[PRAISE if v >= 0 else COMPLAINT for v in rows[value].fillna(0)],
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (rows["ci_high"] - rows[value]) * scale,
                "arrayminus": (rows[value] - rows["ci_low"]) * scale,
                "color": "#475569",
                "thickness": 1,
            },
            hovertemplate="%{y}: %{x:+.2f}<extra></extra>",
        )
    )
    fig.update_layout(**base_layout(title), xaxis_title=unit, showlegend=False)
    return fig
