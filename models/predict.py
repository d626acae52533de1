"""Inference with a trained model directory: calibrated probabilities and thresholded labels per sentence.

Two runtimes read the same directory: ONNX Runtime (int8, CPU; after ``vocmine export``) and torch (GPU, or CPU when
not exported). ``runtime="auto"`` picks torch on a GPU, else ONNX when exported, else torch. The ONNX path imports
neither torch nor transformers.

When the export kept a recheck file (``model.recheck.onnx``: the encoder in fp32) and a recheck margin, sentences whose
int8 probabilities lie within that margin of a decision boundary (``decision_margin``) are scored again with it. int8
moves a probability by ~0.007 on average, so the decisions it flips are near ties; rescoring the few percent of
sentences near a boundary brings the int8 path's decisions in line with torch's at a small cost in speed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from models.batching import InputFormat, iter_padded, tokenize
from models.calibration import Calibration, sharp_edge_decision, sigmoid, softmax
from models.config import INFERENCE_BATCH
from models.export import RECHECK_FILE, export_info
from models.labels import LabelSpace
from models.registry import read_meta, resolve_model_dir
from models.streaming import PreparePool, stream_logits
from pipeline.records import SentenceTags

if TYPE_CHECKING:
    from models.label_shift import PriorAdaptation
    from models.routed import RoutedClassifier
    from pipeline.config import Settings

log = logging.getLogger(__name__)

Runtime = Literal["auto", "onnx", "torch"]
Logits = tuple[np.ndarray, np.ndarray, np.ndarray]
Runner = Callable[[np.ndarray, np.ndarray], Logits]
ONNX_FILES = ("model.int8.onnx", "model.onnx")  # preferred first
# Near ties are few and of mixed lengths: small batches pad less. On 40 rechecked of 752 app-review sentences (2
# threads, e5-small), batches of 64 / 16 / 8 gave 280 / 296 / 300 sentences/s overall (int8 alone: 338).
RECHECK_BATCH = 8
# Calls with fewer texts are prepared in the calling process even when a prepare pool exists: the hand-over to the
# workers would cost more than it saves.
STREAM_MIN = 1_024


@dataclass(frozen=True)
class Probabilities:
    """Calibrated probabilities of n texts, rows in input order."""

    service: np.ndarray  # [n, S] independent sigmoids
    sentiment: np.ndarray  # [n, 3] softmax
    sharp_edge: np.ndarray  # [n, K] softmax, index 0 = 'none'

    def __len__(self) -> int:
        return len(self.service)


@dataclass(frozen=True)
class KnownLogits:
    """Logits a model has already computed for some (text, language) pairs, such as a training run's dev pass: a
    ``Classifier`` holding them reads a call that asks for those pairs only from here instead of running the model
    again. A row computed in other batches can differ in the last bits (padding changes the kernels' summation)."""

    rows: Mapping[tuple[str, str | None], int]
    logits: Logits

    @classmethod
    def of(cls, texts: Sequence[str], langs: Sequence[str | None], logits: Logits) -> KnownLogits:
        if not len(texts) == len(langs) == len(logits[0]):
            raise ValueError(f"{len(texts)} texts, {len(langs)} languages and {len(logits[0])} rows of logits")
        return cls({(text, lang): i for i, (text, lang) in enumerate(zip(texts, langs, strict=True))}, logits)

    def take(self, texts: Sequence[str], langs: Sequence[str | None]) -> Logits | None:
        """The logits of every pair, in order; None when any is unknown."""
        try:
            index = np.fromiter((self.rows[pair] for pair in zip(texts, langs, strict=True)), np.int64, len(texts))
        except KeyError:
            return None
        return tuple(head[index] for head in self.logits)  # type: ignore[return-value]


def calibrated(logits: Logits, calibration: Calibration) -> Probabilities:
    service, sentiment, sharp_edge = logits
    return Probabilities(
        service=sigmoid(service / calibration.temperature_service).astype(np.float32),
        sentiment=softmax(sentiment / calibration.temperature_sentiment).astype(np.float32),
        sharp_edge=softmax(sharp_edge / calibration.temperature_sharp_edge).astype(np.float32),
    )


def decide(probs: Probabilities, *, labels: LabelSpace, calibration: Calibration) -> tuple[np.ndarray, ...]:
    """(service [n,S] bool, sentiment [n] index, sharp_edge [n] index with 0 = none) from the stored thresholds."""
    thresholds = np.asarray(calibration.service_thresholds or [0.5] * len(labels.service), dtype=np.float32)
    return (
        probs.service >= thresholds,
        probs.sentiment.argmax(axis=1),
        sharp_edge_decision(probs.sharp_edge, threshold=calibration.sharp_edge_threshold),
    )


def decision_margin(probs: Probabilities, *, calibration: Calibration) -> np.ndarray:
    """Per row, the smallest distance of a probability to where a decision flips: a service probability to its
    threshold, the top two sentiments to each other, the top policy category to the sharp-edge threshold and, when
    it is above it, to the runner-up category."""
    thresholds = np.asarray(calibration.service_thresholds or [0.5] * probs.service.shape[1], dtype=np.float32)
    service = np.abs(probs.service - thresholds).min(axis=1, initial=np.inf)
    sentiment = np.sort(probs.sentiment, axis=1)
    categories = np.sort(np.pad(probs.sharp_edge[:, 1:], ((0, 0), (2, 0))), axis=1)  # two zeros: always a top two
    top, runner_up = categories[:, -1], categories[:, -2]
    cut = calibration.sharp_edge_threshold
    edge = np.minimum(np.abs(top - cut), np.where(top >= cut, top - runner_up, np.inf))
    return np.minimum.reduce([service, sentiment[:, -1] - sentiment[:, -2], edge])


def load_tokenizer(model_dir: Path, *, max_length: int):
    """The model's fast tokenizer (``tokenizer.json``), truncating, never padding (batches pad themselves)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length)
    return tokenizer


def run_logits(runner: Runner, ids: Sequence[Sequence[int]], *, batch_size: int, pad_id: int) -> Logits:
    """Logits of every row, in input order, computed over length-sorted, dynamically padded batches."""
    outs: list[list[np.ndarray]] = [[], [], []]
    order: list[np.ndarray] = []
    for index, input_ids, mask in iter_padded(ids, batch_size=batch_size, pad_id=pad_id):
        for head, value in zip(outs, runner(input_ids, mask), strict=True):
            head.append(value)
        order.append(index)
    if not order:
        raise ValueError("no texts")
    inverse = np.argsort(np.concatenate(order))
    return tuple(np.concatenate(head)[inverse] for head in outs)  # type: ignore[return-value]


class Classifier:
    """A trained model ready to label sentences. Build with ``Classifier.load(model_dir)``."""

    def __init__(
        self,
        model_dir: Path,
        *,
        runner: Runner,
        runtime: str,
        device: str,
        recheck: Runner | None = None,
        recheck_margin: float = 0.0,
        model: Any = None,
        prepare_workers: int = 0,
    ) -> None:
        """``model``: the torch module behind ``runner``, if any; with ``prepare_workers`` it streams large calls
        (``models.streaming``): that many processes format and tokenise while the model runs."""
        meta = read_meta(model_dir)
        self.model_dir = model_dir
        self.version: str = meta["version"]
        self.labels = LabelSpace.load(model_dir)
        self.calibration = Calibration.load(model_dir)
        self.runtime = runtime
        self.device = device
        self.input_format = InputFormat.from_meta(meta)
        self.languages: tuple[str, ...] = tuple(meta.get("languages") or ())  # trained on, where recorded
        self._pad_id: int = int(meta["pad_id"])
        self._tokenizer = load_tokenizer(model_dir, max_length=int(meta["max_length"]))
        self._runner = runner
        self._recheck = recheck if recheck_margin > 0 else None
        self.recheck_margin = recheck_margin
        self.rechecked = 0  # sentences scored again by ``recheck`` so far
        self._warned_no_priors = False
        self._model = model
        self.known: KnownLogits | None = None  # logits already computed for some texts (``KnownLogits``)
        self._pool = (
            PreparePool(model_dir, max_length=int(meta["max_length"]), fmt=self.input_format, workers=prepare_workers)
            if model is not None and prepare_workers > 0
            else None
        )

    @classmethod
    def load(
        cls,
        model_dir: Path | str,
        *,
        runtime: Runtime = "auto",
        device: str = "auto",
        threads: int | None = None,
        prepare_workers: int | None = None,
    ) -> Classifier:
        """``threads``: ONNX Runtime intra-op threads (default: its own choice, one per core). ``prepare_workers``:
        processes that prepare the text of large calls for the torch runtime (``models.streaming``); default: all
        cores but one on a GPU, none on the CPU (where the model itself needs the cores)."""
        model_dir = Path(model_dir)
        onnx_file = next((model_dir / n for n in ONNX_FILES if (model_dir / n).is_file()), None)
        if runtime == "auto":
            runtime = "onnx" if onnx_file is not None and not _gpu_wanted(device) else "torch"
        if runtime == "onnx":
            if onnx_file is None:
                from pipeline.errors import UserError

                raise UserError(f"{model_dir} has no ONNX export: run `vocmine export` first")
            margin = float(export_info(model_dir).get("recheck_margin") or 0.0)
            recheck_file = model_dir / RECHECK_FILE
            use_recheck = onnx_file.name == ONNX_FILES[0] and margin > 0 and recheck_file.is_file()
            return cls(
                model_dir,
                runner=onnx_runner(onnx_file, threads),
                runtime="onnx",
                device="cpu",
                recheck=onnx_runner(recheck_file, threads) if use_recheck else None,
                recheck_margin=margin if use_recheck else 0.0,
            )
        runner, resolved, model = _torch_runner(model_dir, device)
        if prepare_workers is None:
            prepare_workers = max((os.cpu_count() or 1) - 1, 0) if resolved.startswith("cuda") else 0
        return cls(model_dir, runner=runner, runtime="torch", device=resolved, model=model,
                   prepare_workers=prepare_workers)  # fmt: skip

    def predict_proba(
        self, texts: Sequence[str], *, langs: Sequence[str | None] | None = None, batch_size: int = INFERENCE_BATCH
    ) -> Probabilities:
        """``langs``: each text's language, which a model that maps colloquial spellings needs (where missing,
        detected among the languages it was trained on and those it maps)."""
        if len(texts) == 0:
            empty = np.zeros((0, 0), dtype=np.float32)
            k = (len(self.labels.service), len(self.labels.sentiment), len(self.labels.sharp_edge))
            return Probabilities(*(empty.reshape(0, n) for n in k))
        langs = self._languages_for(texts, langs)
        if self.known is not None and langs is not None and (known := self.known.take(texts, langs)) is not None:
            return calibrated(known, self.calibration)
        if self._pool is not None and len(texts) >= STREAM_MIN:
            prepared = self._pool.prepare(texts, langs)
            logits = stream_logits(self._model, prepared, batch_size=batch_size, pad_id=self._pad_id)
            return calibrated(logits, self.calibration)  # no recheck: that is the int8 ONNX path's
        ids = tokenize(self._tokenizer, texts, fmt=self.input_format, langs=langs)
        probs = calibrated(run_logits(self._runner, ids, batch_size=batch_size, pad_id=self._pad_id), self.calibration)
        if self._recheck is None:
            return probs
        rows = np.flatnonzero(decision_margin(probs, calibration=self.calibration) < self.recheck_margin)
        if not len(rows):
            return probs
        again = calibrated(
            run_logits(self._recheck, [ids[i] for i in rows], batch_size=RECHECK_BATCH, pad_id=self._pad_id),
            self.calibration,
        )
        self.rechecked += len(rows)
        heads = {}
        for head in ("service", "sentiment", "sharp_edge"):
            heads[head] = getattr(probs, head).copy()
            heads[head][rows] = getattr(again, head)
        return Probabilities(**heads)

    def decisions(
        self,
        texts: Sequence[str],
        *,
        langs: Sequence[str | None] | None = None,
        batch_size: int = INFERENCE_BATCH,
        adapt: PriorAdaptation | None = None,
    ) -> Decisions:
        """Probabilities and the labels the stored thresholds give. One model reads every language: ``langs`` groups
        the texts for ``adapt`` (sentiment priors estimated per language from these texts, ``models.label_shift``)
        and picks the texts whose colloquial spellings the model maps (``models.colloquial``)."""
        probs = self.predict_proba(texts, langs=langs, batch_size=batch_size)
        if adapt is not None:
            probs = self.adapted(probs, langs, adapt)
        return Decisions(probs, *decide(probs, labels=self.labels, calibration=self.calibration))

    def _languages_for(self, texts: Sequence[str], langs: Sequence[str | None] | None) -> Sequence[str | None] | None:
        if not self.input_format.colloquial or (langs is not None and len(langs) == len(texts) and all(langs)):
            return langs
        from pipeline.langid import given_or_detected, identifier

        judge = identifier(tuple(dict.fromkeys((*self.languages, *self.input_format.colloquial))))
        return given_or_detected(texts, langs, judge)

    def adapted(
        self, probs: Probabilities, langs: Sequence[str | None] | None, adapt: PriorAdaptation
    ) -> Probabilities:
        """``probs`` with the sentiment probabilities adjusted to the priors estimated from them, per language."""
        source = self.calibration.sentiment_priors
        if not source:
            if not self._warned_no_priors:
                log.warning("%s stores no training priors (trained before they were kept): sentiment not adapted",
                            self.version)  # fmt: skip
                self._warned_no_priors = True
            return probs
        return adapted_sentiment(probs, langs, source, adapt, name=self.version)

    def predict(
        self,
        texts: Sequence[str],
        *,
        langs: Sequence[str | None] | None = None,
        batch_size: int = INFERENCE_BATCH,
        adapt: PriorAdaptation | None = None,
    ) -> list[SentenceTags]:
        """Labels and per-label scores ('service.support', 'sentiment.positive', 'sharp_edge.billing', …).

        ``sharp_edge`` is None when the decision is 'none'.
        """
        decided = self.decisions(texts, langs=langs, batch_size=batch_size, adapt=adapt)
        return sentence_tags(decided, labels=self.labels)


def adapted_sentiment(
    probs: Probabilities,
    langs: Sequence[str | None] | None,
    source: Mapping[str, Sequence[float]],
    adapt: PriorAdaptation,
    *,
    name: str,
) -> Probabilities:
    """``probs`` with the sentiment probabilities adjusted, per language, from the training priors ``source`` to
    those estimated from them (``models.label_shift``); ``name`` labels the log line."""
    from models.label_shift import adapt as adapt_priors
    from models.label_shift import source_for

    sentiment, estimates = adapt_priors(probs.sentiment, langs, source, min_rows=adapt.min_rows)
    for lang, estimate in estimates.items():
        log.info("%s: sentiment priors of %s estimated as %s (training %s)", name, lang,
                 np.round(estimate.priors, 3).tolist(), list(source_for(source, lang) or ()))  # fmt: skip
    return replace(probs, sentiment=sentiment)


@dataclass(frozen=True)
class Decisions:
    """Calibrated probabilities of n texts and the labels decided from them, rows in input order."""

    probs: Probabilities
    service: np.ndarray  # [n, S] bool
    sentiment: np.ndarray  # [n] label index
    sharp_edge: np.ndarray  # [n] label index, 0 = none

    def __len__(self) -> int:
        return len(self.probs)


def sentence_tags(decisions: Decisions, *, labels: LabelSpace) -> list[SentenceTags]:
    """One ``SentenceTags`` per row: decided labels and every per-label score, rounded to 4 places."""
    probs = decisions.probs
    keys = labels.score_keys()
    scores = np.concatenate([probs.service, probs.sentiment, probs.sharp_edge], axis=1)
    out = []
    for i in range(len(decisions)):
        edge = int(decisions.sharp_edge[i])
        out.append(
            SentenceTags(
                service=tuple(k for k, on in zip(labels.service, decisions.service[i], strict=True) if on),
                sentiment=labels.sentiment[int(decisions.sentiment[i])],
                sharp_edge=labels.sharp_edge[edge] if edge else None,
                scores={key: round(float(v), 4) for key, v in zip(keys, scores[i], strict=True)},
            )
        )
    return out


def load_classifier(settings: Settings) -> Classifier | RoutedClassifier:
    """The configured model (``classifier.model_version`` or the newest), with the configured runtime and device."""
    cfg = settings.classifier
    return load_model(
        resolve_model_dir(settings), runtime=cfg.runtime, device=cfg.device, prepare_workers=cfg.prepare_workers
    )


def load_model(
    model_dir: Path | str,
    *,
    runtime: Runtime = "auto",
    device: str = "auto",
    threads: int | None = None,
    prepare_workers: int | None = None,
) -> Classifier | RoutedClassifier:
    """A model directory ready to label sentences: one model, or a routed set of them (``models.routed``)."""
    from models.routed import RoutedClassifier, is_routed

    loader = RoutedClassifier.load if is_routed(model_dir) else Classifier.load
    return loader(model_dir, runtime=runtime, device=device, threads=threads, prepare_workers=prepare_workers)


def _gpu_wanted(device: str) -> bool:
    if device == "cpu":
        return False
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available()) if device == "auto" else device.startswith("cuda")


def onnx_runner(path: Path, threads: int | None = None) -> Runner:
    """A ``Runner`` over an ONNX file on the CPU; ``threads``: intra-op threads (default: ONNX Runtime's choice)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def run(input_ids: np.ndarray, mask: np.ndarray) -> Logits:
        service, sentiment, sharp_edge = session.run(None, {"input_ids": input_ids, "attention_mask": mask})
        return service, sentiment, sharp_edge

    return run


def _torch_runner(model_dir: Path, device: str) -> tuple[Runner, str, Any]:
    import torch

    from models.network import MultiTaskModel, torch_runner

    resolved = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
    model = MultiTaskModel.load(model_dir, LabelSpace.load(model_dir)).to(resolved)
    return torch_runner(model), resolved, model
