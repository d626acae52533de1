"""SmoothQuant on the graph: exact in fp32, one shared rescaling per input, and what shrinks the int8 error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from models.export import quantize_model
from models.outlier_split import channel_peaks
from models.smoothing import SMOOTH_SUFFIX, smooth_activations
from tests.models.tiny_graphs import MATMUL, SECOND, batches, graph, run


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(11)


def test_smoothed_graph_is_exact_in_fp32_with_one_rescaling_per_input(rng) -> None:
    model = graph(rng, second_reader=True)
    sample = batches(rng)
    reference = [(run(model, *b), run(model, *b, output="z")) for b in sample]
    assert smooth_activations(model, channel_peaks(model, sample)) == sorted([MATMUL, SECOND])
    onnx.checker.check_model(model)
    muls = [n for n in model.graph.node if n.op_type == "Mul"]
    assert len(muls) == 1 and muls[0].name.endswith(SMOOTH_SUFFIX)  # both readers share the rescaled tensor
    for (ids, mask), (y, z) in zip(sample, reference, strict=True):
        np.testing.assert_allclose(run(model, ids, mask), y, rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(run(model, ids, mask, output="z"), z, rtol=1e-4, atol=1e-3)


def test_skipped_matmuls_are_left_alone(rng) -> None:
    model = graph(rng, second_reader=True)
    peaks = channel_peaks(model, batches(rng))
    assert smooth_activations(model, peaks, skip=lambda name: name == SECOND) == [MATMUL]
    second = next(n for n in model.graph.node if n.name == SECOND)
    assert second.input[0] == "x"  # still reads the raw activations
    assert smooth_activations(graph(rng), {}) == []


def _int8_errors(model: onnx.ModelProto, calibration, ids, mask, tmp_path: Path) -> tuple[float, float]:
    """Mean int8 error relative to the fp32 output on (ids, mask): plain int8, then smoothed on ``calibration``."""
    original = onnx.ModelProto()
    original.CopyFrom(model)
    want = run(original, ids, mask)
    plain = quantize_model(original, tmp_path / "plain.onnx")
    smooth_activations(model, channel_peaks(model, calibration))
    smoothed = quantize_model(model, tmp_path / "smoothed.onnx")

    def error(path: Path) -> float:
        return float(np.abs(run(path, ids, mask) - want).mean() / np.abs(want).mean())

    return error(plain), error(smoothed)


def test_smoothing_shrinks_the_int8_error_of_an_outlier_channel(rng, tmp_path: Path) -> None:
    model = graph(rng, pad_spike=False)
    sample = batches(rng)
    plain, smoothed = _int8_errors(model, sample, *sample[0], tmp_path)
    assert smoothed < plain / 2


def test_a_channel_silent_during_calibration_does_not_blow_up_int8(rng, tmp_path: Path) -> None:
    model = graph(rng, pad_spike=False)
    constant = model.graph.node[0].attribute[0].t  # the embedding table
    table = numpy_helper.to_array(constant).copy()
    silent = 2
    table[1:25, silent] = 0  # zero on every token the calibration sees, ordinary on the others
    constant.CopyFrom(numpy_helper.from_array(table))
    calibration = [(np.where(mask > 0, ids % 24 + 1, 0), mask) for ids, mask in batches(rng)]
    ids, mask = batches(rng, n=1)[0]
    ids = np.where(mask > 0, ids % 25 + 25, 0)  # tokens 25..49: the silent channel speaks
    plain, smoothed = _int8_errors(model, calibration, ids, mask, tmp_path)
    assert smoothed < plain
