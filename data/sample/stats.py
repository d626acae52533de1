"""Measure the planted story on what the generator wrote (the figures quoted in generate.py's docstring)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from story import ANNUAL_POLICY_SPIKE, ANNUAL_THEMES, CHAT_REMOVED_FOR_FREE, ONBOARDING_LAUNCH, Profile

PERIODS = [
    ("2025-07..2026-02", date(2025, 7, 1), date(2026, 2, 28)),
    ("2026-03..2026-05", date(2026, 3, 1), date(2026, 5, 31)),
    ("2026-06..2026-08", date(2026, 6, 1), date(2026, 8, 31)),
    ("2026-09..2026-10", date(2026, 9, 1), date(2026, 10, 31)),
]


def _share(profiles: Sequence[Profile], pred: Callable[[Profile], bool]) -> str:
    hits = sum(1 for p in profiles if pred(p))
    return f"{100 * hits / max(len(profiles), 1):4.1f}% (n={len(profiles)})"


def _has_annual(p: Profile) -> bool:
    return any(t in ANNUAL_THEMES for t in p.themes)


def _nps(scores: Sequence[int]) -> str:
    if not scores:
        return "   n/a"
    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    return f"{100 * (promoters - detractors) / len(scores):+6.1f} (n={len(scores)})"


def summarize(reviews: list[dict[str, Any]], review_profiles: list[tuple[dict, Profile]], nps: list[tuple]) -> str:
    lines = ["reviews.jsonl lines per source/lang (incl. duplicates):"]
    for (src, lang), n in sorted(Counter((r["source"], r["lang"]) for r in reviews).items()):
        lines.append(f"  {src:<11} {lang}  {n}")
    lines.append(f"  total {len(reviews)} lines, {len(review_profiles)} unique reviews; NPS rows {len(nps)}")
    nps_langs = Counter(lang for _, _, lang in nps)
    empty = sum(1 for row, _, _ in nps if not row["Comment"])
    lines.append(f"  NPS languages {dict(sorted(nps_langs.items()))}, empty comments {empty}")

    texts = [p for _, p in review_profiles] + [p for row, p, _ in nps if row["Comment"]]
    before = [p for p in texts if p.day < ONBOARDING_LAUNCH]
    after = [p for p in texts if p.day >= ONBOARDING_LAUNCH]
    lines += [
        "story 1 onboarding praise (records with text):",
        f"  before 2026-03-01 {_share(before, lambda p: 'onboarding_pos' in p.themes)}",
        f"  from 2026-03-01   {_share(after, lambda p: 'onboarding_pos' in p.themes)}",
        "story 2 annual-plan complaints (records with text):",
    ]
    lo, hi = ANNUAL_POLICY_SPIKE
    for tier in ("paid", "free"):
        spike = [p for p in texts if p.tier == tier and lo <= p.day <= hi]
        rest = [p for p in texts if p.tier == tier and not lo <= p.day <= hi]
        lines.append(f"  {tier}: 2026-06..08 {_share(spike, _has_annual)}; other months {_share(rest, _has_annual)}")
    free_before = [p for p in texts if p.tier == "free" and p.day < CHAT_REMOVED_FOR_FREE]
    free_after = [p for p in texts if p.tier == "free" and p.day >= CHAT_REMOVED_FOR_FREE]
    lines += [
        "story 3 free tier, support_access / negative support:",
        f"  before 2026-01-01 {_share(free_before, lambda p: 'support_access' in p.themes)}"
        f" / {_share(free_before, lambda p: 'support_neg' in p.themes)}",
        f"  from 2026-01-01   {_share(free_after, lambda p: 'support_access' in p.themes)}"
        f" / {_share(free_after, lambda p: 'support_neg' in p.themes)}",
        "NPS by plan and period (all rows):",
    ]
    for label, start, end in PERIODS:
        cells = []
        for tier in ("paid", "free"):
            scores = [p.nps_score for _, p, _ in nps if p.tier == tier and start <= p.day <= end]
            cells.append(f"{tier} {_nps(scores)}")
        stars = [p.stars for _, p in review_profiles if start <= p.day <= end]
        cells.append(f"mean stars {sum(stars) / max(len(stars), 1):.2f}")
        lines.append(f"  {label}: " + "; ".join(cells))
    praise = {"support_pos", "success_pos"}
    promoters = sum(1 for _, p, _ in nps if praise & set(p.themes) and p.nps_score >= 9)
    praising = sum(1 for _, p, _ in nps if praise & set(p.themes))
    five = sum(1 for _, p in review_profiles if praise & set(p.themes) and p.stars == 5)
    lines.append(
        f"story 4 advocates: {promoters}/{praising} NPS rows praising support/CSM are promoters; "
        f"{five} five-star reviews praise support/CSM"
    )
    return "\n".join(lines)
