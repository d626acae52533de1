"""Blending a routed language's member with the main model, head by head.

With ``classifier.main_learns_routed`` the main model learns the routed languages too, so a routed sentence has two
readers: its route's member (e.g. all-mpnet-base-v2 for English) and the main model (e5-small). Averaging two
differently trained models' probabilities is the oldest way to a better classifier; here it is done per head, for
the heads named in ``classifier.blend_heads``:

    p = w · p_route + (1 − w) · p_main

with the route member's weight ``w`` chosen on the language's dev sentences (both readers held them out) as the
grid point with the lowest negative log-likelihood, and the decisions refitted on the blend: service thresholds,
the sharp-edge cut, and the sentiment priors its outputs carry (``models.label_shift``). A head not blended keeps the
route member's probabilities and its own thresholds. ``blend.json`` in the routed model directory stores it all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from models.calibration import Calibration, best_f1_threshold, best_sharp_edge_threshold
from models.config import HEAD_NAMES
from models.labels import IGNORE

if TYPE_CHECKING:
    from models.labels import Targets
    from models.predict import Probabilities

BLEND_FILE = "blend.json"
WEIGHTS = tuple(i / 10 for i in range(11))  # the route member's weight, 0 … 1 by 0.1
_EPS = 1e-12


@dataclass(frozen=True)
class Blend:
    """How one routed language's probabilities are blended and decided."""

    weights: dict[str, float]  # head -> the route member's weight (the main model gets the rest); 1.0 = not blended
    calibration: Calibration  # the route member's, with the blended heads' thresholds and priors refitted
    n_dev: int = 0  # dev sentences the weights were chosen on

    def to_json(self) -> dict[str, Any]:
        return {"weights": self.weights, "calibration": asdict(self.calibration), "n_dev": self.n_dev}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Blend:
        cal = dict(data["calibration"])
        cal["service_thresholds"] = tuple(cal["service_thresholds"])
        cal["sentiment_priors"] = {k: tuple(v) for k, v in cal.get("sentiment_priors", {}).items()}
        return cls({h: float(w) for h, w in data["weights"].items()}, Calibration(**cal), int(data.get("n_dev", 0)))


def blend(route: Probabilities, main: Probabilities, weights: Mapping[str, float]) -> Probabilities:
    """Per head, ``w · route + (1 − w) · main`` (a head missing from ``weights`` is the route member's alone)."""
    from models.predict import Probabilities

    heads = {}
    for head in HEAD_NAMES:
        w = float(weights.get(head, 1.0))
        mine = getattr(route, head)
        heads[head] = mine if w >= 1.0 else (w * mine + (1.0 - w) * getattr(main, head)).astype(mine.dtype)
    return Probabilities(**heads)


def head_nll(probs: Probabilities, targets: Targets, head: str) -> float:
    """Mean negative log-likelihood of one head on the rows labelled for it (nan without any)."""
    if head == "service":
        rows = targets.service_mask
        if not rows.any():
            return float("nan")
        p = np.clip(probs.service[rows].astype(np.float64), _EPS, 1 - _EPS)
        y = targets.service[rows]
        return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())
    y = getattr(targets, head)
    rows = y != IGNORE
    if not rows.any():
        return float("nan")
    p = getattr(probs, head)[rows].astype(np.float64)
    return float(-np.log(np.clip(p[np.arange(len(p)), y[rows]], _EPS, None)).mean())


def fit_blend(
    route: Probabilities,
    main: Probabilities,
    targets: Targets,
    *,
    heads: Sequence[str],
    calibration: Calibration,
    langs: Sequence[str | None],
) -> Blend:
    """Weights and decisions for one language from its dev sentences: ``route`` and ``main`` are the two readers'
    calibrated probabilities, ``calibration`` the route member's own. A head without dev labels stays unblended."""
    from models.label_shift import training_priors

    if unknown := sorted(set(heads) - set(HEAD_NAMES)):
        raise ValueError(f"unknown heads to blend: {', '.join(unknown)}")
    weights: dict[str, float] = {}
    for head in HEAD_NAMES:
        losses = {w: head_nll(blend(route, main, {head: w}), targets, head) for w in WEIGHTS} if head in heads else {}
        usable = {w: loss for w, loss in losses.items() if np.isfinite(loss)}
        weights[head] = min(usable, key=lambda w: (usable[w], -w)) if usable else 1.0  # ties: more of the route
    mixed = blend(route, main, weights)
    cal = calibration
    if weights["service"] < 1.0:
        rows = targets.service_mask
        cuts = tuple(
            best_f1_threshold(mixed.service[rows, k], targets.service[rows, k]) for k in range(mixed.service.shape[1])
        )
        cal = replace(cal, service_thresholds=cuts)
    if weights["sharp_edge"] < 1.0:
        cal = replace(cal, sharp_edge_threshold=best_sharp_edge_threshold(mixed.sharp_edge, targets.sharp_edge))
    if weights["sentiment"] < 1.0:
        labelled = targets.sentiment != IGNORE
        rows = np.flatnonzero(labelled) if labelled.any() else np.arange(len(mixed))
        cal = replace(cal, sentiment_priors=training_priors(mixed.sentiment[rows], [langs[int(i)] for i in rows]))
    return Blend(weights, cal, len(langs))


def save_blends(model_dir: Path, blends: Mapping[str, Blend]) -> None:
    data = {lang: b.to_json() for lang, b in sorted(blends.items())}
    (model_dir / BLEND_FILE).write_text(json.dumps(data, indent=2), encoding="utf-8")


def load_blends(model_dir: Path) -> dict[str, Blend]:
    """Language -> its blend; empty for a routed model trained without (or before) blending."""
    from pipeline.errors import UserError

    path = model_dir / BLEND_FILE
    if not path.is_file():
        return {}
    try:
        return {lang: Blend.from_json(data) for lang, data in json.loads(path.read_text(encoding="utf-8")).items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UserError(
            f"{path} is damaged ({type(exc).__name__}: {exc}); retrain the model, or delete the file to read each "
            "routed language with its own model alone"
        ) from None
