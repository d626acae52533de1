"""CPU speed vs fidelity of the ONNX variants of one trained model, against its fp32 ONNX file in the same run.

For each variant: sentences/s of the classifier (the same length-sorted, dynamically padded batches as the tagging
stage) and how often its decisions (service kinds, sentiment, sharp edge; all three, then each head) equal the torch
model's on the same sentences. ``vocmine export`` keeps an int8 file only when it agrees on >= 99 % of gold
sentences; this script shows where each variant sits on the speed / agreement frontier:

    python benchmarks/bench_quantization.py --model-dir .vocmine/models/<version> --sentences 1000 --threads 2

Variants: ``fp32`` (exact, the reference for speed); ``int8`` (ONNX Runtime dynamic quantisation of every weight
MatMul and the embedding table, per-channel weights, per-tensor activations); ``int8-outliers-fp32`` (the same after
splitting each MatMul's outlier input channels off into a small fp32 MatMul, calibrated on 256 gold sentences: what
``vocmine export`` tries first); ``int8-ffn-fp32`` (plain int8 with the feed-forward MatMuls left in fp32: the layers
whose inputs carry the outlier channels); ``int8-blockwise`` (8-bit weights with activations quantised per block of
32 values, ONNX Runtime's MatMulNBits at accuracy level 4; needs the ``onnx-ir`` package and is skipped without it);
``int8-smoothed`` (SmoothQuant on every MatMul but the feed-forward outputs, whose outlier channels are split off);
``int8-smoothed+recheck@M`` (the same, with the sentences within M of a decision boundary scored again by the
recheck file, the encoder in fp32: what ``vocmine export`` tries first, at its ``RECHECK_MARGIN``). ``rechecked`` is
the share of sentences scored twice.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def link_model(model_dir: Path, target: Path) -> Path:
    """A model directory sharing ``model_dir``'s files but none of its ONNX files."""
    target.mkdir(parents=True)
    for item in model_dir.iterdir():
        if item.suffix != ".onnx":
            (target / item.name).symlink_to(item.resolve())
    return target


def blockwise_int8(fp32: Path, target: Path) -> None:
    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    quantizer = MatMulNBitsQuantizer(onnx.load(str(fp32)), bits=8, block_size=32, is_symmetric=True, accuracy_level=4)
    quantizer.process()
    quantizer.model.save_model_to_file(str(target), use_external_data_format=False)


def measure(
    model_dir: Path,
    onnx_file: Path,
    sentences,
    reference,
    *,
    threads: int,
    batch_size: int,
    recheck: Path | None = None,
    margin: float = 0.0,
) -> dict:
    import numpy as np
    from bench_tagging import warm_up

    from models.predict import Classifier, onnx_runner

    again = onnx_runner(recheck, threads) if recheck else None
    classifier = Classifier(model_dir, runner=onnx_runner(onnx_file, threads), runtime="onnx", device="cpu",
                            recheck=again, recheck_margin=margin)  # fmt: skip
    warm_up(classifier, sentences, batch_size=batch_size)
    start = time.perf_counter()
    tags = classifier.predict(sentences, batch_size=batch_size)
    speed = len(sentences) / (time.perf_counter() - start)
    heads = ("service", "sentiment", "sharp_edge")
    pairs = list(zip(tags, reference, strict=True))
    same = {h: float(np.mean([getattr(a, h) == getattr(b, h) for a, b in pairs])) for h in heads}
    every = float(np.mean([all(getattr(a, h) == getattr(b, h) for h in heads) for a, b in pairs]))
    size = sum(f.stat().st_size for f in (onnx_file, recheck) if f) / 1e6
    return {"speed": speed, "all": every, **same, "mb": size, "rechecked": classifier.rechecked / len(sentences)}


def main() -> None:
    from bench_tagging import review_sentences

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", required=True, help="A trained vocmine model directory.")
    parser.add_argument("--sentences", type=int, default=1_000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="Threads for ONNX Runtime and torch.")
    parser.add_argument("--margins", default="", help="Recheck margins to try besides the export's, e.g. 0.05,0.12.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("root").setLevel(logging.ERROR)  # the quantiser's "consider pre-processing" advice

    import torch

    from models.export import RECHECK_MARGIN, calibrate, export_onnx, gold_samples, quantize_embeddings, quantize_int8
    from models.predict import Classifier

    torch.set_num_threads(args.threads)
    model_dir = Path(args.model_dir)
    sentences, source = review_sentences(args.sentences)
    print(f"model {model_dir.name}; {source}; {args.threads} threads; load average {os.getloadavg()[0]:.1f}")
    reference = Classifier.load(model_dir, runtime="torch", device="cpu").predict(sentences, batch_size=64)
    with tempfile.TemporaryDirectory(prefix="vocmine-quant-") as tmp:
        work = link_model(model_dir, Path(tmp) / "model")
        fp32 = export_onnx(work, quantize=False)
        variants = {"fp32": fp32}
        _, calibration = gold_samples(REPO / "data" / "gold", REPO / "configs" / "taxonomy.yaml")
        peaks = calibrate(work, calibration, onnx_file=fp32)  # the sentences vocmine export calibrates on
        for name, build in (
            ("int8", lambda t: quantize_int8(fp32, t)),
            ("int8-outliers-fp32", lambda t: quantize_int8(fp32, t, outlier_peaks=peaks)),
            ("int8-ffn-fp32", lambda t: quantize_int8(fp32, t, fp32_feed_forward=True)),
            ("int8-blockwise", lambda t: blockwise_int8(fp32, t)),
            ("int8-smoothed", lambda t: quantize_int8(fp32, t, outlier_peaks=peaks, smooth=True)),
        ):
            target = Path(tmp) / f"{name}.onnx"
            try:
                build(target)
            except ImportError as exc:
                print(f"{name}: skipped ({exc})")
                continue
            variants[name] = target
        runs = {name: (path, None, 0.0) for name, path in variants.items()}
        recheck = quantize_embeddings(fp32, Path(tmp) / "recheck.onnx")
        margins = [RECHECK_MARGIN] + [float(m) for m in args.margins.split(",") if m]
        runs |= {f"int8-smoothed+recheck@{m:g}": (variants["int8-smoothed"], recheck, m) for m in margins}
        results = {name: measure(work, path, sentences, reference, threads=args.threads, batch_size=args.batch_size,
                                 recheck=again, margin=m)
                   for name, (path, again, m) in runs.items()}  # fmt: skip
    base = results["fp32"]["speed"]
    print(f"{'variant':28s} {'sent/s':>8s} {'x fp32':>7s} {'agree all':>9s} {'service':>8s} {'sentiment':>9s} "
          f"{'sharp':>6s} {'rechecked':>9s} {'MB':>5s}")  # fmt: skip
    for name, r in results.items():
        print(f"{name:28s} {r['speed']:8.1f} {r['speed'] / base:7.2f} {r['all']:9.3f} {r['service']:8.3f} "
              f"{r['sentiment']:9.3f} {r['sharp_edge']:6.3f} {r['rechecked']:9.3f} {r['mb']:5.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
