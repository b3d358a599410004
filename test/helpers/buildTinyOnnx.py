"""Writes a tiny ONNX classifier with the engine's model interface, for plumbing tests only.

input  float32 [batch, 3, S, S]  ->  GlobalAveragePool -> Flatten -> embedding [batch, 3]
                                                              -> Gemm -> logits [batch, K]

The embedding output (the three channel means) follows the model contract: logits = embedding ·
weightᵀ + bias exactly, so head.json (written next to OUT.onnx) is the model's own head.

It claims nothing about anatomy: logits are a fixed linear function of the three channel means,
so tests can compute the expected softmax by hand.

With --nearest-centre SHARPNESS the weights are not random: logit_j = s (2 c_j m - c_j^2) with
m the mean of channel 0 and c_j = (j + 0.5) / K, so the most probable label is the one whose centre
c_j is nearest to m (for a uniform CT frame of v HU, m = (v + 1000) / 2000: label j at 100 j - 950 HU
when K = 20). Pipeline tests use it to make synthetic series whose "anatomy" they control.

usage: /usr/bin/python3 buildTinyOnnx.py OUT.onnx K [SEED] [--nearest-centre SHARPNESS]

Writes OUT.onnx and head.json ({weights, bias}) beside it. The committed
fixtures in test/fixtures/tiny-model/ were made with this script (see the README there).
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main() -> None:
    args = sys.argv[1:]
    sharpness = None
    if "--nearest-centre" in args:
        i = args.index("--nearest-centre")
        sharpness = float(args[i + 1])
        del args[i : i + 2]
    out, k = args[0], int(args[1])
    seed = int(args[2]) if len(args) > 2 else 0
    rng = np.random.default_rng(seed)
    weight = rng.normal(0, 3, (k, 3)).astype(np.float32)
    bias = rng.normal(0, 1, (k,)).astype(np.float32)
    if sharpness is not None:
        centres = (np.arange(k) + 0.5) / k
        weight = np.zeros((k, 3), np.float32)
        weight[:, 0] = 2 * sharpness * centres
        bias = (-sharpness * centres**2).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("GlobalAveragePool", ["input"], ["pooled"]),
            helper.make_node("Flatten", ["pooled"], ["embedding"], axis=1),
            helper.make_node("Gemm", ["embedding", "weight", "bias"], ["logits"], transB=1),
        ],
        "tiny_body_region",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, "S", "S"])],
        [
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", k]),
            helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", 3]),
        ],
        [numpy_helper.from_array(weight, "weight"), numpy_helper.from_array(bias, "bias")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, out)
    # The shipped head (model contract); tests also compute expected logits from it.
    with open(os.path.join(os.path.dirname(os.path.abspath(out)), "head.json"), "w") as f:
        json.dump({"weights": weight.tolist(), "bias": bias.tolist()}, f)


if __name__ == "__main__":
    main()
