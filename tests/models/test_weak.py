"""Weak labels: the label model combines votes and abstains; rules over sentences give weighted weak examples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.weak import ABSTAIN, LabelModel, majority_vote, weak_examples_from_store, weak_label
from pipeline.taxonomy import Taxonomy

A = ABSTAIN


def test_majority_vote_with_abstains() -> None:
    votes = np.array([[1, 1, 0], [0, A, A], [A, A, A]])
    np.testing.assert_allclose(majority_vote(votes, 2), [[1 / 3, 2 / 3], [1.0, 0.0], [0.5, 0.5]])


def test_label_model_learns_which_lf_to_trust() -> None:
    """Five LFs of known accuracy (0.95 … 0.5) that abstain 30% of the time: EM recovers their accuracies in
    order and its posterior beats the plain majority vote."""
    rng = np.random.default_rng(0)
    n, accuracies = 600, [0.95, 0.8, 0.7, 0.6, 0.5]
    truth = rng.integers(0, 3, size=n)
    columns = []
    for acc in accuracies:
        wrong = (truth + rng.integers(1, 3, size=n)) % 3
        vote = np.where(rng.random(n) < acc, truth, wrong)
        columns.append(np.where(rng.random(n) < 0.3, A, vote))
    votes = np.stack(columns, axis=1)
    model = LabelModel(3).fit(votes)
    learned = [
        np.mean([model.confusion[j, c, c] / model.confusion[j, c, :3].sum() for c in range(3)]) for j in range(5)
    ]
    assert learned == sorted(learned, reverse=True)
    assert abs(learned[0] - 0.95) < 0.05
    ds = (model.predict_proba(votes).argmax(axis=1) == truth).mean()
    mv = (majority_vote(votes, 3).argmax(axis=1) == truth).mean()
    assert ds > mv + 0.02


def test_label_model_uses_single_polarity_lfs_and_priors_for_silence() -> None:
    """An LF that only ever says 'yes' still informs (abstaining is modelled); all-abstain rows get a posterior
    from how often each class is silent, not an error."""
    votes = np.array([[1, A]] * 20 + [[A, 0]] * 60 + [[A, A]] * 5)
    model = LabelModel(2).fit(votes)
    post = model.predict_proba(votes)
    assert post[0, 1] > 0.9 and post[20, 0] > 0.9
    np.testing.assert_allclose(post.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="abstain"):
        model.predict_proba(np.array([[2, 0]]))


def test_weak_label_combines_rules_and_abstains(taxonomy: Taxonomy) -> None:
    texts = [
        "Support answered my ticket fast and was great.",
        "They double charged me after the trial, terrible.",
        "The dashboard loads.",
        "解約できないのは最悪です",
        "Our CSM is helpful.",
        "The dashboard loads.",  # duplicate: labelled once
        "   ",  # blank: skipped
    ]
    langs = ["en", "en", "en", "ja", "en", "en", "en"]
    result = weak_label(texts, langs, taxonomy=taxonomy, weight=0.3, max_examples=100)
    by_text = {ex.text: ex for ex in result.examples}
    assert len(result.examples) == 5 and result.n_input == 7 and result.n_with_hits == 4
    assert {ex.origin for ex in result.examples} == {"weak"} and {ex.weight for ex in result.examples} == {0.3}
    support = by_text["Support answered my ticket fast and was great."]
    assert (support.service, support.sentiment, support.sharp_edge) == (("support",), "positive", "none")
    billing = by_text["They double charged me after the trial, terrible."]
    assert (billing.service, billing.sentiment, billing.sharp_edge) == ((), "negative", "billing")
    assert by_text["解約できないのは最悪です"].sharp_edge == "cancellation_refunds"
    assert by_text["Our CSM is helpful."].service == ("success",)
    quiet = by_text["The dashboard loads."]
    assert quiet.service == () and quiet.sharp_edge == "none"
    assert quiet.sentiment is None  # no lexicon word, no sharp edge: the sentiment head abstains
    assert result.coverage["sentiment"]["lexicon_positive"] > 0


def test_weak_label_caps_and_balances(taxonomy: Taxonomy) -> None:
    hits = [f"Support ticket number {i} was answered." for i in range(30)]
    quiet = [f"Row {i} of the report is fine." for i in range(30)]
    result = weak_label(hits + quiet, taxonomy=taxonomy, max_examples=20, seed=1)
    assert len(result.examples) == 20
    n_hit = sum(ex.text.startswith("Support") for ex in result.examples)
    assert n_hit == 15  # three quarters from sentences with a rule hit, the rest hit-free
    again = weak_label(hits + quiet, taxonomy=taxonomy, max_examples=20, seed=1)
    assert again.examples == result.examples
    assert weak_label(hits, taxonomy=taxonomy, weight=0.0).examples == ()


def test_weak_examples_from_store(tmp_path: Path, taxonomy: Taxonomy) -> None:
    from pipeline.store import Store

    path = tmp_path / "store.duckdb"
    with Store(path) as store:
        rows = [("s", "1", 0, "body", "Support fixed it quickly, great.", "en"),
                ("s", "1", 1, "body", "We were double charged.", "en"),
                ("s", "2", 0, "body", "Support fixed it quickly, great.", "en")]  # fmt: skip
        for source, ext, idx, section, text, lang in rows:
            store.con.execute(
                "INSERT INTO sentences VALUES (?, ?, ?, ?, ?, ?, 0, 1, ?, 'h')",
                [source, ext, idx, section, text, text, lang],
            )
    result = weak_examples_from_store(path, taxonomy=taxonomy, weight=0.5, max_examples=10)
    assert sorted(ex.text for ex in result.examples) == ["Support fixed it quickly, great.", "We were double charged."]
    assert all(ex.weight == 0.5 and ex.source == "weak:store" for ex in result.examples)
