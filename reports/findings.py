"""Plain-language findings: lasting shifts (one change point per series) and sharp-edge spikes.

A shift is the split of a period series into "before" and "from period P on" that maximises the Welch z of the
difference in means (at least two periods on each side). Many series are scanned, so only |z| ≥ 3 is reported
and every sentence states its z: read z near 3 as a lead to check, z above 5 as a clear change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reports.aggregate import theme_label

SHIFT_Z = 3.0
MIN_SIDE = 2


@dataclass(frozen=True)
class Shift:
    since: str
    before: float
    after: float
    n_before: int
    n_after: int
    z: float


def change_point(frame: pd.DataFrame, *, value: str, min_side: int = MIN_SIDE) -> Shift | None:
    """The strongest single shift in the mean of ``value`` across ``frame['period']``, or None."""
    data = frame[["period", value]].dropna()
    stats = data.groupby("period")[value].agg(["count", "sum"]).sort_index()
    stats["sq"] = data.assign(sq=data[value] ** 2).groupby("period")["sq"].sum()
    periods = list(stats.index)
    best: Shift | None = None
    for k in range(min_side, len(periods) - min_side + 1):
        a, b = stats.iloc[:k].sum(), stats.iloc[k:].sum()
        if a["count"] < 2 or b["count"] < 2:
            continue
        ma, mb = a["sum"] / a["count"], b["sum"] / b["count"]
        va = max(a["sq"] / a["count"] - ma**2, 0.0) * a["count"] / (a["count"] - 1)
        vb = max(b["sq"] / b["count"] - mb**2, 0.0) * b["count"] / (b["count"] - 1)
        se = np.sqrt(va / a["count"] + vb / b["count"])
        if se == 0:
            continue
        z = float((mb - ma) / se)
        if best is None or abs(z) > abs(best.z):
            best = Shift(periods[k], float(ma), float(mb), int(a["count"]), int(b["count"]), z)
    return best


def shifts(
    records: pd.DataFrame, *, themes: Sequence[str], dimensions: Sequence[str], z_min: float = SHIFT_Z
) -> pd.DataFrame:
    """Shifts of theme rates (records with text) and of NPS, overall and per segment value, strongest first."""
    rows = []
    texts = records[records["has_text"]]
    scopes: list[tuple[str, str, pd.DataFrame, pd.DataFrame]] = [("all", "all", texts, records)]
    for dim in dimensions:
        for seg in sorted(records[dim].dropna().unique()):
            scopes.append((dim, str(seg), texts[texts[dim] == seg], records[records[dim] == seg]))
    for dim, seg, text_part, part in scopes:
        series = [(theme, text_part, theme) for theme in themes] + [("nps", part, "nps_points")]
        for measure, frame, column in series:
            found = change_point(frame, value=column)
            if found and abs(found.z) >= z_min:
                rows.append(
                    {
                        "dimension": dim,
                        "segment": seg,
                        "measure": measure,
                        "since": found.since,
                        "before": found.before,
                        "after": found.after,
                        "change": found.after - found.before,
                        "n_before": found.n_before,
                        "n_after": found.n_after,
                        "z": found.z,
                    }
                )
    out = pd.DataFrame(
        rows,
        columns=["dimension", "segment", "measure", "since", "before", "after", "change", "n_before", "n_after", "z"],
    )
    return out.reindex(out["z"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def headline_shifts(table: pd.DataFrame, *, limit: int = 5) -> pd.DataFrame:
    """The shifts worth a sentence: per measure the overall one, plus at most one segment whose change is clearly
    larger (≥ 1.5×) than the overall change or that shifted while the whole did not; strongest first."""
    keep = []
    for _measure, rows in table.groupby("measure", sort=False):
        overall = rows[rows["dimension"] == "all"]
        segments = rows[rows["dimension"] != "all"]
        if len(overall):
            keep.append(overall.index[0])
            base = abs(overall.iloc[0]["change"])
            segments = segments[segments["change"].abs() >= 1.5 * base]
        if len(segments):
            keep.append(segments.index[0])
    chosen = table.loc[keep]
    return chosen.reindex(chosen["z"].abs().sort_values(ascending=False).index).head(limit)


def describe_shift(row: pd.Series) -> str:
    """One sentence for a shift row, e.g. 'onboarding · praise: 18% of records from 2026-03 on, vs 4% before'."""
    scope = "" if row["dimension"] == "all" else f" ({row['dimension']} = {row['segment']})"
    if row["measure"] == "nps":
        return (
            f"NPS{scope}: {row['after']:+.0f} from {row['since']} on, vs {row['before']:+.0f} before "
            f"({row['change']:+.0f} points, z = {row['z']:+.1f})."
        )
    return (
        f"{theme_label(row['measure']).capitalize()}{scope}: {row['after']:.0%} of records with text from "
        f"{row['since']} on, vs {row['before']:.0%} before ({row['change'] * 100:+.0f} pts, z = {row['z']:+.1f})."
    )


def describe_spikes(periods: pd.DataFrame, profile: pd.DataFrame) -> list[str]:
    """One sentence per sharp-edge category with spikes, naming the segment that holds most of the spike's records
    among those over-represented in it (share ≥ 50%, and ≥ 1.25× its share of all records)."""
    lines = []
    for category, rows in periods[periods["spike"]].groupby("category", sort=False):
        peak = rows.loc[rows["count"].idxmax()]
        mine = profile[(profile["category"] == category) & (profile["share"] >= 0.5) & (profile["lift"] >= 1.25)]
        mine = mine.sort_values(["share", "lift"], ascending=False).head(1)
        who = ""
        if len(mine):
            top = mine.iloc[0]
            who = (
                f"; mostly {top['dimension']} = {top['segment']} ({top['share']:.0%} of them vs "
                f"{top['base_share']:.0%} of all records)"
            )
        lines.append(
            f"{category.replace('_', ' ').capitalize()} complaints spiked in {', '.join(rows['period'])} "
            f"(peak {int(peak['count'])} records in {peak['period']} vs a baseline of {peak['baseline']:.0f}{who})."
        )
    return lines
