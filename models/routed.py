"""A routed model: the sentences of some languages go to a model of their own, every other sentence to the main model.

On disk it is one model directory (one version) holding each member as a complete model directory:

    <version>/meta.json   {"version": …, "main": "<member>", "routes": {"en": "<member>"}, "languages": […], …}
    <version>/<member>/   a model directory as ``vocmine train`` writes one (its own tokenizer, thresholds, export)

A sentence's language comes from the caller where it is known (the pipeline stores one per sentence, evaluation
suites carry one); otherwise it is detected among the languages the model was trained on. A sentence whose language
is unknown or not routed goes to the main model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from models.blending import load_blends
from models.config import INFERENCE_BATCH
from models.registry import META_FILE, read_meta

if TYPE_CHECKING:
    from models.blending import Blend
    from models.label_shift import PriorAdaptation
    from models.labels import LabelSpace
    from models.predict import Classifier, Decisions, Probabilities, Runtime
    from pipeline.langid import LanguageIdentifier
    from pipeline.records import SentenceTags


def is_routed(model_dir: Path | str) -> bool:
    """Whether ``model_dir`` holds a routed set of models rather than one model."""
    meta_file = Path(model_dir) / META_FILE
    return meta_file.is_file() and "routes" in read_meta(Path(model_dir))


def member_dirs(model_dir: Path | str) -> dict[str, Path]:
    """The member model directories of a routed model by role: ``'main'`` first, then one per route (``'en'``…).

    A route that serves several languages appears once, under its first language."""
    model_dir = Path(model_dir)
    meta = read_meta(model_dir)
    members = {"main": model_dir / meta["main"]}
    for code, name in meta["routes"].items():
        if model_dir / name not in members.values():
            members[code] = model_dir / name
    return members


def member_reads(model_dir: Path | str, member: Path) -> Callable[[str | None], bool]:
    """Whether ``member`` of a routed model reads a language: a route member its route's languages, the main member
    every language no route names (unknown ones included)."""
    routes = read_meta(Path(model_dir))["routes"]
    mine = {code for code, name in routes.items() if name == member.name}

    def reads(lang: str | None) -> bool:
        code = (lang or "").lower()
        return code in mine if mine else code not in routes

    return reads


class RoutedClassifier:
    """Routes each sentence to its language's member model; the same interface as ``models.predict.Classifier``."""

    def __init__(
        self,
        model_dir: Path,
        *,
        main: Classifier,
        routes: dict[str, Classifier],
        languages: Sequence[str],
        blends: dict[str, Blend] | None = None,
    ) -> None:
        """``blends``: routed languages whose probabilities blend their member with the main one
        (``models.blending``)."""
        self.model_dir = model_dir
        self.version: str = read_meta(model_dir)["version"]
        self.main = main
        self.routes = routes
        self.blends = {code.lower(): b for code, b in (blends or {}).items() if code.lower() in routes}
        self.languages = tuple(languages)
        members = [main, *routes.values()]
        if any(m.labels != main.labels for m in members):
            raise ValueError(f"{model_dir}: the member models do not share one label map")
        self.labels: LabelSpace = main.labels
        runtimes = {m.runtime for m in members}
        self.runtime = runtimes.pop() if len(runtimes) == 1 else "mixed"
        self.device = main.device

    @classmethod
    def load(
        cls,
        model_dir: Path | str,
        *,
        runtime: Runtime = "auto",
        device: str = "auto",
        threads: int | None = None,
        prepare_workers: int | None = None,
    ) -> RoutedClassifier:
        from models.predict import Classifier

        model_dir = Path(model_dir)
        meta = read_meta(model_dir)
        loaded = {
            name: Classifier.load(
                model_dir / name, runtime=runtime, device=device, threads=threads, prepare_workers=prepare_workers
            )
            for name in {meta["main"], *meta["routes"].values()}
        }
        routes = {code.lower(): loaded[name] for code, name in meta["routes"].items()}
        return cls(
            model_dir, main=loaded[meta["main"]], routes=routes, languages=meta["languages"],
            blends=load_blends(model_dir),
        )  # fmt: skip

    @property
    def rechecked(self) -> int:
        """Sentences scored again near a decision boundary, over every member."""
        return sum(m.rechecked for m in {id(m): m for m in (self.main, *self.routes.values())}.values())

    def member_for(self, lang: str | None) -> Classifier:
        return self.routes.get((lang or "").lower(), self.main)

    def languages_of(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[str | None]:
        """``langs`` where given, else the language detected among those the model was trained on."""
        from pipeline.langid import given_or_detected

        return given_or_detected(texts, langs, self._identifier)

    @cached_property
    def _identifier(self) -> LanguageIdentifier:
        from pipeline.langid import LanguageIdentifier

        return LanguageIdentifier(self.languages)

    def decisions(
        self,
        texts: Sequence[str],
        *,
        langs: Sequence[str | None] | None = None,
        batch_size: int = INFERENCE_BATCH,
        adapt: PriorAdaptation | None = None,
    ) -> Decisions:
        """Each member labels its own sentences (and adapts its sentiment priors to them, per language, with
        ``adapt``); a blended language's sentences are read by its member and the main one together. The rows come
        back in input order."""
        groups: dict[object, tuple[Classifier | str, list[int]]] = {}
        codes = self.languages_of(texts, langs)
        for row, code in enumerate(codes):
            key = (code or "").lower()
            reader: Classifier | str = key if key in self.blends else self.member_for(code)
            groups.setdefault(key if isinstance(reader, str) else id(reader), (reader, []))[1].append(row)
        parts = []
        for reader, rows in groups.values():
            some, some_langs = [texts[i] for i in rows], [codes[i] for i in rows]
            if isinstance(reader, str):
                route = self.routes[reader].predict_proba(some, langs=some_langs, batch_size=batch_size)
                main = self.main.predict_proba(some, langs=some_langs, batch_size=batch_size)
                part = self.decide_blended(reader, route, main, some_langs, adapt=adapt)
            else:
                part = reader.decisions(some, langs=some_langs, batch_size=batch_size, adapt=adapt)
            parts.append((rows, part))
        return stitched(len(texts), parts, labels=self.labels)

    def decide_blended(
        self,
        code: str,
        route: Probabilities,
        main: Probabilities,
        langs: Sequence[str | None],
        *,
        adapt: PriorAdaptation | None = None,
    ) -> Decisions:
        """Sentences of one blended language from both readers' probabilities: blended, then decided by the blend's
        own thresholds and training priors."""
        from models.blending import blend
        from models.predict import Decisions, adapted_sentiment, decide

        plan = self.blends[code]
        probs = blend(route, main, plan.weights)
        if adapt is not None and plan.calibration.sentiment_priors:
            probs = adapted_sentiment(probs, langs, plan.calibration.sentiment_priors, adapt, name=self.version)
        return Decisions(probs, *decide(probs, labels=self.labels, calibration=plan.calibration))

    def predict_proba(
        self, texts: Sequence[str], *, langs: Sequence[str | None] | None = None, batch_size: int = INFERENCE_BATCH
    ) -> Probabilities:
        return self.decisions(texts, langs=langs, batch_size=batch_size).probs

    def predict(
        self,
        texts: Sequence[str],
        *,
        langs: Sequence[str | None] | None = None,
        batch_size: int = INFERENCE_BATCH,
        adapt: PriorAdaptation | None = None,
    ) -> list[SentenceTags]:
        from models.predict import sentence_tags

        decided = self.decisions(texts, langs=langs, batch_size=batch_size, adapt=adapt)
        return sentence_tags(decided, labels=self.labels)


def stitched(n: int, parts: Sequence[tuple[Sequence[int], Decisions]], *, labels: LabelSpace) -> Decisions:
    """One ``Decisions`` of ``n`` rows from parts, each the decisions of the rows it names (in their order)."""
    from models.predict import Decisions, Probabilities

    k = (len(labels.service), len(labels.sentiment), len(labels.sharp_edge))
    probs = [np.zeros((n, width), dtype=np.float32) for width in k]
    service = np.zeros((n, k[0]), dtype=bool)
    sentiment = np.zeros(n, dtype=np.int64)
    sharp_edge = np.zeros(n, dtype=np.int64)
    for rows, part in parts:
        index = list(rows)
        heads = (part.probs.service, part.probs.sentiment, part.probs.sharp_edge)
        for target, source in zip(probs, heads, strict=True):
            target[index] = source
        service[index], sentiment[index], sharp_edge[index] = part.service, part.sentiment, part.sharp_edge
    return Decisions(Probabilities(*probs), service, sentiment, sharp_edge)
