"""Outlier-channel splitting before int8: exact in fp32, calibrated on real tokens only, and what rescues int8."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from models.export import quantize_int8
from models.outlier_split import OUTLIER_SUFFIX, channel_peaks, outlier_channels, split_outliers
from tests.models.tiny_graphs import MATMUL, OUTLIER, PAD_SPIKE, WIDTH, batches, graph, run


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def test_peaks_cover_real_tokens_only(rng) -> None:
    peaks = channel_peaks(graph(rng), batches(rng))[MATMUL]
    assert peaks.shape == (WIDTH,)
    assert peaks[PAD_SPIKE] < 10  # the padding token's 500 is not counted
    assert outlier_channels(peaks).tolist() == [OUTLIER]


def test_split_graph_is_exact_in_fp32(rng) -> None:
    model = graph(rng)
    sample = batches(rng)
    reference = [run(model, *b) for b in sample]
    split = split_outliers(model, channel_peaks(model, sample))
    assert split == [MATMUL + OUTLIER_SUFFIX]
    onnx.checker.check_model(model)
    for (ids, mask), want in zip(sample, reference, strict=True):
        np.testing.assert_allclose(run(model, ids, mask), want, rtol=1e-5, atol=1e-4)


def test_splitting_rescues_int8_from_an_outlier_channel(rng, tmp_path: Path) -> None:
    model = graph(rng, pad_spike=False)  # a spike on padding would set the per-tensor scale for both variants
    sample = batches(rng)
    peaks = channel_peaks(model, sample)
    onnx.save(model, str(tmp_path / "fp32.onnx"))
    plain = quantize_int8(tmp_path / "fp32.onnx", tmp_path / "plain.onnx")
    split = quantize_int8(tmp_path / "fp32.onnx", tmp_path / "split.onnx", outlier_peaks=peaks)
    kept = {n.name for n in onnx.load(str(split)).graph.node if n.op_type == "MatMul"}
    assert kept == {MATMUL + OUTLIER_SUFFIX}  # only the outlier MatMul stays fp32

    ids, mask = sample[0]
    want = run(model, ids, mask)
    table = numpy_helper.to_array(model.graph.node[0].attribute[0].t)
    weight = numpy_helper.to_array(model.graph.initializer[0])
    inliers = want - table[ids][..., [OUTLIER]] @ weight[[OUTLIER]]  # what the other 15 channels contribute

    def error(path: Path) -> float:
        """Mean error of the int8 output relative to the size of the inlier channels' contribution."""
        return float(np.abs(run(path, ids, mask) - want).mean() / np.abs(inliers).mean())

    assert error(split) < error(plain) / 4


def test_nothing_to_split_leaves_the_graph_alone(rng) -> None:
    model = graph(rng)
    before = [n.name for n in model.graph.node]
    flat = {MATMUL: np.ones(WIDTH, dtype=np.float32)}
    assert split_outliers(model, flat) == []
    assert [n.name for n in model.graph.node] == before


def test_no_real_tokens_measure_nothing_and_split_nothing(rng) -> None:
    model = graph(rng)
    before = [n.name for n in model.graph.node]
    ids, mask = batches(rng, n=1)[0]
    assert channel_peaks(model, []) == {}
    assert channel_peaks(model, [(ids, np.zeros_like(mask))]) == {}  # an all-padding batch is skipped, not a crash
    assert split_outliers(model, channel_peaks(model, [])) == []
    assert [n.name for n in model.graph.node] == before
