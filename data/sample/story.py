"""The planted demo story: which themes a record carries on a given day and tier, and how satisfied it is.

Rates are per record with text (reviews and NPS comments alike); the generator's docstring lists them.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

START = date(2025, 7, 1)
END = date(2026, 10, 31)
CHAT_REMOVED_FOR_FREE = date(2026, 1, 1)
ONBOARDING_LAUNCH = date(2026, 3, 1)
ANNUAL_POLICY_SPIKE = (date(2026, 6, 1), date(2026, 8, 31))

POSITIVE_THEMES = {"support_pos", "success_pos", "onboarding_pos", "product_pos", "price_pos"}
NEUTRAL_THEMES = {"context", "not_service"}
SERVICE_NEGATIVE = {"support_neg", "success_neg", "onboarding_neg"}
ANNUAL_THEMES = ("annual_renewal", "annual_refund")
SHARP_EDGE_OF = {  # pool name -> taxonomy sharp-edge label
    "billing": "billing",
    "cancellation_refunds": "cancellation_refunds",
    "annual_refund": "cancellation_refunds",
    "contract_renewal": "contract_renewal",
    "annual_renewal": "contract_renewal",
    "pricing_plan_changes": "pricing_plan_changes",
    "usage_limits": "usage_limits",
    "account_access": "account_access",
    "data_export_lockin": "data_export_lockin",
    "support_access": "support_access",
}

# How far one planted sentence moves the latent satisfaction (NPS ≈ 7.2 + 1.9·latent).
EFFECT = {"support_pos": 1.0, "success_pos": 1.1, "onboarding_pos": 1.0, "annual_renewal": -1.7, "annual_refund": -1.7}
EFFECT |= {name: -1.1 for name in SERVICE_NEGATIVE}
EFFECT |= {name: -1.4 for name in SHARP_EDGE_OF if name not in EFFECT}


@dataclass(frozen=True)
class Profile:
    """What one record is about, before any text is written."""

    day: date
    tier: str  # free | paid (reviews keep it hidden; NPS rows carry it as "Plan")
    themes: tuple[str, ...]
    latent: float

    @property
    def nps_score(self) -> int:
        return max(0, min(10, round(7.2 + 1.9 * self.latent)))

    @property
    def stars(self) -> int:
        return max(1, min(5, round(3.5 + 1.25 * self.latent)))


def theme_rates(day: date, tier: str) -> dict[str, float]:
    """Probability that a record with text carries each planted theme."""
    paid = tier == "paid"
    chat_gone = not paid and day >= CHAT_REMOVED_FOR_FREE
    launched = day >= ONBOARDING_LAUNCH
    spike = ANNUAL_POLICY_SPIKE[0] <= day <= ANNUAL_POLICY_SPIKE[1]
    return {
        "onboarding_pos": 0.18 if launched else 0.04,
        "onboarding_neg": 0.015 if launched else 0.04,
        "support_pos": 0.14 if paid else (0.04 if chat_gone else 0.09),
        "support_neg": 0.14 if chat_gone else 0.05,
        "support_access": 0.18 if chat_gone else 0.01,
        "success_pos": 0.09 if paid else 0.01,
        "success_neg": 0.015 if paid else 0.0,
        "annual_policy": (0.32 if paid else 0.06) if spike else 0.0,
        "cancellation_refunds": 0.015,
        "contract_renewal": 0.012 if paid else 0.0,
        "billing": 0.025,
        "pricing_plan_changes": 0.02,
        "usage_limits": 0.02 if paid else 0.05,
        "account_access": 0.015,
        "data_export_lockin": 0.012,
    }


def base_mean(day: date, tier: str) -> float:
    """Latent satisfaction before planted themes: paid accounts warm up after the onboarding launch."""
    if tier == "paid":
        return 0.30 + (0.35 if day >= ONBOARDING_LAUNCH else 0.0)
    return 0.10 - (0.10 if day >= CHAT_REMOVED_FOR_FREE else 0.0)


def draw_profile(rng: random.Random, day: date, tier: str, *, with_text: bool = True) -> Profile:
    themes: list[str] = []
    if with_text:
        for theme, p in theme_rates(day, tier).items():
            if rng.random() >= p:
                continue
            if theme == "annual_policy":
                roll = rng.random()  # renewal 40%, refund 35%, both 25%
                themes += ANNUAL_THEMES[:1] if roll < 0.4 else ANNUAL_THEMES[1:] if roll < 0.75 else list(ANNUAL_THEMES)
            elif not (theme == "onboarding_neg" and "onboarding_pos" in themes):
                themes.append(theme)
    latent = rng.gauss(base_mean(day, tier), 0.9) + sum(EFFECT[t] for t in themes)
    return Profile(day=day, tier=tier, themes=tuple(sorted(set(themes), key=themes.index)), latent=latent)


DAYS = [START + timedelta(d) for d in range((END - START).days + 1)]
# Volume grows ~60% from the first to the last month (a growing product gets more feedback).
_CUM_WEIGHTS = list(accumulate(1 + 0.6 * i / len(DAYS) for i in range(len(DAYS))))


def draw_day(rng: random.Random) -> date:
    return rng.choices(DAYS, cum_weights=_CUM_WEIGHTS)[0]


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))
