"""A short Markdown summary for chat or email: headline numbers, what changed, top sharp edges, advocates."""

from __future__ import annotations

from reports.analysis import Analysis
from reports.formulas import ASSOCIATION
from reports.present import Card, num, pct, pretty
from reports.render import ReportMeta


def escape(text: object) -> str:
    """Neutralise Markdown and inline HTML in data text (quotes, segment names)."""
    out = str(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(out.split())


def render_markdown(analysis: Analysis, cards: list[Card], *, meta: ReportMeta, top: int = 5) -> str:
    lines = [
        f"# {escape(meta.heading)}",
        "",
        f"{meta.window} · {meta.records} · model `{meta.model_version}` · generated {meta.generated}",
        "",
        f"> {ASSOCIATION}",
        "",
        "| | | |",
        "|---|---|---|",
    ]
    lines += [f"| **{escape(c.label)}** | {escape(c.value)} | {escape(c.detail)} |" for c in cards]
    if analysis.findings:
        lines += ["", "## What changed", ""] + [f"- {escape(f)}" for f in analysis.findings]
    edges = analysis.tables["sharp_edges"]
    edges = edges[edges["records"] > 0].head(top)
    if len(edges):
        lines += [
            "",
            "## Top sharp edges",
            "",
            "| category | records | negative | first seen | trend | spikes |",
            "|---|--:|--:|---|---|---|",
        ]
        lines += [
            f"| {pretty(r.category)} | {r.records} | {pct(r.negativity)} | {r.first_seen} | {r.trend} | "
            f"{escape(r.spikes) or '–'} |"
            for r in edges.itertuples()
        ]
    candidates = analysis.tables["advocates"]
    lines += [
        "",
        "## Advocate candidates",
        "",
        f"{len(candidates)} promoters and 5-star reviewers praise the service "
        "team (full list: `tables/advocates.csv`).",
    ]
    for r in candidates.head(top).itertuples():
        score = f"NPS {num(r.score, '.0f')}" if r.kind == "nps" else f"{num(r.score, '.0f')}★"
        lines.append(f"- “{escape(r.quote)}” — {escape(r.source)}, {r.date}, {score}, {escape(r.plan)}")
    for note in analysis.notes:
        lines += ["", f"_Note: {escape(note)}_"]
    lines += ["", "Full report: `report.html` · tables: `tables/`"]
    return "\n".join(lines) + "\n"
