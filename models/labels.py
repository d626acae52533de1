"""The label map of the multi-task model, and labelled examples turned into training targets.

The label map travels inside every model directory (``labels.json``) so a model always knows its own classes,
whatever the taxonomy file says today.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.examples import LabelledExample
from pipeline.taxonomy import NO_SHARP_EDGE, Taxonomy

IGNORE = -100  # class index of an unlabelled head (PyTorch's cross-entropy ignore_index)
LABELS_FILE = "labels.json"


@dataclass(frozen=True)
class LabelSpace:
    """Classes of the three heads, in head order. ``sharp_edge[0]`` is always 'none'."""

    service: tuple[str, ...]
    sentiment: tuple[str, ...]
    sharp_edge: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.sharp_edge or self.sharp_edge[0] != NO_SHARP_EDGE:
            raise ValueError(f"sharp_edge classes must start with {NO_SHARP_EDGE!r}, got {self.sharp_edge}")

    @classmethod
    def from_taxonomy(cls, taxonomy: Taxonomy) -> LabelSpace:
        return cls(tuple(taxonomy.service_kinds), tuple(taxonomy.sentiment), tuple(taxonomy.sharp_edge_labels))

    def score_keys(self) -> list[str]:
        """Keys of a prediction's ``scores`` dict, e.g. 'service.support', 'sharp_edge.billing'."""
        return [f"{head}.{label}" for head in ("service", "sentiment", "sharp_edge") for label in getattr(self, head)]

    def save(self, model_dir: Path) -> None:
        data = {"service": self.service, "sentiment": self.sentiment, "sharp_edge": self.sharp_edge}
        (model_dir / LABELS_FILE).write_text(json.dumps(data, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, model_dir: Path) -> LabelSpace:
        data = json.loads((model_dir / LABELS_FILE).read_text(encoding="utf-8"))
        return cls(tuple(data["service"]), tuple(data["sentiment"]), tuple(data["sharp_edge"]))

    def encode(self, examples: Sequence[LabelledExample]) -> Targets:
        """Targets and per-head masks; unknown label names raise ValueError naming the example."""
        n, s = len(examples), len(self.service)
        service = np.zeros((n, s), dtype=np.float32)
        service_mask = np.zeros(n, dtype=bool)
        sentiment = np.full(n, IGNORE, dtype=np.int64)
        sharp_edge = np.full(n, IGNORE, dtype=np.int64)
        for i, ex in enumerate(examples):
            if ex.service is not None:
                service_mask[i] = True
                for kind in ex.service:
                    service[i, self._index("service", kind, ex)] = 1.0
            if ex.sentiment is not None:
                sentiment[i] = self._index("sentiment", ex.sentiment, ex)
            if ex.sharp_edge is not None:
                sharp_edge[i] = self._index("sharp_edge", ex.sharp_edge, ex)
        weight = np.array([ex.weight for ex in examples], dtype=np.float32)
        return Targets(service, service_mask, sentiment, sharp_edge, weight)

    def _index(self, head: str, label: str, example: LabelledExample) -> int:
        classes: tuple[str, ...] = getattr(self, head)
        if label not in classes:
            raise ValueError(f"unknown {head} label {label!r} (known: {', '.join(classes)}) in {example.text[:60]!r}")
        return classes.index(label)


@dataclass(frozen=True)
class Targets:
    """Training targets of n examples. Masks: ``service_mask`` per example; IGNORE in the class heads."""

    service: np.ndarray  # [n, S] float 0/1
    service_mask: np.ndarray  # [n] bool
    sentiment: np.ndarray  # [n] int, IGNORE = unlabelled
    sharp_edge: np.ndarray  # [n] int, IGNORE = unlabelled
    weight: np.ndarray  # [n] float

    def subset(self, index: np.ndarray | Sequence[int]) -> Targets:
        idx = np.asarray(index, dtype=np.int64)
        return Targets(
            self.service[idx], self.service_mask[idx], self.sentiment[idx], self.sharp_edge[idx], self.weight[idx]
        )
