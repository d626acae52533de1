"""Baselines: rules-only decisions, and TF-IDF + logistic regression trained and applied on a small set."""

from __future__ import annotations

import numpy as np
import pytest

from models.baselines import RulesBaseline, TfidfBaseline
from models.examples import LabelledExample
from pipeline.taxonomy import Taxonomy


def ex(text: str, service: list[str] | None, sentiment: str | None, sharp: str | None, **kw) -> LabelledExample:
    return LabelledExample(text=text, service=service, sentiment=sentiment, sharp_edge=sharp, **kw)


TRAIN = [
    ex("support answered my ticket quickly", ["support"], "positive", "none"),
    ex("the support agent was rude and slow", ["support"], "negative", "none"),
    ex("support team fixed my problem", ["support"], "positive", "none"),
    ex("our account manager plans a review every quarter", ["success"], "positive", "none"),
    ex("the account manager never calls", ["success"], "negative", "none"),
    ex("they charged my card twice", [], "negative", "billing"),
    ex("charged twice again this month", [], "negative", "billing"),
    ex("the calendar view is clean", [], "positive", "none"),
    ex("the calendar view is fine", [], "neutral", "none"),
    ex("the reports page lists projects", [], "neutral", "none"),
    ex("reports export works well", [], "positive", "none"),
    ex("unlabelled sentiment only", None, "neutral", None, weight=0.3, origin="weak"),
]


def test_rules_baseline_decisions(taxonomy: Taxonomy) -> None:
    texts = ["Support was great and fast.", "They double charged me, awful.", "The calendar view.",
             "Refund was quick, great service.", "解約できない"]  # fmt: skip
    out = RulesBaseline(taxonomy).run(texts, ["en", "en", "en", "en", "ja"])
    assert out.service == (("support",), (), (), (), ())
    assert out.sentiment == ("positive", "negative", "neutral", "positive", "negative")
    assert out.sharp_edge == ("none", "billing", "none", "none", "cancellation_refunds")
    assert out.service_proba is None and len(out) == 5


def test_tfidf_baseline_trains_and_predicts(taxonomy: Taxonomy) -> None:
    model = TfidfBaseline.fit(TRAIN, taxonomy=taxonomy)
    out = model.run(["support answered quickly", "charged my card twice", "the calendar view is clean"])
    assert out.service[0] == ("support",)
    assert out.service[1] == () and out.service[2] == ()
    assert out.sharp_edge == ("none", "billing", "none")
    assert out.sentiment[1] == "negative" and out.sentiment[2] == "positive"
    assert out.service_proba.shape == (3, 3)
    assert out.sentiment_proba.shape == (3, 3) and out.sharp_edge_proba.shape == (3, len(taxonomy.sharp_edge_labels))
    np.testing.assert_allclose(out.sentiment_proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(out.sharp_edge_proba.sum(axis=1), 1.0)
    # onboarding never appears in training: a constant 'no' rather than a crash
    assert (out.service_proba[:, 2] == 0).all()


def test_tfidf_baseline_is_deterministic_and_fits_the_training_set(taxonomy: Taxonomy) -> None:
    a = TfidfBaseline.fit(TRAIN, taxonomy=taxonomy).run([e.text for e in TRAIN])
    b = TfidfBaseline.fit(TRAIN, taxonomy=taxonomy).run([e.text for e in TRAIN])
    np.testing.assert_array_equal(a.sentiment_proba, b.sentiment_proba)
    labelled = [i for i, e in enumerate(TRAIN) if e.sentiment is not None]
    assert sum(a.sentiment[i] == TRAIN[i].sentiment for i in labelled) >= len(labelled) - 1


def test_tfidf_baseline_needs_examples(taxonomy: Taxonomy) -> None:
    with pytest.raises(ValueError, match="no training examples"):
        TfidfBaseline.fit([], taxonomy=taxonomy)
    empty = TfidfBaseline.fit(TRAIN, taxonomy=taxonomy).run([])
    assert len(empty) == 0 and empty.service_proba.shape == (0, 3)
