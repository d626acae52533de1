"""NPS arithmetic and the seeded bootstrap: hand-computed values and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.stats import difference_estimate, interval, mean_estimate, nps, nps_code, ratio_estimate, rng_for


def test_nps_coding_by_hand() -> None:
    coded = nps_code(np.array([0, 6, 7, 8, 9, 10, np.nan]))
    assert coded[:6].tolist() == [-100, -100, 0, 0, 100, 100]
    assert np.isnan(coded[6])
    assert nps(np.array([10, 9, 8, 0])) == 25.0  # 2 promoters, 1 detractor of 4
    assert np.isnan(nps(np.array([])))


def test_ratio_estimate_by_hand_and_reproducible() -> None:
    flags = np.array([1, 0, 1, 1], dtype=float)
    est = ratio_estimate(flags, np.ones(4), samples=200, rng=rng_for(7, "k"))
    again = ratio_estimate(flags, np.ones(4), samples=200, rng=rng_for(7, "k"))
    assert est.value == 0.75 and est.n == 4
    assert 0 <= est.low <= 0.75 <= est.high <= 1
    assert est == again  # seeded: same key, same interval
    other = ratio_estimate(flags, np.ones(4), samples=200, rng=rng_for(8, "k"))
    assert other.value == est.value


def test_ratio_of_sums_is_a_sentence_share() -> None:
    # records with (service, all) positive sentences: share = (1 + 0 + 2) / (2 + 1 + 3) = 0.5
    est = ratio_estimate(np.array([1, 0, 2]), np.array([2, 1, 3]), samples=50, rng=rng_for(1, "s"))
    assert est.value == pytest.approx(0.5)


def test_no_resamples_gives_a_point_without_interval() -> None:
    est = mean_estimate(np.array([1.0, 2.0, 3.0]), samples=0, rng=rng_for(1, "x"))
    assert est.value == 2.0 and np.isnan(est.low) and np.isnan(est.high)


def test_difference_estimate_by_hand() -> None:
    est = difference_estimate(np.array([0, 0, 1, 1.0]), np.array([1, 1, 1, 0.0]), samples=100, rng=rng_for(1, "d"))
    assert est.value == pytest.approx(0.25)
    assert est.low <= 0.25 <= est.high


def test_interval_is_widened_to_contain_the_point() -> None:
    low, high = interval(1.0, np.array([2.0, 3.0, 4.0]))
    assert low == 1.0 and high <= 4.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=60), st.integers(0, 2**16))
def test_nps_is_bounded_and_its_interval_contains_it(scores: list[int], seed: int) -> None:
    coded = nps_code(np.array(scores, dtype=float))
    est = mean_estimate(coded, samples=40, rng=rng_for(seed, "nps"))
    assert -100 <= est.value <= 100
    assert est.value == pytest.approx(nps(np.array(scores, dtype=float)))
    assert -100 <= est.low <= est.value <= est.high <= 100


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=40), st.integers(0, 2**16))
def test_shares_are_in_unit_interval_and_contain_their_estimate(pairs: list[tuple[int, int]], seed: int) -> None:
    part = np.array([min(a, b) for a, b in pairs], dtype=float)  # service sentences ≤ all sentences
    whole = np.array([max(a, b) for a, b in pairs], dtype=float)
    est = ratio_estimate(part, whole, samples=40, rng=rng_for(seed, "share"))
    if whole.sum() == 0:
        assert np.isnan(est.value)
        return
    assert 0 <= est.value <= 1
    assert 0 <= est.low <= est.value <= est.high <= 1
