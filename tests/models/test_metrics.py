"""Metrics against hand-computed values, and their ranges as properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.metrics import (
    binary_calibration,
    binary_metrics,
    classification_metrics,
    expected_calibration_error,
    multiclass_calibration,
    multilabel_metrics,
)

SENTIMENT = ("negative", "neutral", "positive")


def test_binary_metrics_by_hand() -> None:
    # tp: 0, 3; fp: 2; fn: 4; tn: 1
    m = binary_metrics([1, 0, 0, 1, 1], [1, 0, 1, 1, 0], label="service")
    assert (m.tp, m.fp, m.fn, m.tn) == (2, 1, 1, 1)
    assert m.precision == pytest.approx(2 / 3)
    assert m.recall == pytest.approx(2 / 3)
    assert m.f1 == pytest.approx(2 / 3)
    assert m.support == 3 and m.n == 5


def test_binary_metrics_zero_division_is_zero() -> None:
    m = binary_metrics([0, 0], [0, 0])
    assert (m.precision, m.recall, m.f1) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="items"):
        binary_metrics([1], [1, 0])


def test_classification_metrics_by_hand() -> None:
    gold = ["positive", "positive", "negative", "neutral", "negative", "positive"]
    pred = ["positive", "negative", "negative", "positive", "negative", "positive"]
    m = classification_metrics(gold, pred, labels=SENTIMENT)
    # confusion rows gold (neg, neu, pos), columns predicted
    assert m.confusion == ((2, 0, 0), (0, 0, 1), (1, 0, 2))
    neg, neu, pos = m.per_label
    assert (neg.precision, neg.recall) == pytest.approx((2 / 3, 1.0))
    assert neg.f1 == pytest.approx(0.8)
    assert (neu.precision, neu.recall, neu.f1, neu.support, neu.predicted) == (0.0, 0.0, 0.0, 1, 0)
    assert pos.f1 == pytest.approx(2 / 3)
    assert m.macro_f1 == pytest.approx((0.8 + 0.0 + 2 / 3) / 3)
    assert m.accuracy == pytest.approx(4 / 6)
    assert m.score("positive") is pos


def test_macro_f1_skips_classes_absent_from_gold_and_predictions() -> None:
    m = classification_metrics(["positive", "negative"], ["positive", "positive"], labels=SENTIMENT)
    assert m.macro_labels == ("negative", "positive")
    assert m.macro_f1 == pytest.approx((0.0 + 2 / 3) / 2)
    with pytest.raises(ValueError, match="not in"):
        classification_metrics(["angry"], ["positive"], labels=SENTIMENT)


def test_multilabel_metrics_by_hand() -> None:
    gold = [("support",), (), ("support", "onboarding"), ("success",)]
    pred = [("support",), ("support",), ("onboarding",), ()]
    m = multilabel_metrics(gold, pred, labels=("support", "success", "onboarding"))
    assert (m.any.tp, m.any.fp, m.any.fn, m.any.tn) == (2, 1, 1, 0)
    support, success, onboarding = m.per_label
    assert (support.tp, support.fp, support.fn) == (1, 1, 1)
    assert (success.tp, success.fp, success.fn) == (0, 0, 1)
    assert onboarding.f1 == 1.0
    assert m.macro_f1 == pytest.approx((0.5 + 0.0 + 1.0) / 3)
    assert m.micro_f1 == pytest.approx(2 * 2 / (2 * 2 + 1 + 2))  # tp 2, fp 1, fn 2


def test_ece_by_hand() -> None:
    # bin (0.8, 0.9]: confidences 0.9, 0.9 with 1 of 2 correct -> |0.5 - 0.9| = 0.4, weight 2/4
    # bin (0.5, 0.6]: 0.6, 0.6 both correct -> |1.0 - 0.6| = 0.4, weight 2/4
    cal = expected_calibration_error([0.9, 0.9, 0.6, 0.6], [True, False, True, True], n_bins=10)
    assert cal.ece == pytest.approx(0.4)
    assert sum(b.count for b in cal.bins) == 4
    assert cal.bins[8].count == 2 and cal.bins[8].accuracy == 0.5
    perfect = expected_calibration_error([1.0, 1.0, 0.0], [True, True, False])
    assert perfect.ece == pytest.approx(0.0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        expected_calibration_error([1.2], [True])


def test_multiclass_and_binary_calibration() -> None:
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    cal = multiclass_calibration(proba, [0, 1])  # first right at 0.7, second wrong at 0.8
    assert cal.ece == pytest.approx(0.5 * 0.3 + 0.5 * 0.8)
    b = binary_calibration([0.9, 0.2], [True, False])  # confidences 0.9 and 0.8, both right
    assert b.ece == pytest.approx(0.5 * 0.1 + 0.5 * 0.2)


@given(st.lists(st.tuples(st.booleans(), st.booleans()), max_size=50))
def test_binary_scores_lie_in_unit_interval(pairs: list[tuple[bool, bool]]) -> None:
    m = binary_metrics([t for t, _ in pairs], [p for _, p in pairs])
    assert 0.0 <= m.precision <= 1.0 and 0.0 <= m.recall <= 1.0 and 0.0 <= m.f1 <= 1.0
    assert min(m.precision, m.recall) - 1e-12 <= m.f1 <= max(m.precision, m.recall) + 1e-12


@given(st.lists(st.tuples(st.sampled_from(SENTIMENT), st.sampled_from(SENTIMENT)), min_size=1, max_size=50))
def test_macro_f1_in_unit_interval_and_confusion_counts_everything(pairs: list[tuple[str, str]]) -> None:
    m = classification_metrics([g for g, _ in pairs], [p for _, p in pairs], labels=SENTIMENT)
    assert 0.0 <= m.macro_f1 <= 1.0
    assert sum(map(sum, m.confusion)) == len(pairs)


@given(st.lists(st.tuples(st.floats(0, 1), st.booleans()), max_size=60), st.integers(1, 20))
def test_ece_in_unit_interval(pairs: list[tuple[float, bool]], n_bins: int) -> None:
    cal = expected_calibration_error([c for c, _ in pairs], [h for _, h in pairs], n_bins=n_bins)
    assert 0.0 <= cal.ece <= 1.0
    assert sum(b.count for b in cal.bins) == len(pairs)
