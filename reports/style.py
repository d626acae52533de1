"""One visual language for every chart: colours per theme, the base layout, interval bands."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

PRAISE = "#059669"
COMPLAINT = "#dc2626"
NPS_COLOURS = {"promoters": PRAISE, "passives": "#94a3b8", "detractors": COMPLAINT}
_KIND_COLOURS = {
    "support": "#2563eb",
    "success": "#7c3aed",
    "onboarding": "#059669",
    "other": "#64748b",
    "sharp": "#dc2626",
    "any": "#0f172a",
    "praise": PRAISE,
    "complaint": COMPLAINT,
}
_PALETTE = ["#2563eb", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#475569", "#9333ea"]
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Noto Sans JP', sans-serif"


def colour_of(name: str) -> str:
    """Stable colour of a measure/theme id: service kinds keep their colour everywhere; others cycle."""
    key = name.removeprefix("svc_").split("_")[0]
    if key in _KIND_COLOURS:
        return _KIND_COLOURS[key]
    if name.startswith("segment"):
        return _PALETTE[int(name[7:] or 0) % len(_PALETTE)]
    return _PALETTE[sum(map(ord, name)) % len(_PALETTE)]


def rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def base_layout(title: str, *, height: int = 340, periods: bool = False) -> dict[str, Any]:
    """Shared layout. The title is kept in ``meta`` only: the report prints it as the block's heading, and a
    plotly title would collide with a two-row legend. ``periods`` makes the x axis categorical ('2026-Q1')."""
    layout: dict[str, Any] = {
        "meta": {"title": title},
        "template": "plotly_white",
        "font": {"family": FONT, "size": 12, "color": "#1e293b"},
        "height": height,
        "margin": {"l": 56, "r": 24, "t": 36, "b": 48},
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "xanchor": "left"},  # modebar: right
        "hovermode": "closest",
    }
    if periods:
        layout["xaxis"] = {"type": "category"}
    return layout


def band(
    x: pd.Series, low: pd.Series, high: pd.Series, colour: str, *, group: str, axis: str = "y", alpha: float = 0.15
) -> list[go.Scatter]:
    """A shaded interval between ``low`` and ``high`` (two traces, no legend entry, no hover)."""
    common = {
        "x": list(x),
        "mode": "lines",
        "line": {"width": 0},
        "legendgroup": group,
        "showlegend": False,
        "hoverinfo": "skip",
        "yaxis": axis,
    }
    return [
        go.Scatter(y=list(high), **common),
        go.Scatter(y=list(low), fill="tonexty", fillcolor=rgba(colour, alpha), **common),
    ]
