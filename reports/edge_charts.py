"""Plotly figures of the sharp-edges section; each takes one table and returns one figure."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from reports.style import COMPLAINT, base_layout


def edge_ranking(table: pd.DataFrame) -> go.Figure:
    """Sharp-edge categories by severity (records × negativity), coloured by negativity."""
    rows = table[table["records"] > 0].iloc[::-1]
    fig = go.Figure(
        go.Bar(
            y=rows["category"].str.replace("_", " "),
            x=rows["severity"],
            orientation="h",
            marker={
                "color": rows["negativity"].fillna(0),
                "colorscale": [[0, "#fca5a5"], [1, COMPLAINT]],
                "cmin": 0,
                "cmax": 1,
                "colorbar": {"title": "negative", "thickness": 10, "tickformat": ".0%"},
            },
            customdata=rows[["records", "negativity"]].to_numpy(),
            hovertemplate="%{y}: severity %{x:.1f} (%{customdata[0]} records, "
            "%{customdata[1]:.0%} negative)<extra></extra>",
        )
    )
    fig.update_layout(
        **base_layout("Sharp edges by severity"), xaxis_title="records × share negative", showlegend=False
    )
    return fig


def edge_heatmap(table: pd.DataFrame) -> go.Figure:
    """Records per category and period; circled cells are spikes against the category's own baseline."""
    grid = table.pivot(index="category", columns="period", values="count").fillna(0)
    grid = grid.loc[grid.sum(axis=1).sort_values(ascending=False).index]  # busiest category on top
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=list(grid.columns),
            y=[c.replace("_", " ") for c in grid.index],
            colorscale=[[0, "#fff7ed"], [0.5, "#fb923c"], [1, "#9a3412"]],
            hovertemplate="%{y}, %{x}: %{z} records<extra></extra>",
            colorbar={"thickness": 10},
        )
    )
    spikes = table[table["spike"]]
    fig.add_trace(
        go.Scatter(
            x=spikes["period"],
            y=spikes["category"].str.replace("_", " "),
            mode="markers",
            name="spike",
            marker={"symbol": "circle-open", "size": 22, "color": "#0f172a", "line": {"width": 2.5}},
            hovertemplate="spike: %{y}, %{x}<extra></extra>",
        )
    )
    layout = base_layout("Sharp edges over time", height=max(260, 90 + 36 * len(grid)), periods=True)
    fig.update_layout(**layout, yaxis_autorange="reversed")
    return fig
