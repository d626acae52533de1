"""Export a trained model to ONNX, then quantise it (dynamic int8) for fast CPU inference.

``Classifier.load`` prefers ``model.int8.onnx`` on CPU once it exists, else ``model.onnx``. ``agreement`` measures
how often the exported model's decisions match torch's on a sample. Dynamic int8 quantises activations per tensor,
which some encoders do not survive: multilingual-e5-small has a few fixed outlier channels (|x| up to ~70 where a
typical channel peaks at ~1.5) at the inputs of its feed-forward layers, and its fully int8 decisions matched torch on
only 75–94 % of sentences (measured 2026-11). So with check texts the candidates are tried in order, and the first
that agrees on at least ``MIN_AGREEMENT`` of them is kept; when none does, the fp32 ONNX model (exact) is:

1. ``SMOOTHED``: int8 with the activations smoothed into the weights (``models.smoothing``) and the feed-forward
   output MatMuls' outlier input channels split off into small fp32 MatMuls (``models.outlier_split``), both
   calibrated on gold sentences; plus ``model.recheck.onnx`` (the encoder in fp32, the embedding table int8), which
   the classifier uses to score again the sentences whose int8 probabilities lie within ``RECHECK_MARGIN`` of a
   decision boundary (``models.predict.decision_margin``). About int8 speed;
2. ``FEED_FORWARD_FP32``: int8 with the feed-forward MatMuls kept in fp32 (~1.2x fp32 speed).

What was kept, its agreement, what was smoothed and split, and the recheck margin go to ``onnx.json``.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from models.config import INFERENCE_BATCH
from models.labels import LabelSpace
from models.outlier_split import channel_peaks, outlier_channels, split_outliers
from models.smoothing import smooth_activations

if TYPE_CHECKING:
    from pipeline.config import Settings

log = logging.getLogger(__name__)

FP32_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"
OPSET = 17
MIN_AGREEMENT = 0.99
WHOLE_CHECK = 500  # gold sentences, every language, on which a routed model is checked as a whole
EXPORT_INFO = "onnx.json"
RECHECK_FILE = "model.recheck.onnx"
FEED_FORWARD_OUTPUT = re.compile(r"(?<!/attention)/output/dense/MatMul$")  # BERT node names; input: GELU output
FEED_FORWARD = re.compile(r"/intermediate/dense/MatMul$|" + FEED_FORWARD_OUTPUT.pattern)
SMOOTHED = "int8, smoothed, near ties rechecked"
FEED_FORWARD_FP32 = "int8, feed-forward fp32"
VARIANTS = (SMOOTHED, FEED_FORWARD_FP32)  # tried in this order; fp32 when neither agrees
# Sentences whose int8 probabilities lie this close to a decision boundary are scored again by the recheck file.
# Measured on two e5-small models (2026-11; share rescored, then decisions agreeing with torch, on 752 app-review /
# 500 gold sentences): 0.02: 0.8–2.1 %, 98.7–99.1 % / 98.2–99.6 %; 0.05: 3.0–4.4 %, 99.0–99.4 % / 99.4–99.8 %;
# 0.08: 4.0–7.0 %, 99.6–99.8 % / 99.6–99.8 %.
RECHECK_MARGIN = 0.08
CALIBRATION_BATCH = 32
_SAMPLE = ("The support team answered within an hour.", "Great.")


def export_onnx(
    model_dir: Path | str,
    *,
    quantize: bool = True,
    keep_fp32: bool = False,
    check_texts: Sequence[str] = (),
    calibration_texts: Sequence[str] = (),
    min_agreement: float = MIN_AGREEMENT,
) -> Path:
    """Write ``model.onnx`` and, with ``quantize``, ``model.int8.onnx`` into ``model_dir``; returns the file to use.

    Inputs ``input_ids`` / ``attention_mask`` [batch, seq] int64, outputs the three heads' logits [batch, n],
    both axes dynamic. Files appear atomically. With ``check_texts``, an int8 model whose decisions agree with torch
    on fewer than ``min_agreement`` of them is removed and the fp32 file is returned; otherwise the fp32 file is
    removed unless ``keep_fp32``. Outlier channels are found on ``calibration_texts`` (default: the check texts);
    without either text list nothing is split and plain int8 is kept unchecked.
    """
    import torch

    from models.batching import InputFormat, pad, tokenize
    from models.network import MultiTaskModel
    from models.predict import load_tokenizer
    from models.registry import read_meta

    model_dir = Path(model_dir)
    meta = read_meta(model_dir)
    model = MultiTaskModel.load(model_dir, LabelSpace.load(model_dir))
    if hasattr(model.encoder, "set_attn_implementation"):
        # Plain attention exports as MatMul + Add + Softmax; SDPA's export adds Where / IsNaN guards on every score
        # tensor (7.7 % of the int8 model's kernel time on 2 threads; eager exports ran ~5 % faster, measured 2026-11).
        model.encoder.set_attn_implementation("eager")
    tokenizer = load_tokenizer(model_dir, max_length=int(meta["max_length"]))
    ids = tokenize(tokenizer, _SAMPLE, fmt=InputFormat.from_meta(meta))
    input_ids, mask = pad(ids, np.arange(len(ids)), pad_id=int(meta["pad_id"]))
    fp32 = model_dir / FP32_FILE
    tmp = model_dir / f".{FP32_FILE}.tmp"
    axes = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}}
    axes |= {name: {0: "batch"} for name in ("service", "sentiment", "sharp_edge")}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # tracer warnings about Python control flow on shapes: shapes stay dynamic
        torch.onnx.export(
            model,
            (torch.from_numpy(input_ids), torch.from_numpy(mask)),
            str(tmp),
            input_names=["input_ids", "attention_mask"],
            output_names=["service", "sentiment", "sharp_edge"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,  # the TorchScript exporter: needs no onnxscript and handles dynamic axes
        )
    tmp.replace(fp32)
    log.info("exported %s", fp32)
    (model_dir / INT8_FILE).unlink(missing_ok=True)  # a stale int8 file would shadow the new export
    (model_dir / RECHECK_FILE).unlink(missing_ok=True)
    (model_dir / EXPORT_INFO).unlink(missing_ok=True)
    if not quantize:
        _write_info(model_dir, "fp32", None)
        return fp32
    calibration = list(calibration_texts or check_texts)
    peaks = calibrate(model_dir, calibration, onnx_file=fp32) if calibration else {}
    for variant in VARIANTS if check_texts else VARIANTS[:1]:
        int8, info = _write_variant(variant, fp32, model_dir, peaks)
        rate = agreement(model_dir, check_texts) if check_texts else None
        if rate is None or rate >= min_agreement:
            _write_info(model_dir, variant, rate, **info)
            if not keep_fp32:
                fp32.unlink()
            return int8
        log.warning("%s decisions agree with torch on %.1f%% < %.0f%%", variant, 100 * rate, 100 * min_agreement)
        int8.unlink()
        (model_dir / RECHECK_FILE).unlink(missing_ok=True)
    log.warning("no int8 variant agrees well enough: keeping fp32 ONNX")
    _write_info(model_dir, "fp32", None)
    return fp32


def _write_variant(variant: str, fp32: Path, model_dir: Path, peaks: Mapping[str, np.ndarray]) -> tuple[Path, dict]:
    """Write ``variant``'s int8 file (and for ``SMOOTHED`` the recheck file) and the ``onnx.json`` that
    ``Classifier.load`` reads to use them; returns the int8 file and what went into ``onnx.json``."""
    if variant == FEED_FORWARD_FP32:
        info: dict = {}
        int8 = quantize_int8(fp32, model_dir / INT8_FILE, fp32_feed_forward=True)
    else:
        int8 = quantize_int8(fp32, model_dir / INT8_FILE, outlier_peaks=peaks, smooth=True)
        quantize_embeddings(fp32, model_dir / RECHECK_FILE)
        smoothed, split = _smoothed_and_split(peaks)
        info = {
            "smoothed_matmuls": len(smoothed),
            "outlier_channels": sum(len(outlier_channels(p)) for p in split.values()),
            "recheck_margin": RECHECK_MARGIN,
        }
    _write_info(model_dir, variant, None, **info)
    return int8, info


def _smoothed_and_split(peaks: Mapping[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """``SMOOTHED``'s two groups of MatMuls: those to smooth, and the feed-forward outputs, whose outliers are split."""
    split = {name: p for name, p in peaks.items() if FEED_FORWARD_OUTPUT.search(name)}
    return {name: p for name, p in peaks.items() if name not in split}, split


def calibrate(model_dir: Path | str, texts: Sequence[str], *, onnx_file: Path | None = None) -> dict[str, np.ndarray]:
    """``outlier_split.channel_peaks`` of the model's fp32 ONNX file on ``texts``, tokenised as the model sees them."""
    import onnx

    from models.batching import InputFormat, iter_padded, tokenize
    from models.predict import load_tokenizer
    from models.registry import read_meta

    model_dir = Path(model_dir)
    meta = read_meta(model_dir)
    tokenizer = load_tokenizer(model_dir, max_length=int(meta["max_length"]))
    ids = tokenize(tokenizer, texts, fmt=InputFormat.from_meta(meta))
    batches = iter_padded(ids, batch_size=CALIBRATION_BATCH, pad_id=int(meta["pad_id"]))
    model = onnx.load(str(onnx_file or model_dir / FP32_FILE))
    return channel_peaks(model, ((input_ids, mask) for _, input_ids, mask in batches))


def _write_info(model_dir: Path, variant: str, rate: float | None, **details) -> None:
    info = {"variant": variant, "agreement": rate, **details}
    (model_dir / EXPORT_INFO).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")


def export_info(model_dir: Path | str) -> dict:
    """``{"variant", "agreement", …}`` as ``export_onnx`` recorded them; empty if never exported."""
    path = Path(model_dir) / EXPORT_INFO
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def export_variant(model_dir: Path | str) -> str | None:
    """What ``export_onnx`` kept for this model (``VARIANTS``, 'int8' or 'fp32'), None if not exported; for a routed
    model, each member's ('main: …; en: …')."""
    from models.routed import is_routed, member_dirs

    if is_routed(model_dir):
        return "; ".join(f"{role}: {export_variant(d)}" for role, d in member_dirs(model_dir).items())
    return export_info(model_dir).get("variant")


def quantize_int8(
    source: Path,
    target: Path,
    *,
    fp32_feed_forward: bool = False,
    outlier_peaks: Mapping[str, np.ndarray] | None = None,
    smooth: bool = False,
) -> Path:
    """Dynamic int8 quantisation with ONNX Runtime: weights per output channel, activations per tensor on the fly.

    Per-channel weights matched torch more often than per-tensor ones on e5-small (85 % vs 74 % of decisions).
    ``fp32_feed_forward`` leaves the encoder's feed-forward MatMuls (BERT node names) unquantised. ``outlier_peaks``
    (``outlier_split.channel_peaks``) splits each MatMul's outlier input channels off into an fp32 MatMul first; with
    ``smooth``, only the feed-forward output MatMuls are split and all the others are smoothed instead.
    """
    import onnx

    model = onnx.load(str(source))
    exclude = []
    if outlier_peaks and smooth:
        smoothed, split = _smoothed_and_split(outlier_peaks)
        smooth_activations(model, smoothed)
        exclude = split_outliers(model, split)
    elif outlier_peaks:
        exclude = split_outliers(model, outlier_peaks)
    if fp32_feed_forward:
        exclude += [node.name for node in model.graph.node if FEED_FORWARD.search(node.name)]
    return quantize_model(model, target, nodes_to_exclude=exclude)


def quantize_embeddings(source: Path, target: Path) -> Path:
    """Only the embedding tables (Gather) in int8, the encoder in fp32: the recheck file. Its decisions matched torch
    on 99.4–100 % of sentences, and the int8 table saves ~290 MB against fp32 on e5-small."""
    import onnx

    return quantize_model(onnx.load(str(source)), target, op_types_to_quantize=["Gather"])


def quantize_model(model, target: Path, **options) -> Path:
    """``quantize_dynamic`` of an ``onnx.ModelProto`` into ``target`` (atomically): int8 weights per output channel;
    ``options`` go to ``quantize_dynamic``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = target.with_name(f".{target.name}.tmp")
    with _quiet_root_logger():  # the quantiser logs "consider pre-processing" advice on the root logger
        quantize_dynamic(model, str(tmp), weight_type=QuantType.QInt8, per_channel=True, **options)
    tmp.replace(target)
    log.info("quantised -> %s", target)
    return target


@contextmanager
def _quiet_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def agreement(
    model_dir: Path | str,
    texts: Sequence[str],
    *,
    langs: Sequence[str | None] | None = None,
    batch_size: int = INFERENCE_BATCH,
) -> float:
    """Share of texts whose decisions (service kinds, sentiment, sharp edge) are the same under ONNX and torch. A
    routed model is checked as a whole: each text routed by its language in ``langs`` and, for a blended language,
    read by both members and decided by the blend's thresholds."""
    from models.predict import load_model

    onnx = load_model(model_dir, runtime="onnx").predict(texts, langs=langs, batch_size=batch_size)
    torch_ = load_model(model_dir, runtime="torch", device="cpu").predict(texts, langs=langs, batch_size=batch_size)
    same = [
        (a.service, a.sentiment, a.sharp_edge) == (b.service, b.sentiment, b.sharp_edge)
        for a, b in zip(onnx, torch_, strict=True)
    ]
    return float(np.mean(same)) if same else 1.0


@dataclass(frozen=True)
class ExportResult:
    path: Path
    version: str
    size_mb: float
    agreement: float | None  # decisions of the kept ONNX file vs torch on a gold sample; None without gold data
    n_checked: int

    def summary(self) -> str:
        info = export_info(self.path.parent)
        kind = info.get("variant") or "?"
        if info.get("smoothed_matmuls"):
            kind += f": {info['smoothed_matmuls']} MatMuls smoothed"
        if info.get("outlier_channels"):
            kind += f", {info['outlier_channels']} input channels split off"
        if info.get("recheck_margin"):
            kind += f", recheck within {info['recheck_margin']:g} of a decision"
        kind += "" if self.path.name == INT8_FILE else " (no int8 variant agreed well enough)"
        check = (
            f"; agrees with torch on {self.agreement:.1%} of {self.n_checked} gold sentences" if self.n_checked else ""
        )
        return f"exported {self.version} -> {self.path} ({kind}, {self.size_mb:.0f} MB){check}"


def gold_samples(
    gold_dir: Path,
    taxonomy_path: Path,
    *,
    check: int = 500,
    calibration: int = 256,
    languages: Callable[[str | None], bool] | None = None,
) -> tuple[list[str], list[str]]:
    """Distinct gold sentences in a fixed (text-hash) order: the first ``check`` for the agreement check, the next
    ``calibration`` for finding outlier channels. ``languages``: keep only the sentences whose language it accepts."""
    texts = [text for text, _ in gold_sentences(gold_dir, taxonomy_path, languages=languages)]
    return texts[:check], texts[check : check + calibration]


def gold_sentences(
    gold_dir: Path, taxonomy_path: Path, *, languages: Callable[[str | None], bool] | None = None
) -> list[tuple[str, str | None]]:
    """(text, language) of each distinct gold sentence (the first language given for a repeated text), in text-hash
    order; ``languages``: only the sentences whose language it accepts."""
    from models.data import read_gold_dir, text_key
    from pipeline.taxonomy import load_taxonomy

    first: dict[str, str | None] = {}
    for ex in read_gold_dir(gold_dir, taxonomy=load_taxonomy(taxonomy_path)):
        if languages is None or languages(ex.lang):
            first.setdefault(ex.text, ex.lang)
    return [(text, first[text]) for text in sorted(first, key=text_key)]


@dataclass(frozen=True)
class RoutedExportResult:
    """The exports of a routed model's members (``models.routed``), one per member."""

    version: str
    members: dict[str, ExportResult]
    agreement: float | None = None  # the whole's decisions (routing, blends) on ONNX vs torch; None without gold
    n_checked: int = 0

    def summary(self) -> str:
        lines = [f"exported {self.version}, {len(self.members)} members:"]
        lines += [f"  {role}: {result.summary()}" for role, result in self.members.items()]
        if self.agreement is not None:
            lines.append(
                f"  as a whole (each sentence routed, blended languages decided on the blend): agrees with torch on "
                f"{self.agreement:.1%} of {self.n_checked} gold sentences"
            )
        return "\n".join(lines)


def is_exported(model_dir: Path | str) -> bool:
    """Whether the model (every member of a routed one) has an ONNX file to run."""
    from models.predict import ONNX_FILES
    from models.routed import is_routed, member_dirs

    dirs = list(member_dirs(model_dir).values()) if is_routed(model_dir) else [Path(model_dir)]
    return all(any((d / name).is_file() for name in ONNX_FILES) for d in dirs)


def export_from_settings(settings: Settings, *, quantize: bool = True) -> ExportResult | RoutedExportResult:
    """Export the configured model; int8 is kept only if it agrees with torch on ≥ 99 % of 500 gold sentences
    (without gold data it is kept unchecked). Outlier channels are calibrated on 256 other gold sentences. A routed
    model exports each member, checked and calibrated on the gold sentences of the languages it reads."""
    from models.registry import read_meta, resolve_model_dir
    from models.routed import is_routed, member_dirs, member_reads

    model_dir = resolve_model_dir(settings)
    if not is_routed(model_dir):
        return export_model_dir(model_dir, settings, quantize=quantize)
    members = {
        role: export_model_dir(member, settings, quantize=quantize, languages=member_reads(model_dir, member))
        for role, member in member_dirs(model_dir).items()
    }
    sample = gold_sentences(settings.classifier.gold_dir, settings.paths.taxonomy)[:WHOLE_CHECK]
    texts, langs = [text for text, _ in sample], [lang for _, lang in sample]
    rate = agreement(model_dir, texts, langs=langs) if sample else None
    _write_whole_info(model_dir, rate, len(sample))
    if rate is not None and rate < MIN_AGREEMENT:
        log.warning(
            "%s as a whole agrees with torch on %.1f%% < %.0f%% of %d gold sentences (each member was checked on its "
            "own); `vocmine export --no-quantize` keeps every member in fp32",
            model_dir.name, 100 * rate, 100 * MIN_AGREEMENT, len(sample),
        )  # fmt: skip
    return RoutedExportResult(read_meta(model_dir)["version"], members, rate, len(sample))


def _write_whole_info(model_dir: Path, rate: float | None, n_checked: int) -> None:
    info = {"agreement": rate, "n_checked": n_checked}  # each member's own onnx.json holds what it kept
    (model_dir / EXPORT_INFO).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")


def export_model_dir(
    model_dir: Path,
    settings: Settings,
    *,
    quantize: bool = True,
    languages: Callable[[str | None], bool] | None = None,
) -> ExportResult:
    """Export one model directory, checked on the configured gold sentences (of ``languages`` when given)."""
    from models.registry import read_meta

    sample, calibration = gold_samples(settings.classifier.gold_dir, settings.paths.taxonomy, languages=languages)
    path = export_onnx(model_dir, quantize=quantize, check_texts=sample, calibration_texts=calibration)
    rate = export_info(model_dir).get("agreement")  # measured on ``sample`` while choosing the variant
    if rate is None and sample:  # the fp32 file was kept: measure it too
        rate = agreement(model_dir, sample)
    size = sum(f.stat().st_size for f in (path, model_dir / RECHECK_FILE) if f.is_file()) / 1e6
    return ExportResult(path, read_meta(model_dir)["version"], size, rate, len(sample))
