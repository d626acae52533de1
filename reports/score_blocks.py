"""Blocks of a score (NPS or stars): its trend, what carries it, what moved it, removal impact, relative weights."""

from __future__ import annotations

import pandas as pd

from reports import charts, driver_charts
from reports.formulas import FORMULAS
from reports.present import Block, Cell, Column, count, display, field, num, num_ci, pct, pct_ci

SCORE_UNITS = {"nps": ("NPS", "NPS points", "+.1f"), "stars": ("star rating", "stars", "+.2f")}
LEVELS = {"nps": "+.1f", "stars": ".2f"}  # the score itself (contributions and changes always carry a sign)


def score_blocks(
    t: dict[str, pd.DataFrame], score: str, compare: tuple[str, str] | None, *, full: bool = True
) -> list[Block]:
    """All blocks of the primary score; trend, split and removal impact only when ``full`` is False."""
    name, unit, fmt = SCORE_UNITS[score]
    blocks = [_trend(t[f"{score}_by_period"], score)]
    total = t[f"contributions_{score}_total"]
    blocks.append(
        Block(
            f"waterfall-{score}",
            f"How many {unit} customer service carries",
            f"The observed {name} split exactly into a baseline and each theme's points (b·p); the service themes are "
            "the service team's share.",
            display(total, _term_columns(fmt), export=f"contributions_{score}_total"),
            FORMULAS["waterfall"],
            f"contributions_{score}_total",
            driver_charts.contribution_waterfall(total, unit=unit),
        )
    )
    if full:
        blocks.append(_per_period(t[f"contributions_{score}"], score))
        if f"change_{score}" in t and compare:
            change = t[f"change_{score}"]
            columns: list[Column] = [
                ("theme", field("label")),
                ("volume part", lambda r: num_ci(r["volume"], r["volume_low"], r["volume_high"], fmt)),
                ("rate part", lambda r: num_ci(r["rate"], r["rate_low"], r["rate_high"], fmt)),
                ("total", lambda r: Cell(num(r["total"], fmt), numeric=True)),
            ]
            blocks.append(
                Block(
                    f"change-{score}",
                    f"What moved the {name} from {compare[0]} to {compare[1]}",
                    "Volume: a theme became more or less common. Rate: its association with the score changed.",
                    display(change, columns, export=f"change_{score}"),
                    FORMULAS["change"],
                    f"change_{score}",
                    driver_charts.change_bars(change, unit=unit),
                )
            )
    removal = t[f"removal_impact_{score}"]
    columns = [
        ("theme", field("label")),
        ("records with theme", lambda r: count(r["n_theme"], small=r["small_sample"])),
        (f"{name} with", lambda r: Cell(num(r["score_theme"], LEVELS[score]), numeric=True)),
        (f"{name} without", lambda r: Cell(num(r["score_without"], LEVELS[score]), numeric=True)),
        ("removal impact (95% CI)", lambda r: num_ci(r["impact"], r["ci_low"], r["ci_high"], fmt)),
        ("identity check", lambda r: Cell(num(r["impact_identity"], fmt), numeric=True)),
    ]
    blocks.append(
        Block(
            f"removal-{score}",
            f"Removal impact on the {name}",
            f"How much higher or lower the {name} would be without the records that mention each theme.",
            display(removal, columns, export=f"removal_impact_{score}"),
            FORMULAS["removal"],
            f"removal_impact_{score}",
            driver_charts.impact_bars(removal, value="impact", unit=unit, title=f"Removal impact ({unit})"),
        )
    )
    if full:
        weights = t[f"relative_weights_{score}"]
        columns = [
            ("theme", field("label")),
            ("share of R² (95% CI)", lambda r: pct_ci(r["share"], r["ci_low"], r["ci_high"])),
            ("raw weight", lambda r: Cell(num(r["raw_weight"], ".3f"), numeric=True)),
        ]
        r2 = weights["r2"].iloc[0] if len(weights) else float("nan")
        blocks.append(
            Block(
                f"weights-{score}",
                "Relative importance (robustness check)",
                f"Each theme's share of the explained variance of the {name} (R² = {num(r2, '.2f')}); themes that "
                "matter should rank high here and in the split above.",
                display(weights, columns, export=f"relative_weights_{score}"),
                FORMULAS["weights"],
                f"relative_weights_{score}",
                driver_charts.impact_bars(weights, value="share", unit="% of R²", scale=100, title="Relative weights"),
            )
        )
    return blocks


def _trend(by_period: pd.DataFrame, score: str) -> Block:
    if score == "nps":
        columns: list[Column] = [
            ("period", field("period")),
            ("responses", lambda r: count(r["n"], small=r["small_sample"])),
            ("promoters", lambda r: Cell(pct(r["promoters"]), numeric=True)),
            ("passives", lambda r: Cell(pct(r["passives"]), numeric=True)),
            ("detractors", lambda r: Cell(pct(r["detractors"]), numeric=True)),
            ("NPS (95% CI)", lambda r: num_ci(r["nps"], r["nps_low"], r["nps_high"], "+.0f")),
        ]
        return Block(
            "nps",
            "Net Promoter Score",
            "NPS per period with its interval, above the mix of promoters, passives and detractors.",
            display(by_period, columns, export="nps_by_period"),
            FORMULAS["nps"],
            "nps_by_period",
            charts.nps_trend(by_period),
        )
    columns = [
        ("period", field("period")),
        ("reviews", lambda r: count(r["n"], small=r["small_sample"])),
        ("5-star", lambda r: Cell(pct(r["five_star"]), numeric=True)),
        ("1–2 star", lambda r: Cell(pct(r["low_star"]), numeric=True)),
        ("mean ★ (95% CI)", lambda r: num_ci(r["mean_stars"], r["mean_stars_low"], r["mean_stars_high"], ".2f")),
    ]
    return Block(
        "stars",
        "Star ratings",
        "Mean star rating of reviews per period, with its interval.",
        display(by_period, columns, export="stars_by_period"),
        FORMULAS["stars"],
        "stars_by_period",
        charts.stars_trend(by_period),
    )


def _per_period(per_period: pd.DataFrame, score: str) -> Block:
    name, unit, fmt = SCORE_UNITS[score]
    service = per_period[per_period["kind"] == "total"]
    wide = service.set_index("period")
    columns: list[Column] = [
        ("period", lambda r: r.name),
        ("records", lambda r: count(r["n"], small=r["small_sample"])),
        ("customer service (total, 95% CI)", lambda r: num_ci(r["points"], r["ci_low"], r["ci_high"], fmt)),
        (name, lambda r: Cell(num(r["score"], LEVELS[score]), numeric=True)),
    ]
    return Block(
        f"contribution-{score}",
        f"{unit[0].upper()}{unit[1:]} carried by service, per period",
        "The same split fitted period by period; small periods are noisy (see their intervals).",
        display(wide, columns, export=f"contributions_{score}"),
        FORMULAS["contribution_trend"],
        f"contributions_{score}",
        driver_charts.contribution_trend(per_period, unit=unit),
    )


def _term_columns(fmt: str) -> list[Column]:
    return [
        ("term", lambda r: Cell(r["label"], flag=r["kind"] == "total")),
        ("coefficient b", lambda r: Cell(num(r["coef"], fmt), numeric=True)),
        ("prevalence p", lambda r: Cell(pct(r["prevalence"], 1) if r["kind"] != "total" else "", numeric=True)),
        ("points b·p (95% CI)", lambda r: num_ci(r["points"], r["ci_low"], r["ci_high"], fmt)),
    ]
