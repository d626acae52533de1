"""A weight MatMul in miniature with a planted outlier input channel, for the int8 outlier-handling tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

VOCAB, WIDTH, OUT = 50, 16, 8
OUTLIER = 5  # the input channel every token carries at ~60x the others' size
PAD_SPIKE = 11  # a channel that is huge only on the padding token
MATMUL = "/layer/dense/MatMul"
SECOND = "/layer/second/MatMul"


def graph(rng: np.random.Generator, *, pad_spike: bool = True, second_reader: bool = False) -> onnx.ModelProto:
    """ids -> embedding [b, s, 16] -> MatMul W [16, 8] (output ``y``). With ``second_reader``, a second MatMul
    (output ``z``) reads the same activations, as key and value read the query's."""
    table = rng.normal(0, 1, (VOCAB, WIDTH)).astype(np.float32)
    table[:, OUTLIER] *= 60
    table[0, :] = 0
    table[0, PAD_SPIKE] = 500 if pad_spike else 0  # id 0 is the padding token
    weights = [numpy_helper.from_array(rng.normal(0, 0.3, (WIDTH, OUT)).astype(np.float32), "weight")]
    nodes = [  # the table as a Constant node, which the quantiser leaves in fp32: only the MatMuls are at stake
        helper.make_node("Constant", [], ["table"], name="/embed/table", value=numpy_helper.from_array(table)),
        helper.make_node("Gather", ["table", "input_ids"], ["x"], name="/embed/Gather"),
        helper.make_node("MatMul", ["x", "weight"], ["y"], name=MATMUL),
        helper.make_node("Identity", ["attention_mask"], ["mask_out"], name="/mask"),
    ]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", "s", OUT])]
    if second_reader:
        weights.append(numpy_helper.from_array(rng.normal(0, 2.0, (WIDTH, OUT)).astype(np.float32), "weight2"))
        nodes.append(helper.make_node("MatMul", ["x", "weight2"], ["z"], name=SECOND))
        outputs.append(helper.make_tensor_value_info("z", TensorProto.FLOAT, ["b", "s", OUT]))
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["b", "s"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["b", "s"]),
    ]
    outputs.append(helper.make_tensor_value_info("mask_out", TensorProto.INT64, ["b", "s"]))
    tiny = helper.make_graph(nodes, "tiny", inputs, outputs, weights)
    return helper.make_model(tiny, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def batches(rng: np.random.Generator, n: int = 4) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    for _ in range(n):
        ids = rng.integers(1, VOCAB, (8, 12))
        mask = np.ones_like(ids)
        ids[:, 9:], mask[:, 9:] = 0, 0  # padding
        out.append((ids.astype(np.int64), mask.astype(np.int64)))
    return out


def run(model: onnx.ModelProto | Path, ids: np.ndarray, mask: np.ndarray, output: str = "y") -> np.ndarray:
    source = model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model)
    session = ort.InferenceSession(source, providers=["CPUExecutionProvider"])
    return session.run([output], {"input_ids": ids, "attention_mask": mask})[0]
