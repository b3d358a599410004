"""Adds the `embedding` output (the input of the final Gemm that makes the logits) to an exported
model folder, and writes its head.json: the model contract of site adaptation (docs/ADAPTATION.md)
for a model exported before it. Used to give the dev-held-out twin (models/holdout-dev) embeddings
for the site simulation.

usage: /usr/bin/python3 models/training/expose_embedding.py IN_DIR OUT_DIR
(OUT_DIR gets body-region.onnx, head.json, model.json and a copy of the labels file)
"""
import hashlib
import json
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def main() -> None:
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    manifest = json.load(open(os.path.join(src, "model.json")))
    model = onnx.load(os.path.join(src, manifest["file"]))
    graph = model.graph
    gemm = next(n for n in graph.node if manifest["outputName"] in n.output)
    if gemm.op_type != "Gemm":
        raise SystemExit(f"the logits come from {gemm.op_type}, not Gemm: cannot tell the head apart")
    attrs = {a.name: helper.get_attribute_value(a) for a in gemm.attribute}
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    weight = inits[gemm.input[1]]
    if not attrs.get("transB", 0):
        weight = weight.T
    weight = weight * attrs.get("alpha", 1.0)
    bias = inits[gemm.input[2]] * attrs.get("beta", 1.0)
    features = gemm.input[0]
    graph.node.append(helper.make_node("Identity", [features], ["embedding"]))
    graph.output.append(helper.make_tensor_value_info("embedding", onnx.TensorProto.FLOAT, ["batch", weight.shape[1]]))
    onnx.checker.check_model(model)
    onnx_path = os.path.join(out, manifest["file"])
    onnx.save(model, onnx_path)
    with open(os.path.join(out, "head.json"), "w") as f:
        json.dump({"weights": np.asarray(weight, np.float32).tolist(), "bias": np.asarray(bias, np.float32).tolist()}, f)
    labels = os.path.basename(manifest["labels"])
    shutil.copyfile(os.path.join(src, manifest["labels"]), os.path.join(out, labels))
    manifest.update(
        labels=labels,
        embeddingOutputName="embedding",
        embeddingSize=int(weight.shape[1]),
        head="head.json",
        sha256=hashlib.sha256(open(onnx_path, "rb").read()).hexdigest(),
    )
    manifest.setdefault("temperature", 1.0)
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(manifest, f, indent=2)


if __name__ == "__main__":
    main()
