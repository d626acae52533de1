"""Advocate candidates: who qualifies, which quote, and the advocacy rate."""

from __future__ import annotations

import pandas as pd
import pytest

from reports.advocacy import advocacy_rate, advocate_candidates
from reports.aggregate import attach_records, record_frame
from reports.attribution import Resampling
from tests.reports.frames import feedback, sentences, tags

KINDS = ["support", "success", "onboarding"]


@pytest.fixture
def frames():
    fb = feedback(
        {"external_id": "promoter", "nps_score": 10, "account_id": "acct-1", "created_at": "2026-05-01T00:00Z"},
        {"external_id": "anonymous", "nps_score": 9, "created_at": "2026-05-02T00:00Z"},
        {
            "external_id": "five",
            "source": "g2",
            "kind": "review",
            "rating": 5,
            "url": "https://g2.test/r/5",
            "created_at": "2026-05-03T00:00Z",
        },
        {"external_id": "four", "source": "g2", "kind": "review", "rating": 4, "created_at": "2026-05-04T00:00Z"},
        {"external_id": "grumpy", "nps_score": 10, "account_id": "acct-2", "created_at": "2026-06-01T00:00Z"},
    )
    sents = sentences(
        ("nps", "promoter", 0, "Our CSM is brilliant.", ["success"], "positive", "none", 0.7, 0.1),
        ("nps", "promoter", 1, "Support replied in minutes.", ["support"], "positive", "none", 0.95, 0.1),
        ("nps", "anonymous", 0, "Support is great.", ["support"], "positive", "none", 0.9, 0.1),
        ("g2", "five", 0, "Onboarding was superb.", ["onboarding"], "positive", "none", 0.8, 0.1),
        ("g2", "four", 0, "Support is great.", ["support"], "positive", "none", 0.9, 0.1),
        ("nps", "grumpy", 0, "Support never answers.", ["support"], "negative", "none", 0.9, 0.1),
        ("nps", "grumpy", 1, "The product is great.", [], "positive", "none", 0.9, 0.1),
    )
    records = record_frame(fb, tags(fb), sents, period="month", service_kinds=KINDS)
    return records, attach_records(sents, records)


def test_candidates_are_promoters_with_account_and_five_star_reviewers_praising_service(frames) -> None:
    _, sents = frames
    found = advocate_candidates(sents)
    assert found["external_id"].tolist() == ["five", "promoter"]  # newest first
    promoter = found.set_index("external_id").loc["promoter"]
    assert promoter["quote"] == "Support replied in minutes."  # the most confident praising sentence
    assert promoter["praised"] == "success, support"
    assert promoter["account_id"] == "acct-1" and promoter["score"] == 10
    five = found.set_index("external_id").loc["five"]
    assert five["url"] == "https://g2.test/r/5" and five["score"] == 5 and pd.isna(five["account_id"])


def test_advocacy_rate_by_period(frames) -> None:
    records, sents = frames
    rate = advocacy_rate(records, advocate_candidates(sents), opts=Resampling(samples=30, min_sample=2))
    may, june = rate.set_index("period").loc["2026-05"], rate.set_index("period").loc["2026-06"]
    assert (may["advocates"], may["n"], may["value"]) == (2, 4, 0.5)
    assert may["enthusiasts"] == 2  # the anonymous promoter has no account id; the 4-star review is no enthusiast
    assert (june["advocates"], june["value"]) == (0, 0.0)
