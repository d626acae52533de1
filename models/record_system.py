"""A sentence-level system applied to whole reviews the way the pipeline labels a feedback record.

Some benchmark corpora label whole reviews of several sentences (IndoNLU HoASA / CASA aspects, SmSA sentiment).
vocmine never classifies a record in one piece: it splits it with ``pipeline.segment.Segmenter``, tags every
sentence and aggregates (``pipeline.stages.aggregate``): the record mentions service when any sentence does, and
its sentiment is the majority of its polar sentences. ``RecordSystem`` reproduces exactly that around any system,
so a record-level corpus scores the decisions vocmine's reports are built from.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.baselines import System, SystemOutput
from pipeline.taxonomy import NO_SHARP_EDGE

RECORD_SUFFIX = "_by_sentence"


class RecordSystem:
    """``inner`` run on each sentence of each text, decisions aggregated per text."""

    def __init__(self, inner: System) -> None:
        from pipeline.segment import Segmenter

        self.inner = inner
        self.name = f"{inner.name}{RECORD_SUFFIX}"
        self.segmenter = Segmenter()

    def run(self, texts: Sequence[str], langs: Sequence[str | None]) -> SystemOutput:
        from pipeline.stages.aggregate import combine_sentiment

        spans = self.segmenter.split_many(list(zip(texts, langs, strict=True)))
        owner = [n for n, found in enumerate(spans) for _ in found]
        sentences = [texts[n][start:end] for n, found in enumerate(spans) for start, end in found]
        inner = self.inner.run(sentences, [langs[n] for n in owner])
        groups: list[list[int]] = [[] for _ in texts]
        for i, n in enumerate(owner):
            groups[n].append(i)
        service = tuple(tuple(sorted({k for i in g for k in inner.service[i]})) for g in groups)
        sentiment = tuple(combine_sentiment([inner.sentiment[i] for i in g]) for g in groups)
        sharp_edge = tuple(next((inner.sharp_edge[i] for i in g if inner.sharp_edge[i] != NO_SHARP_EDGE), NO_SHARP_EDGE)
                           for g in groups)  # fmt: skip
        service_proba = None
        if inner.service_proba is not None:  # P(any sentence mentions kind k) >= the most confident sentence's
            width = inner.service_proba.shape[1]
            service_proba = np.stack([inner.service_proba[g].max(axis=0) if g else np.zeros(width) for g in groups])
        return SystemOutput(service=service, sentiment=sentiment, sharp_edge=sharp_edge, service_proba=service_proba)
