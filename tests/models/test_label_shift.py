"""Sentiment priors estimated from unlabelled probabilities (EM) and the probabilities adjusted to them."""

from __future__ import annotations

import numpy as np
import pytest

from models.label_shift import ALL_LANGUAGES, PriorAdaptation, adapt, adjust, estimate_priors, training_priors

SOURCE = np.array([0.4, 0.25, 0.35])


def calibrated_corpus(priors, n: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, labels) of a calibrated classifier trained under ``SOURCE``, on a corpus drawn with ``priors``.

    Each class emits a 1-d score from its own Gaussian; the exact posterior under ``SOURCE`` is the calibrated output.
    """
    rng = np.random.default_rng(seed)
    labels = rng.choice(3, size=n, p=priors)
    means = np.array([-1.5, 0.0, 1.5])
    x = rng.normal(means[labels], 1.0)
    likelihood = np.exp(-0.5 * (x[:, None] - means[None, :]) ** 2)
    posterior = likelihood * SOURCE
    return posterior / posterior.sum(axis=1, keepdims=True), labels


def accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    return float((probs.argmax(axis=1) == labels).mean())


@pytest.mark.parametrize("target", [(0.3, 0.1, 0.6), (0.6, 0.3, 0.1), (0.2, 0.6, 0.2)])
def test_em_recovers_the_corpus_priors_and_the_adjustment_helps(target) -> None:
    probs, labels = calibrated_corpus(target, 20_000)
    estimate = estimate_priors(probs, SOURCE)
    assert estimate.converged
    np.testing.assert_allclose(estimate.priors, target, atol=0.03)
    adjusted = adjust(probs, SOURCE, estimate.priors)
    np.testing.assert_allclose(adjusted.sum(axis=1), 1.0, rtol=1e-6)
    assert accuracy(adjusted, labels) > accuracy(probs, labels) + 0.01


def test_a_corpus_drawn_like_training_keeps_its_priors_and_its_decisions() -> None:
    probs, _ = calibrated_corpus(SOURCE, 20_000, seed=1)
    estimate = estimate_priors(probs, SOURCE)
    np.testing.assert_allclose(estimate.priors, SOURCE, atol=0.02)
    assert (adjust(probs, SOURCE, estimate.priors).argmax(axis=1) == probs.argmax(axis=1)).mean() > 0.97
    np.testing.assert_allclose(adjust(probs, SOURCE, SOURCE), probs, rtol=1e-6)


def test_adapt_groups_by_language_and_leaves_small_or_unknown_groups_alone() -> None:
    en, _ = calibrated_corpus((0.3, 0.1, 0.6), 400, seed=2)
    ja, _ = calibrated_corpus((0.3, 0.1, 0.6), 50, seed=3)
    probs = np.concatenate([en, ja])
    langs = ["en"] * len(en) + ["ja"] * len(ja)
    out, estimates = adapt(probs, langs, {"en": tuple(SOURCE)}, min_rows=100)
    assert set(estimates) == {"en"}  # ja: 50 rows, below min_rows
    np.testing.assert_array_equal(out[len(en) :], ja)
    assert not np.allclose(out[: len(en)], en)
    assert estimates["en"].priors[1] < 0.2  # neutral, 0.25 in training, ~0.1 here
    _, estimates = adapt(probs, [code.upper() for code in langs], {"en": tuple(SOURCE)}, min_rows=100)
    assert set(estimates) == {"en"}  # "EN" is en
    # ja has no prior of its own: the all-languages one is used once the group is large enough
    out, estimates = adapt(probs, langs, {ALL_LANGUAGES: tuple(SOURCE)}, min_rows=50)
    assert set(estimates) == {"en", "ja"}
    # no languages given: one group under the all-languages prior
    _, estimates = adapt(probs, None, {ALL_LANGUAGES: tuple(SOURCE)}, min_rows=50)
    assert set(estimates) == {ALL_LANGUAGES}
    # no prior stored at all: nothing changes
    out, estimates = adapt(probs, langs, {}, min_rows=1)
    assert not estimates
    np.testing.assert_array_equal(out, probs)


def test_adapt_is_a_function_of_the_rows_not_of_their_order() -> None:
    probs, _ = calibrated_corpus((0.5, 0.1, 0.4), 500, seed=4)
    order = np.random.default_rng(5).permutation(len(probs))
    a, _ = adapt(probs, None, {ALL_LANGUAGES: tuple(SOURCE)})
    b, _ = adapt(probs[order], None, {ALL_LANGUAGES: tuple(SOURCE)})
    np.testing.assert_allclose(a[order], b, rtol=1e-5)


def test_training_priors_are_the_mean_probabilities_per_language_and_over_all() -> None:
    probs = np.array([[0.8, 0.1, 0.1], [0.2, 0.2, 0.6], [0.1, 0.8, 0.1]])
    priors = training_priors(probs, ["en", "en", None])
    assert priors[ALL_LANGUAGES] == pytest.approx((1.1 / 3, 1.1 / 3, 0.8 / 3), abs=1e-6)
    assert priors["en"] == pytest.approx((0.5, 0.15, 0.35), abs=1e-6)
    assert set(priors) == {ALL_LANGUAGES, "en"}
    assert training_priors(np.zeros((0, 3)), []) == {}


def test_bad_input_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="min_rows"):
        PriorAdaptation(min_rows=0)
    with pytest.raises(ValueError, match="no rows"):
        estimate_priors(np.zeros((0, 3)), SOURCE)
    with pytest.raises(ValueError, match="shape"):
        estimate_priors(np.ones((4, 2)) / 2, SOURCE)
    with pytest.raises(ValueError, match="languages"):
        adapt(np.ones((3, 3)) / 3, ["en"], {ALL_LANGUAGES: tuple(SOURCE)})


def test_the_setting_turns_adaptation_on_off_and_refuses_zero() -> None:
    from pydantic import ValidationError

    from models.config import ClassifierSettings

    assert ClassifierSettings().prior_adaptation() is None  # off by default: the priors the model was trained with
    assert ClassifierSettings(adapt_sentiment_priors=200).prior_adaptation() == PriorAdaptation(min_rows=200)
    assert ClassifierSettings(adapt_sentiment_priors=50).prior_adaptation() == PriorAdaptation(min_rows=50)
    assert ClassifierSettings(adapt_sentiment_priors=None).prior_adaptation() is None
    with pytest.raises(ValidationError, match="adapt_sentiment_priors"):
        ClassifierSettings(adapt_sentiment_priors=0)


def test_empty_saturated_duplicate_and_huge_inputs_keep_every_row_well_formed() -> None:
    empty, estimates = adapt(np.zeros((0, 3)), [], {ALL_LANGUAGES: tuple(SOURCE)}, min_rows=1)
    assert empty.shape == (0, 3) and not estimates
    # an overfit model's one-hot outputs, exact zeros included: no NaN, rows still sum to 1, argmax kept
    one_hot = np.eye(3)[np.random.default_rng(6).choice(3, size=300, p=(0.7, 0.0, 0.3))]
    out, estimates = adapt(one_hot, None, {ALL_LANGUAGES: tuple(SOURCE)}, min_rows=1)
    assert np.isfinite(out).all() and np.allclose(out.sum(axis=1), 1.0)
    np.testing.assert_array_equal(out.argmax(axis=1), one_hot.argmax(axis=1))
    assert estimates[ALL_LANGUAGES].priors[1] < 0.01  # no neutral row: neutral's prior goes to (almost) nothing
    # one text repeated: one group, one estimate, every copy adjusted alike
    same = np.tile([[0.2, 0.5, 0.3]], (250, 1))
    out, _ = adapt(same, ["id"] * 250, {"id": tuple(SOURCE)}, min_rows=1)
    assert (out == out[0]).all() and np.isfinite(out).all()
    # a large corpus: every row comes back, in order
    big, labels = calibrated_corpus((0.3, 0.1, 0.6), 200_000, seed=7)
    out, estimates = adapt(big, ["en"] * len(big), {"en": tuple(SOURCE)})
    assert out.shape == big.shape and estimates["en"].converged
    assert accuracy(out, labels) > accuracy(big, labels)


def test_a_zero_or_ill_shaped_stored_prior_is_survived_or_refused_clearly() -> None:
    probs, _ = calibrated_corpus((0.3, 0.1, 0.6), 500, seed=8)
    out, _ = adapt(probs, None, {ALL_LANGUAGES: (0.5, 0.0, 0.5)}, min_rows=1)  # a class dev never predicted
    assert np.isfinite(out).all() and np.allclose(out.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="for 2 training priors"):
        adapt(probs, None, {ALL_LANGUAGES: (0.5, 0.5)}, min_rows=1)
