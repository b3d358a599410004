"""Writes a tiny ONNX classifier with the engine's model interface, for plumbing tests only.

input  float32 [batch, 3, S, S]  ->  GlobalAveragePool -> Flatten -> Gemm -> logits [batch, K]

It claims nothing about anatomy: logits are a fixed linear function of the three channel means,
so tests can compute the expected softmax by hand.

usage: /usr/bin/python3 buildTinyOnnx.py OUT.onnx K [SEED]
"""
import json
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main() -> None:
    out, k = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    rng = np.random.default_rng(seed)
    weight = rng.normal(0, 3, (k, 3)).astype(np.float32)
    bias = rng.normal(0, 1, (k,)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("GlobalAveragePool", ["input"], ["pooled"]),
            helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
            helper.make_node("Gemm", ["flat", "weight", "bias"], ["logits"], transB=1),
        ],
        "tiny_body_region",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, "S", "S"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", k])],
        [numpy_helper.from_array(weight, "weight"), numpy_helper.from_array(bias, "bias")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, out)
    # The weights let the test compute expected logits itself.
    with open(out + ".params.json", "w") as f:
        json.dump({"weight": weight.tolist(), "bias": bias.tolist()}, f)


if __name__ == "__main__":
    main()
