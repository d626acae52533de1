"""Blending a routed language's member with the main model: weights chosen by dev NLL, decisions refitted."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pydantic import ValidationError

from models.blending import BLEND_FILE, Blend, blend, fit_blend, head_nll, load_blends, save_blends
from models.calibration import Calibration
from models.config import ClassifierSettings
from models.labels import IGNORE, Targets
from models.predict import Probabilities

N = 40


def _onehot(index: np.ndarray, width: int, sure: float) -> np.ndarray:
    out = np.full((len(index), width), (1 - sure) / (width - 1), dtype=np.float32)
    out[np.arange(len(index)), index] = sure
    return out


def _targets(sentiment: np.ndarray, sharp_edge: np.ndarray) -> Targets:
    service = np.zeros((N, 3), dtype=np.float32)
    service[::4, 0] = 1.0
    return Targets(service, np.ones(N, dtype=bool), sentiment, sharp_edge, np.ones(N, dtype=np.float32))


@pytest.fixture
def truth() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.integers(0, 3, N), rng.integers(0, 4, N)


def _probs(sentiment: np.ndarray, sharp_edge: np.ndarray, *, service: float = 0.3) -> Probabilities:
    return Probabilities(np.full((N, 3), service, dtype=np.float32), sentiment, sharp_edge)


def test_each_head_blends_by_its_own_weight() -> None:
    a = _probs(_onehot(np.zeros(N, int), 3, 0.9), _onehot(np.zeros(N, int), 4, 0.9), service=0.8)
    b = _probs(_onehot(np.ones(N, int), 3, 0.9), _onehot(np.ones(N, int), 4, 0.9), service=0.2)
    mixed = blend(a, b, {"sentiment": 0.25, "sharp_edge": 0.0})
    np.testing.assert_allclose(mixed.sentiment, 0.25 * a.sentiment + 0.75 * b.sentiment, rtol=1e-6)
    np.testing.assert_array_equal(mixed.sharp_edge, b.sharp_edge)
    np.testing.assert_array_equal(mixed.service, a.service)  # a head without a weight is the route member's
    np.testing.assert_allclose(mixed.sentiment.sum(axis=1), 1.0, rtol=1e-6)
    assert mixed.sentiment.dtype == np.float32


def test_weights_follow_the_better_reader_per_head(truth) -> None:
    sentiment, edge = truth
    route = _probs(_onehot(sentiment, 3, 0.95), _onehot((edge + 1) % 4, 4, 0.9))  # right on sentiment only
    main = _probs(_onehot((sentiment + 1) % 3, 3, 0.9), _onehot(edge, 4, 0.95))  # right on sharp edges only
    targets = _targets(sentiment, edge)
    own = Calibration(service_thresholds=(0.4, 0.5, 0.6), sharp_edge_threshold=0.7, sentiment_priors={"en": (0.3,) * 3})
    plan = fit_blend(route, main, targets, heads=["sentiment", "sharp_edge"], calibration=own, langs=["en"] * N)
    assert plan.weights == {"service": 1.0, "sentiment": 1.0, "sharp_edge": 0.0} and plan.n_dev == N
    assert plan.calibration.service_thresholds == own.service_thresholds  # service not blended: its cuts stay
    assert plan.calibration.sharp_edge_threshold != own.sharp_edge_threshold  # refitted on the blend
    assert plan.calibration.sentiment_priors == own.sentiment_priors  # sentiment not blended either


def test_two_readers_wrong_on_different_halves_blend_evenly(truth) -> None:
    sentiment, edge = truth
    half = np.arange(N) < N // 2
    route = _probs(_onehot(np.where(half, sentiment, (sentiment + 1) % 3), 3, 0.8), _onehot(edge, 4, 0.9))
    main = _probs(_onehot(np.where(half, (sentiment + 1) % 3, sentiment), 3, 0.8), _onehot(edge, 4, 0.9))
    plan = fit_blend(route, main, _targets(sentiment, edge), heads=["sentiment"], calibration=Calibration(),
                     langs=["en"] * N)  # fmt: skip
    assert plan.weights["sentiment"] == 0.5 and plan.weights["sharp_edge"] == 1.0
    mixed = blend(route, main, plan.weights).sentiment.mean(axis=0)  # the priors its outputs carry
    np.testing.assert_allclose(plan.calibration.sentiment_priors["en"], mixed, atol=1e-5)
    assert head_nll(blend(route, main, plan.weights), _targets(sentiment, edge), "sentiment") < head_nll(
        route, _targets(sentiment, edge), "sentiment"
    )


def test_a_head_without_dev_labels_stays_with_the_route(truth) -> None:
    sentiment, _ = truth
    probs = _probs(_onehot(sentiment, 3, 0.9), _onehot(np.zeros(N, int), 4, 0.9))
    targets = _targets(np.full(N, IGNORE), np.full(N, IGNORE))
    plan = fit_blend(probs, probs, targets, heads=["sentiment", "sharp_edge"], calibration=Calibration(),
                     langs=["en"] * N)  # fmt: skip
    assert plan.weights == {"service": 1.0, "sentiment": 1.0, "sharp_edge": 1.0}
    assert np.isnan(head_nll(probs, targets, "sentiment"))
    with pytest.raises(ValueError, match="unknown heads to blend: topic"):
        fit_blend(probs, probs, targets, heads=["topic"], calibration=Calibration(), langs=["en"] * N)


def test_blends_round_trip_through_their_file(tmp_path) -> None:
    plan = Blend(
        {"service": 1.0, "sentiment": 0.7, "sharp_edge": 0.5},
        Calibration(
            service_thresholds=(0.6, 0.4, 0.4), sharp_edge_threshold=0.49, sentiment_priors={"en": (0.4, 0.2, 0.4)}
        ),
        n_dev=680,
    )
    assert load_blends(tmp_path) == {}  # a model trained without blending
    save_blends(tmp_path, {"en": plan})
    assert load_blends(tmp_path) == {"en": plan}
    assert json.loads((tmp_path / BLEND_FILE).read_text(encoding="utf-8"))["en"]["weights"]["sentiment"] == 0.7


def test_blend_heads_are_checked_and_kept_once() -> None:
    assert ClassifierSettings().blend_heads == ["sentiment", "sharp_edge"]
    assert ClassifierSettings(blend_heads=["sentiment", "sentiment"]).blend_heads == ["sentiment"]
    with pytest.raises(ValidationError, match="blend_heads"):
        ClassifierSettings.model_validate({"blend_heads": ["topic"]})


@pytest.mark.parametrize(
    "text", ["{not json", '{"en": {"weights": {}}}', '["en"]', '{"en": {"weights": 1, "calibration": {}}}']
)
def test_a_damaged_blend_file_is_a_clear_error(tmp_path, text: str) -> None:
    from pipeline.errors import UserError

    (tmp_path / BLEND_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(UserError, match=r"blend\.json is damaged"):
        load_blends(tmp_path)
