"""Calibration fitted on dev data: a temperature per head, service thresholds and the sharp-edge threshold.

Temperature scaling (Guo et al. 2017) divides a head's logits by one number T chosen to minimise dev negative
log-likelihood; it changes confidence, never the ranking. Thresholds then pick, per service kind, the probability
cut with the best dev F1. The mean calibrated sentiment probabilities on dev, per language, are the priors the
model's outputs carry (``models.label_shift``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from models.labels import IGNORE

CALIBRATION_FILE = "calibration.json"
_TEMPERATURES = np.exp(np.linspace(np.log(0.05), np.log(20.0), 241))  # log grid, deterministic
_CUTS = np.round(np.arange(0.05, 0.96, 0.01), 2)
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Calibration:
    """Stored with each model (calibration.json)."""

    temperature_service: float = 1.0
    temperature_sentiment: float = 1.0
    temperature_sharp_edge: float = 1.0
    service_thresholds: tuple[float, ...] = ()
    sharp_edge_threshold: float = DEFAULT_THRESHOLD
    # language ("*" = all) -> mean calibrated (negative, neutral, positive) on dev; empty in models trained before it
    sentiment_priors: dict[str, tuple[float, ...]] = field(default_factory=dict, hash=False)

    def save(self, model_dir: Path) -> None:
        (model_dir / CALIBRATION_FILE).write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")

    @classmethod
    def load(cls, model_dir: Path) -> Calibration:
        data = json.loads((model_dir / CALIBRATION_FILE).read_text(encoding="utf-8"))
        data["service_thresholds"] = tuple(data["service_thresholds"])
        data["sentiment_priors"] = {k: tuple(v) for k, v in data.get("sentiment_priors", {}).items()}
        return cls(**data)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # = 1 / (1 + e^-x), without overflow


def softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def fit_softmax_temperature(logits: np.ndarray, target: np.ndarray) -> float:
    """T minimising the NLL of ``softmax(logits / T)`` on labelled rows (target != IGNORE); 1.0 without data."""
    keep = target != IGNORE
    if keep.sum() < 2:
        return 1.0
    z, y = logits[keep].astype(np.float64), target[keep]
    best_t, best_nll = 1.0, np.inf
    for t in _TEMPERATURES:
        scaled = z / t
        scaled -= scaled.max(axis=1, keepdims=True)
        log_p = scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))
        nll = -log_p[np.arange(len(y)), y].mean()
        if nll < best_nll - 1e-12:
            best_t, best_nll = float(t), nll
    return best_t


def fit_sigmoid_temperature(logits: np.ndarray, target: np.ndarray, mask: np.ndarray) -> float:
    """T minimising the binary NLL of ``sigmoid(logits / T)`` on rows where ``mask``; 1.0 without data."""
    if mask.sum() < 2:
        return 1.0
    z, y = logits[mask].astype(np.float64), target[mask].astype(np.float64)
    best_t, best_nll = 1.0, np.inf
    for t in _TEMPERATURES:
        s = z / t
        nll = (np.logaddexp(0.0, s) - y * s).mean()  # -[y log σ(s) + (1-y) log(1-σ(s))]
        if nll < best_nll - 1e-12:
            best_t, best_nll = float(t), nll
    return best_t


def best_f1_threshold(probs: np.ndarray, target: np.ndarray) -> float:
    """Cut in [0.05, 0.95] with the best F1 (ties: the one closest to 0.5); 0.5 when there are no positives."""
    if target.sum() == 0:
        return DEFAULT_THRESHOLD
    best, best_f1 = DEFAULT_THRESHOLD, -1.0
    for cut in sorted(_CUTS, key=lambda c: abs(c - 0.5)):
        pred = probs >= cut
        tp = float((pred & (target > 0)).sum())
        f1 = 2 * tp / (pred.sum() + target.sum()) if tp else 0.0
        if f1 > best_f1 + 1e-12:
            best, best_f1 = float(cut), f1
    return best


def sharp_edge_decision(probs: np.ndarray, *, threshold: float) -> np.ndarray:
    """Class index per row: the most likely policy category if its probability reaches ``threshold``, else 0."""
    category = probs[:, 1:].argmax(axis=1) + 1
    return np.where(probs[np.arange(len(probs)), category] >= threshold, category, 0)


def best_sharp_edge_threshold(probs: np.ndarray, target: np.ndarray) -> float:
    """Cut maximising micro-F1 over the policy categories (a correct category counts; 'none' is not a hit)."""
    keep = target != IGNORE
    if not (target[keep] > 0).any():
        return DEFAULT_THRESHOLD
    p, y = probs[keep], target[keep]
    best, best_f1 = DEFAULT_THRESHOLD, -1.0
    for cut in sorted(_CUTS, key=lambda c: abs(c - 0.5)):
        pred = sharp_edge_decision(p, threshold=float(cut))
        tp = float(((pred == y) & (y > 0)).sum())
        f1 = 2 * tp / ((pred > 0).sum() + (y > 0).sum()) if tp else 0.0
        if f1 > best_f1 + 1e-12:
            best, best_f1 = float(cut), f1
    return best


def fit_calibration(
    service_logits: np.ndarray,
    sentiment_logits: np.ndarray,
    sharp_edge_logits: np.ndarray,
    *,
    service: np.ndarray,
    service_mask: np.ndarray,
    sentiment: np.ndarray,
    sharp_edge: np.ndarray,
) -> Calibration:
    """Temperatures first, then thresholds on the calibrated probabilities."""
    t_service = fit_sigmoid_temperature(service_logits, service, service_mask)
    t_sentiment = fit_softmax_temperature(sentiment_logits, sentiment)
    t_sharp = fit_softmax_temperature(sharp_edge_logits, sharp_edge)
    service_probs = sigmoid(service_logits / t_service)
    thresholds = tuple(
        best_f1_threshold(service_probs[service_mask, k], service[service_mask, k])
        for k in range(service_logits.shape[1])
    )
    sharp_cut = best_sharp_edge_threshold(softmax(sharp_edge_logits / t_sharp), sharp_edge)
    return Calibration(t_service, t_sentiment, t_sharp, thresholds, sharp_cut)
