"""The replay set shipped with a model for site adaptation: embeddings of reference images from the
training data, balanced over classes and sources, so that an adapter fitted on a site's corrections
does not forget the rest of the body. Written as replay-embeddings.bin (float32 [count, dim]) and
replay-labels.json ({labels, sources})."""
from __future__ import annotations

import json
import os

import numpy as np
import torch

from export import WithEmbedding
from train_lib import Data, decode_batch, geometric_physical
from preprocess import channels_torch


def pick_balanced(d: Data, count: int, seed: int = 0) -> np.ndarray:
    """Round-robin over classes, within a class over sources, random slices: every class and source
    present, none dominating."""
    rng = np.random.RandomState(seed)
    lab = d.label.cpu().numpy()
    src = d.meta["source"]
    pools = {}
    for c in np.unique(lab):
        by_src = {s: list(rng.permutation(np.nonzero((lab == c) & (src == s))[0])) for s in np.unique(src[lab == c])}
        pools[c] = by_src
    out: list[int] = []
    while len(out) < count and any(any(v) for p in pools.values() for v in p.values()):
        for c, by_src in pools.items():
            for s in list(by_src):
                if by_src[s] and len(out) < count:
                    out.append(int(by_src[s].pop()))
    return np.array(sorted(out))


@torch.no_grad()
def embeddings(model: torch.nn.Module, d: Data, idx: np.ndarray, size: int, physical: bool, bs: int = 256) -> np.ndarray:
    wrapped = WithEmbedding(model.cpu().eval())
    out = []
    for i in range(0, len(idx), bs):
        pick = torch.from_numpy(idx[i:i + bs])
        x = decode_batch(d, pick)
        if physical:
            x = geometric_physical(x, d.label[pick], d.axial[pick], d.fov[pick], size, strong=False)
        out.append(wrapped(channels_torch(x, d.is_ct[pick]))[1].numpy())
    return np.concatenate(out).astype("<f4")


def write_replay(model: torch.nn.Module, d: Data, size: int, out_dir: str, count: int = 1500,
                 physical: bool = True) -> dict:
    idx = pick_balanced(d, count)
    emb = embeddings(model, d, idx, size, physical)
    emb.tofile(os.path.join(out_dir, "replay-embeddings.bin"))
    json.dump({"labels": d.label.cpu().numpy()[idx].tolist(), "sources": d.meta["source"][idx].tolist()},
              open(os.path.join(out_dir, "replay-labels.json"), "w"))
    return {"file": "replay-embeddings.bin", "labels": "replay-labels.json", "count": int(len(idx)), "dim": int(emb.shape[1])}
