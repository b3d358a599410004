"""Give an exported model (ONNX of a PyTorch run whose weights are not at hand) the outputs that round 2
added: `embedding` (the pooled features the final Gemm reads: logits = embedding · Wᵀ + b, unchanged),
head.json (W, b), and the manifest fields (embeddingOutputName, embeddingSize, head, temperature,
calibration). The logits are bit-for-bit those of the input model; only the file (and so its sha256) changes.

Usage: /usr/bin/python3 models/training/add_embedding_output.py --model-dir models [--calibration results/cv_<cand>_logits.npz] [--version 1.1.0]
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from calibrate import calibration_report  # noqa: E402
from export import sha256  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--calibration", default=None)
    ap.add_argument("--version", default=None)
    a = ap.parse_args()
    man_path = os.path.join(a.model_dir, "model.json")
    man = json.load(open(man_path))
    path = os.path.join(a.model_dir, man["file"])
    m = onnx.load(path)
    outputs = [o.name for o in m.graph.output]
    gemm = [n for n in m.graph.node if n.op_type == "Gemm" and man["outputName"] in n.output]
    if len(gemm) != 1:
        sys.exit(f"{path}: no single Gemm producing {man['outputName']}")
    gemm = gemm[0]
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    w, b = inits[gemm.input[1]], inits[gemm.input[2]]
    if not any(at.name == "transB" and at.i == 1 for at in gemm.attribute):
        w = w.T
    if "embedding" not in outputs:
        m.graph.node.append(helper.make_node("Identity", [gemm.input[0]], ["embedding"], name="embedding_output"))
        m.graph.output.append(helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", int(w.shape[1])]))
        onnx.checker.check_model(m, full_check=True)
        onnx.save(m, path)
    json.dump({"weights": w.astype(float).round(7).tolist(), "bias": b.astype(float).round(7).tolist()},
              open(os.path.join(a.model_dir, "head.json"), "w"))
    man.update({"embeddingOutputName": "embedding", "embeddingSize": int(w.shape[1]), "head": "head.json",
                "sha256": sha256(path)})
    if a.version:
        man["version"] = a.version
    if a.calibration:
        z = np.load(a.calibration)
        cal = calibration_report(z["logits"], z["labels"])
        man["temperature"] = cal["temperature"]
        man["calibration"] = {**cal, "on": f"source-held-out CV logits of the recipe ({os.path.basename(a.calibration)})"}
    json.dump(man, open(man_path, "w"), indent=2)
    print(json.dumps({k: man[k] for k in ("version", "sha256", "embeddingSize", "temperature") if k in man}))


if __name__ == "__main__":
    main()
