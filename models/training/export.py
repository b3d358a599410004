"""Export a trained PyTorch classifier: ONNX (input "input" [N,3,S,S] float32, outputs "logits" [N,20] and
"embedding" [N,256], the pooled features the linear head reads), the manifest model.json, the head's
weights (head.json, for site adaptation), and the PyTorch reference outputs (golden/model-outputs.json)
that the TypeScript tests compare onnxruntime-web against."""
from __future__ import annotations

import base64
import hashlib
import json
import os

import numpy as np
import onnx
import torch

MODEL_FILE = "body-region.onnx"


class WithEmbedding(torch.nn.Module):
    """The classifier with its pooled features as a second output (logits = embedding · Wᵀ + b)."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        emb = torch.flatten(self.model.pool(self.model.features(x)), 1)
        return self.model.head(emb), emb


def head_of(model: torch.nn.Module) -> torch.nn.Linear:
    return [m for m in model.head if isinstance(m, torch.nn.Linear)][-1]


def export_onnx(model: torch.nn.Module, size: int, path: str) -> None:
    model = model.cpu().float().eval()
    dummy = torch.zeros(1, 3, size, size)
    torch.onnx.export(WithEmbedding(model), dummy, path, input_names=["input"], output_names=["logits", "embedding"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}, "embedding": {0: "N"}}, opset_version=13,
                      do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    ins = m.graph.input[0].type.tensor_type.shape.dim
    outs = m.graph.output[0].type.tensor_type.shape.dim
    assert m.graph.input[0].name == "input" and [d.dim_value for d in ins][1:] == [3, size, size]
    assert m.graph.output[0].name == "logits" and outs[1].dim_value == 20
    assert m.graph.output[1].name == "embedding" and m.graph.output[1].type.tensor_type.shape.dim[1].dim_value == head_of(model).in_features


def write_head(model: torch.nn.Module, out_dir: str) -> None:
    lin = head_of(model)
    json.dump({"weights": lin.weight.detach().numpy().astype(float).round(7).tolist(),
               "bias": lin.bias.detach().numpy().astype(float).round(7).tolist()},
              open(os.path.join(out_dir, "head.json"), "w"))


def sha256(path: str) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def write_manifest(out_dir: str, model_id: str, version: str, size: int, extra: dict | None = None,
                   preprocessing: str = "br-pre-2", embedding_size: int = 256) -> dict:
    man = {"modelId": model_id, "version": version, "file": MODEL_FILE, "inputSize": size,
           "preprocessing": preprocessing, "inputName": "input", "outputName": "logits",
           "embeddingOutputName": "embedding", "embeddingSize": embedding_size, "head": "head.json",
           "temperature": 1.0, "labels": "labels.json", "numClasses": 20,
           "sha256": sha256(os.path.join(out_dir, MODEL_FILE))}
    if extra:
        man.update(extra)
    json.dump(man, open(os.path.join(out_dir, "model.json"), "w"), indent=2)
    return man


def b64f32(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode()


def write_model_outputs(model: torch.nn.Module, inputs: np.ndarray, path: str) -> None:
    """inputs: float32 [count, 3, S, S] preprocessed images; logits from PyTorch in float32."""
    model = model.cpu().float().eval()
    with torch.no_grad():
        logits, emb = WithEmbedding(model)(torch.from_numpy(inputs.astype(np.float32)))
    json.dump({"size": int(inputs.shape[-1]), "count": int(inputs.shape[0]), "input": b64f32(inputs),
               "logits": b64f32(logits.numpy()), "embedding": b64f32(emb.numpy()), "embeddingSize": int(emb.shape[1])},
              open(path, "w"))


def export_all(model: torch.nn.Module, size: int, out_dir: str, model_id: str, version: str,
               golden_inputs: np.ndarray | None = None, golden_path: str | None = None,
               extra: dict | None = None, preprocessing: str = "br-pre-2") -> dict:
    os.makedirs(out_dir, exist_ok=True)
    export_onnx(model, size, os.path.join(out_dir, MODEL_FILE))
    write_head(model, out_dir)
    man = write_manifest(out_dir, model_id, version, size, extra, preprocessing, head_of(model).in_features)
    if golden_inputs is not None and golden_path:
        os.makedirs(os.path.dirname(golden_path), exist_ok=True)
        write_model_outputs(model, golden_inputs, golden_path)
    return man
