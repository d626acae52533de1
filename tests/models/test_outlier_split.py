"""Outlier-channel splitting before int8: exact in fp32, calibrated on real tokens only, and what rescues int8."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from models.export import quantize_int8
from models.outlier_split import OUTLIER_SUFFIX, channel_peaks, outlier_channels, split_outliers

VOCAB, WIDTH, OUT = 50, 16, 8
OUTLIER = 5  # the input channel every token carries at ~60x the others' size
PAD_SPIKE = 11  # a channel that is huge only on the padding token


def _graph(rng: np.random.Generator, *, pad_spike: bool = True) -> onnx.ModelProto:
    """ids -> embedding [b, s, 16] -> MatMul W [16, 8]: an encoder's weight MatMul in miniature."""
    table = rng.normal(0, 1, (VOCAB, WIDTH)).astype(np.float32)
    table[:, OUTLIER] *= 60
    table[0, :] = 0
    table[0, PAD_SPIKE] = 500 if pad_spike else 0  # id 0 is the padding token
    weight = rng.normal(0, 0.3, (WIDTH, OUT)).astype(np.float32)
    nodes = [  # the table as a Constant node, which the quantiser leaves in fp32: only the MatMul is at stake
        helper.make_node("Constant", [], ["table"], name="/embed/table", value=numpy_helper.from_array(table)),
        helper.make_node("Gather", ["table", "input_ids"], ["x"], name="/embed/Gather"),
        helper.make_node("MatMul", ["x", "weight"], ["y"], name="/layer/dense/MatMul"),
        helper.make_node("Identity", ["attention_mask"], ["mask_out"], name="/mask"),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["b", "s"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["b", "s"]),
        ],
        [
            helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", "s", OUT]),
            helper.make_tensor_value_info("mask_out", TensorProto.INT64, ["b", "s"]),
        ],
        [numpy_helper.from_array(weight, "weight")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def _batches(rng: np.random.Generator, n: int = 4) -> list[tuple[np.ndarray, np.ndarray]]:
    batches = []
    for _ in range(n):
        ids = rng.integers(1, VOCAB, (8, 12))
        mask = np.ones_like(ids)
        ids[:, 9:], mask[:, 9:] = 0, 0  # padding
        batches.append((ids.astype(np.int64), mask.astype(np.int64)))
    return batches


def _run(model: onnx.ModelProto | Path, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    source = model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model)
    session = ort.InferenceSession(source, providers=["CPUExecutionProvider"])
    return session.run(["y"], {"input_ids": ids, "attention_mask": mask})[0]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def test_peaks_cover_real_tokens_only(rng) -> None:
    peaks = channel_peaks(_graph(rng), _batches(rng))["/layer/dense/MatMul"]
    assert peaks.shape == (WIDTH,)
    assert peaks[PAD_SPIKE] < 10  # the padding token's 500 is not counted
    assert outlier_channels(peaks).tolist() == [OUTLIER]


def test_split_graph_is_exact_in_fp32(rng) -> None:
    model = _graph(rng)
    batches = _batches(rng)
    reference = [_run(model, *b) for b in batches]
    split = split_outliers(model, channel_peaks(model, batches))
    assert split == ["/layer/dense/MatMul" + OUTLIER_SUFFIX]
    onnx.checker.check_model(model)
    for (ids, mask), want in zip(batches, reference, strict=True):
        np.testing.assert_allclose(_run(model, ids, mask), want, rtol=1e-5, atol=1e-4)


def test_splitting_rescues_int8_from_an_outlier_channel(rng, tmp_path: Path) -> None:
    model = _graph(rng, pad_spike=False)  # a spike on padding would set the per-tensor scale for both variants
    batches = _batches(rng)
    peaks = channel_peaks(model, batches)
    onnx.save(model, str(tmp_path / "fp32.onnx"))
    plain = quantize_int8(tmp_path / "fp32.onnx", tmp_path / "plain.onnx")
    split = quantize_int8(tmp_path / "fp32.onnx", tmp_path / "split.onnx", outlier_peaks=peaks)
    kept = {n.name for n in onnx.load(str(split)).graph.node if n.op_type == "MatMul"}
    assert kept == {"/layer/dense/MatMul" + OUTLIER_SUFFIX}  # only the outlier MatMul stays fp32

    ids, mask = batches[0]
    want = _run(model, ids, mask)
    table = numpy_helper.to_array(model.graph.node[0].attribute[0].t)
    weight = numpy_helper.to_array(model.graph.initializer[0])
    inliers = want - table[ids][..., [OUTLIER]] @ weight[[OUTLIER]]  # what the other 15 channels contribute

    def error(path: Path) -> float:
        """Mean error of the int8 output relative to the size of the inlier channels' contribution."""
        return float(np.abs(_run(path, ids, mask) - want).mean() / np.abs(inliers).mean())

    assert error(split) < error(plain) / 4


def test_nothing_to_split_leaves_the_graph_alone(rng) -> None:
    model = _graph(rng)
    before = [n.name for n in model.graph.node]
    flat = {"/layer/dense/MatMul": np.ones(WIDTH, dtype=np.float32)}
    assert split_outliers(model, flat) == []
    assert [n.name for n in model.graph.node] == before


def test_no_real_tokens_measure_nothing_and_split_nothing(rng) -> None:
    model = _graph(rng)
    before = [n.name for n in model.graph.node]
    ids, mask = _batches(rng, n=1)[0]
    assert channel_peaks(model, []) == {}
    assert channel_peaks(model, [(ids, np.zeros_like(mask))]) == {}  # an all-padding batch is skipped, not a crash
    assert split_outliers(model, channel_peaks(model, [])) == []
    assert [n.name for n in model.graph.node] == before
