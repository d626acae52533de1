"""Baselines the fine-tuned model must beat, run on the same data in the same evaluation.

- ``RulesBaseline``: the taxonomy's rules alone (service and sharp-edge phrases, the sentiment lexicon; a
  sentence with a sharp-edge hit and no positive word is negative; no evidence is neutral).
- ``TfidfBaseline``: TF-IDF (word 1–2-grams + character 2–4-grams, so Japanese needs no tokenizer) and one
  logistic regression per head, trained on the same labelled examples as the model (weights included).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from models.examples import LabelledExample, labelled_indices
from models.rules import RuleTagger, lexicon_sentiment
from pipeline.taxonomy import NO_SHARP_EDGE, Taxonomy

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class SystemOutput:
    """Decisions of one system on n texts, with probabilities where the system has them."""

    service: tuple[tuple[str, ...], ...]
    sentiment: tuple[str, ...]
    sharp_edge: tuple[str, ...]
    service_proba: np.ndarray | None = None  # [n, S] independent (sigmoid) probabilities
    sentiment_proba: np.ndarray | None = None  # [n, 3] over taxonomy.sentiment
    sharp_edge_proba: np.ndarray | None = None  # [n, K] over taxonomy.sharp_edge_labels

    def __len__(self) -> int:
        return len(self.sentiment)


class System(Protocol):
    name: str

    def run(self, texts: Sequence[str], langs: Sequence[str | None]) -> SystemOutput: ...


class RulesBaseline:
    name = "rules"

    def __init__(self, taxonomy: Taxonomy, *, tagger: RuleTagger | None = None) -> None:
        self.taxonomy = taxonomy
        self.tagger = tagger or RuleTagger(taxonomy)

    def run(self, texts: Sequence[str], langs: Sequence[str | None]) -> SystemOutput:
        service, sentiment, sharp = [], [], []
        for found in self.tagger.matches_many(texts, langs):
            labels = self.tagger.labels_of(found)
            service.append(tuple(lb.split(".", 1)[1] for lb in labels if lb.startswith("service.")))
            edges = [lb.split(".", 1)[1] for lb in labels if lb.startswith("sharp_edge.")]
            polarity = lexicon_sentiment(found)
            if polarity is None:
                polarity = "negative" if edges else "neutral"
            sentiment.append(polarity)
            # a sharp edge is a complaint: an edge phrase in a plainly positive sentence is not one
            sharp.append(edges[0] if edges and polarity != "positive" else NO_SHARP_EDGE)
        return SystemOutput(tuple(service), tuple(sentiment), tuple(sharp))


@dataclass
class _Head:
    classes: tuple[str, ...]
    model: Any  # LogisticRegression, or None when training saw a single class
    constant: np.ndarray | None = None

    def proba(self, features: Any, n: int) -> np.ndarray:
        if self.model is None:
            return np.tile(np.asarray(self.constant), (n, 1))
        out = np.zeros((n, len(self.classes)))
        out[:, self.model.classes_] = self.model.predict_proba(features)
        return out


class TfidfBaseline:
    """TF-IDF + logistic regression per head. Fit with ``TfidfBaseline.fit(examples, taxonomy=...)``."""

    name = "tfidf_lr"

    def __init__(self, taxonomy: Taxonomy, vectorizer: Any, heads: dict[str, _Head], threshold: float) -> None:
        self.taxonomy = taxonomy
        self.vectorizer = vectorizer
        self.heads = heads
        self.threshold = threshold

    @classmethod
    def fit(
        cls,
        examples: Sequence[LabelledExample],
        *,
        taxonomy: Taxonomy,
        c: float = 4.0,
        threshold: float = 0.5,
        seed: int = 13,
    ) -> TfidfBaseline:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import FeatureUnion

        if not examples:
            raise ValueError("no training examples for the TF-IDF baseline")
        vectorizer = FeatureUnion([
            ("word", TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True, lowercase=True)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True)),
        ])  # fmt: skip
        features = vectorizer.fit_transform([ex.text for ex in examples])
        heads: dict[str, _Head] = {}
        labelled = labelled_indices(examples, "service")
        for kind in taxonomy.service_kinds:
            y = [int(kind in (examples[i].service or ())) for i in labelled]
            heads[f"service.{kind}"] = _fit_head(features, labelled, y, (0, 1), examples, c=c, seed=seed)
        for head, classes in (("sentiment", taxonomy.sentiment), ("sharp_edge", taxonomy.sharp_edge_labels)):
            rows = labelled_indices(examples, head)
            y = [classes.index(getattr(examples[i], head)) for i in rows]
            heads[head] = _fit_head(features, rows, y, tuple(range(len(classes))), examples, c=c, seed=seed)
        log.info("TF-IDF baseline: %d examples, %d features", len(examples), features.shape[1])
        return cls(taxonomy, vectorizer, heads, threshold)

    def predict_proba(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(service [n, S], sentiment [n, 3], sharp_edge [n, K]) probabilities."""
        tax = self.taxonomy
        n = len(texts)
        if n == 0:
            return (np.zeros((0, len(tax.service_kinds))), np.zeros((0, 3)), np.zeros((0, len(tax.sharp_edge_labels))))
        features = self.vectorizer.transform(list(texts))
        service = np.stack([self.heads[f"service.{k}"].proba(features, n)[:, 1] for k in tax.service_kinds], axis=1)
        return service, self.heads["sentiment"].proba(features, n), self.heads["sharp_edge"].proba(features, n)

    def run(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> SystemOutput:
        service_p, sentiment_p, sharp_p = self.predict_proba(texts)
        kinds, sentiments, edges = self.taxonomy.service_kinds, self.taxonomy.sentiment, self.taxonomy.sharp_edge_labels
        return SystemOutput(
            service=tuple(
                tuple(k for k, p in zip(kinds, row, strict=True) if p >= self.threshold) for row in service_p
            ),
            sentiment=tuple(sentiments[i] for i in sentiment_p.argmax(axis=1)),
            sharp_edge=tuple(edges[i] for i in sharp_p.argmax(axis=1)),
            service_proba=service_p,
            sentiment_proba=sentiment_p,
            sharp_edge_proba=sharp_p,
        )


def _fit_head(
    features: Any,
    rows: list[int],
    y: list[int],
    classes: tuple[int, ...],
    examples: Sequence[LabelledExample],
    *,
    c: float,
    seed: int,
) -> _Head:
    from sklearn.linear_model import LogisticRegression

    n_classes = len(classes)
    present = sorted(set(y))
    if len(present) < 2:
        constant = np.zeros(n_classes)
        constant[present[0] if present else 0] = 1.0
        return _Head(tuple(map(str, classes)), None, constant)
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, random_state=seed)
    model.fit(features[rows], y, sample_weight=[examples[i].weight for i in rows])
    return _Head(tuple(map(str, classes)), model)
