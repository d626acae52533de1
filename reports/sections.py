"""The report's content as presentation records: headline cards, findings, and the three sections' blocks."""

from __future__ import annotations

from reports import charts, edge_charts
from reports.aggregate import UNKNOWN
from reports.analysis import Analysis
from reports.attribution_section import attribution_groups
from reports.formulas import FORMULAS
from reports.present import (
    Block,
    Card,
    Cell,
    Column,
    Group,
    Section,
    count,
    display,
    field,
    link,
    num,
    pct,
    pct_ci,
    pretty,
)


def cards(analysis: Analysis) -> list[Card]:
    key = analysis.key
    out = []
    if key.nps is not None:
        out.append(
            Card(
                "Net Promoter Score",
                num(key.nps.value, "+.0f"),
                f"95% CI {num(key.nps.low, '+.0f')} … {num(key.nps.high, '+.0f')} · {key.nps.n:,} responses",
                "good" if key.nps.value > 0 else "bad",
            )
        )
    if key.cs_points is not None:
        out.append(
            Card(
                "NPS points carried by service",
                num(key.cs_points.value, "+.1f"),
                f"95% CI {num(key.cs_points.low, '+.1f')} … {num(key.cs_points.high, '+.1f')} · "
                "support, success and onboarding themes",
                "good" if key.cs_points.value > 0 else "bad",
            )
        )
    elif key.cs_stars is not None:
        out.append(
            Card(
                "Stars carried by service",
                num(key.cs_stars.value, "+.2f"),
                f"95% CI {num(key.cs_stars.low, '+.2f')} … {num(key.cs_stars.high, '+.2f')}",
                "good" if key.cs_stars.value > 0 else "bad",
            )
        )
    if key.service_mention is not None:
        lift = key.mention_lift
        detail = "of records with text mention the service team"
        if lift is not None and analysis.compare:
            detail += f" · {num(lift.value * 100, '+.0f')} pts in {analysis.compare[1]} vs {analysis.compare[0]}"
        out.append(Card("Service mention rate", pct(key.service_mention.value), detail))
    if key.stars is not None:
        out.append(
            Card(
                "Mean star rating",
                f"{key.stars.value:.2f}★",
                f"95% CI {key.stars.low:.2f} … {key.stars.high:.2f} · {key.stars.n:,} reviews",
            )
        )
    out.append(
        Card(
            "Advocate candidates",
            f"{key.advocates:,}",
            "promoters and 5-star reviewers praising service",
            "good" if key.advocates else "neutral",
        )
    )
    if key.top_sharp_edge:
        out.append(
            Card(
                "Top sharp edge",
                pretty(key.top_sharp_edge),
                f"{key.top_sharp_edge_records:,} records · {key.spikes} spike(s) across categories",
                "bad",
                words=True,
            )
        )
    return out


def build_sections(analysis: Analysis, *, max_candidates: int = 25) -> list[Section]:
    return [
        Section(
            "attribution",
            "Attribution",
            "Attribution: how much of the sentiment is about service",
            "How much of our customers' sentiment is about service, is it rising, and how many NPS points "
            "does it carry?",
            tuple(attribution_groups(analysis)),
        ),
        Section(
            "advocacy",
            "Advocacy",
            "Advocacy: who praises the service team",
            "Which promoters and 5-star reviewers praise our service, and is advocacy growing?",
            (Group("", tuple(_advocacy_blocks(analysis, max_candidates))),),
        ),
        Section(
            "sharp-edges",
            "Sharp edges",
            "Sharp edges: which policies hurt",
            "Which company rules (billing, cancellation, contracts, pricing, limits, access) hurt customers — "
            "how often, how badly, since when, for whom?",
            (Group("", tuple(_edge_blocks(analysis))),),
        ),
    ]


def _advocacy_blocks(analysis: Analysis, max_candidates: int) -> list[Block]:
    rate, candidates = analysis.tables["advocacy_by_period"], analysis.tables["advocates"]
    columns = [
        ("period", lambda r: r["period"]),
        ("records", lambda r: count(r["n"], small=r["small_sample"])),
        ("promoters & 5-star", lambda r: count(r["enthusiasts"])),
        ("candidates", lambda r: count(r["advocates"])),
        ("advocacy rate (95% CI)", lambda r: pct_ci(r["value"], r["ci_low"], r["ci_high"], 1)),
    ]
    trend = Block(
        "advocacy",
        "Advocacy over time",
        "Advocate candidates per period and their share of all records.",
        display(rate, columns, export="advocacy_by_period"),
        FORMULAS["advocacy"],
        "advocacy_by_period",
        charts.advocacy_trend(rate),
    )
    columns = [
        ("date", lambda r: str(r["date"])),
        ("quote", lambda r: Cell(str(r["quote"]), wrap=True)),
        ("praises", lambda r: r["praised"]),
        ("score", lambda r: _score(r)),
        ("source", lambda r: link(r["url"], r["source"]) if r["kind"] == "review" else Cell(r["source"])),
        ("account", lambda r: r["account_id"]),
        ("plan", lambda r: r["plan"]),
        ("language", lambda r: r["language"]),
    ]
    lead = (
        f"The {min(max_candidates, len(candidates))} newest of {len(candidates):,} candidates; the full list "
        "for marketing is tables/advocates.csv."
    )
    listing = Block(
        "candidates",
        "Advocate candidates",
        lead,
        display(candidates, columns, export="advocates", limit=max_candidates),
        FORMULAS["candidates"],
        "advocates",
        None,
        wide=True,
    )
    return [trend, listing]


def _edge_blocks(analysis: Analysis) -> list[Block]:
    t = analysis.tables
    ranking = t["sharp_edges"]
    columns = [
        ("category", lambda r: pretty(r["category"])),
        ("records", lambda r: count(r["records"])),
        ("% of records", lambda r: Cell(pct(r["share_of_records"], 1), numeric=True)),
        ("negative", lambda r: Cell(pct(r["negativity"]), numeric=True)),
        ("severity", lambda r: Cell(num(r["severity"], ".1f"), numeric=True)),
        ("first seen", lambda r: str(r["first_seen"] or "–")),
        ("trend", lambda r: r["trend"]),
        ("spikes", lambda r: Cell(r["spikes"] or "–", flag=bool(r["spikes"]))),
        ("most affected", lambda r: r["most_affected"] or "–"),
    ]
    blocks = [
        Block(
            "edges",
            "Sharp edges ranked",
            "Policy complaints ranked by volume × negativity.",
            display(ranking, columns, export="sharp_edges"),
            FORMULAS["edges"],
            "sharp_edges",
            edge_charts.edge_ranking(ranking),
            wide=True,
        )
    ]
    periods = t["sharp_edges_by_period"]
    active = periods[periods["category"].isin(ranking.loc[ranking["records"] > 0, "category"])]
    cells = active.assign(
        cell=[
            Cell(f"{r['count']}{' ▲' if r['spike'] else ''}", numeric=True, flag=r["spike"])
            for _, r in active.iterrows()
        ]
    )
    wide = cells.pivot(index="period", columns="category", values="cell").reset_index()
    cats = [c for c in ranking["category"] if c in wide.columns]
    period_columns: list[Column] = [("period", field("period")), *((pretty(c), field(c)) for c in cats)]
    blocks.append(
        Block(
            "edge-periods",
            "Sharp edges over time",
            "Records per category and period; ▲ marks a spike against the category's own baseline.",
            display(wide, period_columns, export="sharp_edges_by_period"),
            FORMULAS["edge_periods"],
            "sharp_edges_by_period",
            edge_charts.edge_heatmap(active),
            wide=True,
        )
    )
    segments = t["sharp_edge_segments"]
    known = segments["segment"].astype(str) != UNKNOWN
    top = segments[known & (segments["count"] > 0) & (segments["ratio"] > 1)].sort_values(
        ["category", "ratio"], ascending=[True, False]
    )
    top = top.groupby("category").head(3)
    columns = [
        ("category", lambda r: pretty(r["category"])),
        ("segment", lambda r: f"{r['dimension']} = {r['segment']}"),
        ("records", lambda r: count(r["count"], small=r["small_sample"])),
        ("rate", lambda r: Cell(pct(r["rate"], 1), numeric=True)),
        ("vs all", lambda r: Cell(f"{r['ratio']:.1f}×", numeric=True)),
    ]
    blocks.append(
        Block(
            "edge-segments",
            "Who is hit hardest",
            "Segments where each category is most over-represented.",
            display(top, columns, export="sharp_edge_segments"),
            FORMULAS["edge_segments"],
            "sharp_edge_segments",
            None,
            wide=True,
        )
    )
    quotes = t["sharp_edge_quotes"]
    columns = [
        ("category", lambda r: pretty(r["category"])),
        ("quote", lambda r: Cell(str(r["quote"]), wrap=True)),
        ("date", lambda r: str(r["date"])),
        ("language", lambda r: r["language"]),
        ("plan", lambda r: r["plan"]),
        ("source", lambda r: link(r["url"], r["source"]) if r["kind"] == "review" else Cell(r["source"])),
        ("confidence", lambda r: Cell(pct(r["confidence"]), numeric=True)),
    ]
    blocks.append(
        Block(
            "edge-quotes",
            "In customers' words",
            "Representative quotes per category (redacted); every "
            "sharp-edge sentence is in tables/sharp_edge_sentences.csv.",
            display(quotes, columns, export="sharp_edge_quotes", limit=60),
            FORMULAS["edge_quotes"],
            "sharp_edge_quotes",
            None,
            wide=True,
        )
    )
    return blocks


def _score(row) -> str:
    return f"NPS {int(row['score'])}" if row["kind"] == "nps" else f"{row['score']:.0f}★"
