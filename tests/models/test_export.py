"""ONNX export: dynamic shapes, int8 agreement with torch, runtime selection."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from models.export import (
    FP32_FILE,
    INT8_FILE,
    RECHECK_FILE,
    SMOOTHED,
    agreement,
    export_info,
    export_onnx,
    export_variant,
    quantize_int8,
)
from models.predict import Classifier, decision_margin, onnx_runner

SAMPLE_WORDS = [
    "support",
    "team",
    "ticket",
    "chat",
    "refund",
    "cancel",
    "plan",
    "price",
    "charged",
    "twice",
    "account",
    "locked",
    "onboarding",
    "setup",
]


def _sample(eight) -> list[str]:
    """The training sentences plus 100 recombinations of their words (varied lengths, deterministic)."""
    rng = np.random.default_rng(0)
    texts = [ex.text for ex in eight]
    for _ in range(100):
        n = int(rng.integers(1, 12))
        texts.append(" ".join(rng.choice(SAMPLE_WORDS, size=n)))
    return texts


@pytest.fixture(scope="module")
def exported(tiny_model, tmp_path_factory: pytest.TempPathFactory) -> Path:
    model_dir = tmp_path_factory.mktemp("export") / tiny_model.version
    shutil.copytree(tiny_model.model_dir, model_dir)
    export_onnx(model_dir, keep_fp32=True)
    return model_dir


def test_fp32_onnx_reproduces_torch(exported: Path, eight) -> None:
    texts = _sample(eight)
    (exported / INT8_FILE).rename(exported / "hidden.onnx")  # make the loader take the fp32 file
    try:
        onnx = Classifier.load(exported, runtime="onnx").predict_proba(texts, batch_size=16)
    finally:
        (exported / "hidden.onnx").rename(exported / INT8_FILE)
    torch_ = Classifier.load(exported, runtime="torch").predict_proba(texts, batch_size=16)
    for head in ("service", "sentiment", "sharp_edge"):
        np.testing.assert_allclose(getattr(onnx, head), getattr(torch_, head), atol=1e-4)


def test_int8_decisions_agree_with_torch(exported: Path, eight) -> None:
    assert (exported / INT8_FILE).stat().st_size < (exported / FP32_FILE).stat().st_size
    assert agreement(exported, _sample(eight)) >= 0.99


def test_auto_runtime_prefers_onnx_on_cpu(exported: Path, tiny_model) -> None:
    assert Classifier.load(exported, device="cpu").runtime == "onnx"
    assert Classifier.load(tiny_model.model_dir, device="cpu").runtime == "torch"  # not exported


def test_export_without_quantisation_keeps_fp32(tiny_model, tmp_path: Path) -> None:
    model_dir = tmp_path / tiny_model.version
    shutil.copytree(tiny_model.model_dir, model_dir)
    assert export_onnx(model_dir, quantize=False) == model_dir / FP32_FILE
    assert not (model_dir / INT8_FILE).exists()
    assert not list(model_dir.glob(".*.tmp"))


def test_int8_that_disagrees_is_dropped_for_fp32(tiny_model, tmp_path: Path, eight) -> None:
    model_dir = tmp_path / tiny_model.version
    shutil.copytree(tiny_model.model_dir, model_dir)
    texts = _sample(eight)
    assert export_onnx(model_dir, check_texts=texts) == model_dir / INT8_FILE  # agrees: int8 kept, fp32 removed
    assert not (model_dir / FP32_FILE).exists()
    assert export_variant(model_dir) == SMOOTHED
    assert export_info(model_dir)["smoothed_matmuls"] == 2 * 5  # all but the two feed-forward outputs
    assert (model_dir / RECHECK_FILE).is_file()
    kept = export_onnx(model_dir, check_texts=texts, min_agreement=1.01)  # an impossible bar for every variant
    assert kept == model_dir / FP32_FILE and not (model_dir / INT8_FILE).exists()
    assert not (model_dir / RECHECK_FILE).exists()
    assert export_variant(model_dir) == "fp32"
    assert Classifier.load(model_dir, device="cpu").runtime == "onnx"  # fp32 ONNX still serves on CPU


def test_feed_forward_variant_leaves_those_matmuls_in_fp32(tiny_model, tmp_path: Path) -> None:
    import onnx

    model_dir = tmp_path / tiny_model.version
    shutil.copytree(tiny_model.model_dir, model_dir)
    fp32 = export_onnx(model_dir, quantize=False)

    def float_matmuls(path: Path) -> set[str]:
        graph = onnx.load(str(path)).graph
        weights = {init.name for init in graph.initializer}
        return {n.name for n in graph.node if n.op_type == "MatMul" and n.input[1] in weights}

    assert len(float_matmuls(fp32)) == 2 * 6  # two layers: q, k, v, attention out, intermediate, output
    full = float_matmuls(quantize_int8(fp32, tmp_path / "all.onnx"))
    kept = float_matmuls(quantize_int8(fp32, tmp_path / "ffn.onnx", fp32_feed_forward=True))
    assert full == set()
    assert len(kept) == 2 * 2 and all("/intermediate/" in n or "/attention/" not in n for n in kept)


def test_near_ties_are_scored_again_by_the_recheck_file(exported: Path, eight) -> None:
    texts = _sample(eight)
    margin = export_info(exported)["recheck_margin"]
    int8 = Classifier(exported, runner=onnx_runner(exported / INT8_FILE), runtime="onnx", device="cpu")
    again = Classifier(exported, runner=onnx_runner(exported / RECHECK_FILE), runtime="onnx", device="cpu")
    first, exact = int8.predict_proba(texts, batch_size=16), again.predict_proba(texts, batch_size=16)
    near = decision_margin(first, calibration=int8.calibration) < margin

    loaded = Classifier.load(exported, runtime="onnx")
    assert loaded.recheck_margin == margin > 0
    probs = loaded.predict_proba(texts, batch_size=16)
    assert loaded.rechecked == near.sum()
    for head in ("service", "sentiment", "sharp_edge"):
        want = np.where(near[:, None], getattr(exact, head), getattr(first, head))
        np.testing.assert_allclose(getattr(probs, head), want, atol=1e-6)

    everything = Classifier(exported, runner=onnx_runner(exported / INT8_FILE), runtime="onnx", device="cpu",
                            recheck=onnx_runner(exported / RECHECK_FILE), recheck_margin=1.01)  # fmt: skip
    np.testing.assert_allclose(everything.predict_proba(texts, batch_size=16).sentiment, exact.sentiment, atol=1e-6)
    assert everything.rechecked == len(texts)
    assert not np.allclose(first.sentiment, exact.sentiment, atol=1e-6)  # the two files do differ
