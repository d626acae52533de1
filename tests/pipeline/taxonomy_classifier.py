"""A small, deterministic rule classifier over the taxonomy's phrases, for exercising the processing stages.

It implements the classifier interface the stages use (``.version``, ``.predict(texts, *, batch_size)``), so the
stages run end to end without a trained transformer; the trained model is exercised where ``models`` provides it.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.records import SentenceTags
from pipeline.taxonomy import Taxonomy


class TaxonomyClassifier:
    """Service kinds and sharp edges by phrase match; sentiment by the taxonomy's lexicon (count of hits)."""

    def __init__(self, taxonomy: Taxonomy, *, version: str = "taxonomy-rules-1") -> None:
        self.version = version
        self.taxonomy = taxonomy
        self.calls: list[int] = []  # batch sizes seen, to check batching across records

        def phrases(defs):
            return {k: sorted({p.lower() for ps in d.patterns.values() for p in ps}) for k, d in defs.items()}

        self._service = phrases(taxonomy.service)
        self._edges = phrases(taxonomy.sharp_edge)
        lexicon = taxonomy.sentiment_lexicon
        self._polar = {label: sorted({p.lower() for ps in lexicon.get(label, {}).values() for p in ps})
                       for label in ("positive", "negative")}  # fmt: skip

    def predict(
        self,
        texts: Sequence[str],
        *,
        langs: Sequence[str | None] | None = None,
        batch_size: int = 64,
        adapt: object | None = None,
    ) -> list[SentenceTags]:
        """``adapt`` (sentiment priors from the texts) is accepted and ignored: rule scores are not probabilities."""
        self.calls.append(len(texts))
        return [self._one(text.lower()) for text in texts]

    def _one(self, text: str) -> SentenceTags:
        service = tuple(k for k, ps in self._service.items() if any(p in text for p in ps))
        edges = [k for k, ps in self._edges.items() if any(p in text for p in ps)]
        pos = sum(p in text for p in self._polar["positive"])
        neg = sum(p in text for p in self._polar["negative"])
        sentiment = "positive" if pos > neg else "negative" if neg > pos or edges else "neutral"
        scores = {f"service.{k}": float(k in service) for k in self._service}
        scores |= {f"sentiment.{s}": float(s == sentiment) for s in self.taxonomy.sentiment}
        scores |= {f"sharp_edge.{k}": float(bool(edges) and k == edges[0]) for k in self._edges}
        return SentenceTags(service=service, sentiment=sentiment, sharp_edge=edges[0] if edges else None,
                            scores=scores)  # fmt: skip
