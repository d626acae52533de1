"""Turn a story profile into text, drawing hand-written sentences from one language's pools."""

from __future__ import annotations

import random
from types import ModuleType
from typing import Literal

from story import NEUTRAL_THEMES, POSITIVE_THEMES, Profile, sigmoid

Kind = Literal["review", "sections", "nps"]
Sentences = list[tuple[str, str]]  # (pool name, sentence)

POS_FILLERS = (["product_pos", "price_pos"], [0.75, 0.25])
NEG_FILLERS = (["product_neg", "bug", "feature_request"], [0.45, 0.35, 0.20])
THEMED_TITLES = {
    "onboarding_pos": "title_onboarding_pos",
    "support_pos": "title_support_pos",
    "success_pos": "title_success_pos",
    "annual_renewal": "title_annual",
    "annual_refund": "title_annual",
    "support_access": "title_support_access",
    "billing": "title_billing",
    "usage_limits": "title_usage_limits",
}
# (sentences min, max, fillers, P(context), P(not-service aside), P(opener), P(closer)) per kind.
SHAPE = {
    "review": (2, 6, (1, 3), 0.35, 0.08, 0.45, 0.35),
    "sections": (3, 7, (1, 3), 1.0, 0.10, 0.0, 0.0),
    "nps": (1, 4, (0, 2), 0.08, 0.04, 0.10, 0.10),
}


class Writer:
    """Composes reviews and comments in one language; all randomness comes from the given rng."""

    def __init__(self, phrases: ModuleType, rng: random.Random) -> None:
        self.pools: dict[str, list[str]] = phrases.POOLS
        self.slots: dict[str, list[str]] = phrases.SLOTS
        self.join: str = phrases.JOIN
        self.names: list[str] = phrases.NAMES
        self.rng = rng

    def sentence(self, pool: str, used: set[str]) -> str:
        options = [s for s in self.pools[pool] if s not in used] or self.pools[pool]
        template = self.rng.choice(options)
        used.add(template)
        text = template.format(**{key: self.rng.choice(values) for key, values in self.slots.items()})
        return text[:1].upper() + text[1:]  # a slot may open the sentence: "{feature} ..."

    def author(self) -> str:
        return f"{self.rng.choice(self.names)} {self.rng.choice('ABCDEFGHIJKLMNOPRSTUWY')}."

    def mood(self, profile: Profile) -> str:
        has_neg = any(t not in POSITIVE_THEMES for t in profile.themes)
        has_pos = any(t in POSITIVE_THEMES for t in profile.themes)
        if profile.latent > 0.6 and not has_neg:  # ≥ 4 stars / NPS ≥ 8
            return "pos"
        if profile.latent < -0.8 and not has_pos:  # ≤ 2 stars / NPS ≤ 6
            return "neg"
        return "mixed"

    def compose(self, profile: Profile, *, kind: Kind) -> Sentences:
        lo, hi, fill_range, p_ctx, p_aside, p_open, p_close = SHAPE[kind]
        rng, used = self.rng, set[str]()
        middle = [(t, self.sentence(t, used)) for t in profile.themes]
        fillers = []
        for _ in range(max(rng.randint(*fill_range), lo - len(middle) - 1, 0)):
            pools, weights = POS_FILLERS if rng.random() < sigmoid(2 * profile.latent) else NEG_FILLERS
            pool = rng.choices(pools, weights=weights)[0]
            fillers.append((pool, self.sentence(pool, used)))
        if rng.random() < p_aside:
            fillers.append(("not_service", self.sentence("not_service", used)))
        context = [("context", self.sentence("context", used))] if rng.random() < p_ctx else []
        room = max(hi - len(middle) - len(context), 0)
        middle += fillers[:room]
        if len(middle) + len(context) < lo:
            pools, weights = POS_FILLERS if profile.latent > 0 else NEG_FILLERS
            pool = rng.choices(pools, weights=weights)[0]
            middle.append((pool, self.sentence(pool, used)))
        rng.shuffle(middle)
        out = context + middle
        mood = self.mood(profile)
        if len(out) < hi and rng.random() < p_open:
            out.insert(0, (f"opener_{mood}", self.sentence(f"opener_{mood}", used)))
        if mood != "mixed" and len(out) < hi and rng.random() < p_close:
            out.append((f"closer_{mood}", self.sentence(f"closer_{mood}", used)))
        return out

    def text(self, sentences: Sentences) -> str:
        return self.join.join(s for _, s in sentences)

    def sections(self, sentences: Sentences) -> tuple[str, str, str]:
        """Split into (body, pros, cons) the way G2 / ITreview pages lay a review out."""
        used = {s for _, s in sentences}
        body = [s for t, s in sentences if t in NEUTRAL_THEMES]
        pros = [s for t, s in sentences if t in POSITIVE_THEMES]
        cons = [s for t, s in sentences if t not in POSITIVE_THEMES and t not in NEUTRAL_THEMES]
        pros = pros or [self.sentence("product_pos", used)]
        cons = cons or [self.sentence("minor_cons", used)]
        return self.join.join(body), self.join.join(pros), self.join.join(cons)

    def title(self, profile: Profile) -> str:
        themed = [THEMED_TITLES[t] for t in profile.themes if THEMED_TITLES.get(t) in self.pools]
        if themed and self.rng.random() < 0.6:
            return self.rng.choice(self.pools[self.rng.choice(themed)])
        return self.rng.choice(self.pools[f"title_{self.mood(profile)}"])

    def long_text(self, pools: list[str], *, target_chars: int) -> str:
        """A long, rambling review: sentences from the given pools, five to a paragraph, up to target_chars."""
        used: set[str] = set()
        paragraphs: list[list[str]] = [[]]
        while sum(len(s) + 1 for p in paragraphs for s in p) < target_chars:
            if len(paragraphs[-1]) == 5:
                paragraphs.append([])
            paragraphs[-1].append(self.sentence(self.rng.choice(pools), used))
        return "\n\n".join(self.join.join(p) for p in paragraphs)
