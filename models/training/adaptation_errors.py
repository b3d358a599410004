"""Site adaptation outside the engine: where do the adapted head's errors lie, on classes the two corrected
subjects show or on classes they do not, and does a weaker pull on the shown classes help? Raw (undecoded)
accuracy, sites and choices of subjects as in simulateSites.ts (8 seeded pairs; Python's own RNG, so not
the engine's pairs). A method exploration, not the adapter (engine/adapt/fitHead.ts is).

Usage: node build/bench/test/bench/dumpSiteEmbeddings.js --data /tmp/cvd/fold2 --split test --model /work/twins-l1/fold2 > DUMPS/f2.jsonl
       /usr/bin/python3 models/training/adaptation_errors.py --dumps DUMPS --twins /work/twins-l1 --folds 0,2,3,4 --variant lwf|classlam|labels|mix|base
"""
import argparse
import json
import random
from types import SimpleNamespace

import numpy as np
import torch

torch.set_num_threads(1)


def load(dumps, twins, fold):
    rows = [json.loads(line) for line in open(f"{dumps}/f{fold}.jsonl")]
    m = f"{twins}/fold{fold}"
    head = json.load(open(f"{m}/head.json"))
    W0, b0 = np.array(head["weights"], np.float32), np.array(head["bias"], np.float32)
    labels = json.load(open(f"{m}/labels.json"))
    labels = labels["labels"] if isinstance(labels, dict) else labels
    rep = np.fromfile(f"{m}/replay-embeddings.bin", dtype="<f4").reshape(-1, 256)
    rep_labels = json.load(open(f"{m}/replay-labels.json"))["labels"]
    rep_y = np.array([lab if isinstance(lab, int) else labels.index(lab) for lab in rep_labels])
    return rows, W0, b0, labels, rep, rep_y


def fold_arrays(dumps, twins, fold):
    """One fold's dumped images as arrays, with its twin's head, replay set and held-out sources."""
    rows, W0, b0, labels, rep, rep_y = load(dumps, twins, fold)
    return SimpleNamespace(
        E=np.array([r["embedding"] for r in rows], np.float32),
        y=np.array([r["label"] if isinstance(r["label"], int) else labels.index(r["label"]) for r in rows]),
        site=np.array([f"{r['modality']}|{r['source']}" for r in rows]),
        subj=np.array([r["subject"] for r in rows]),
        ser=np.array([r["series"] for r in rows]),
        W0=W0, b0=b0, labels=labels, rep=rep, rep_y=rep_y,
        held_out=next(t["heldOutSources"] for t in json.load(open(f"{twins}/twins.json")) if t["fold"] == fold))


def held_out_sites(f):
    """(site, its images' mask, its subjects) for each held-out site with >= 3 series and > 2 subjects."""
    for s in sorted(set(f.site)):
        if s.split("|", 1)[1] not in f.held_out:
            continue  # a source this twin trained on (fold 0's folder also holds fold 1's series)
        k = f.site == s
        subs = sorted(set(f.subj[k]))
        if len(set(f.ser[k])) >= 3 and len(subs) > 2:
            yield s, k, subs


def corrected_pair(f, k, subs, seed):
    """Seeded choice of two subjects whose first series are corrected: (rng, subjects, corrected mask, scored mask)."""
    rnd = random.Random(seed)
    pick = rnd.sample(subs, 2)
    fit_ser = [sorted(set(f.ser[k & (f.subj == p)]))[0] for p in pick]
    return rnd, pick, np.isin(f.ser, fit_ser), k & ~np.isin(f.subj, pick)


def fit(X, y, R, W0, b0, lam=0.3, rho=10.0, class_lam=None, replay_labels=None, label_share=0.0, sample_weight=None):
    Xt, yt, Rt = map(torch.tensor, (X, y, R))
    wt = torch.ones(len(y)) if sample_weight is None else torch.tensor(sample_weight, dtype=torch.float32)
    W0t, b0t = torch.tensor(W0), torch.tensor(b0)
    with torch.no_grad():
        q = torch.softmax(Rt @ W0t.T + b0t, 1)
        if label_share:
            # replay targets between the base head's probabilities (0) and the labels (1)
            q = (1 - label_share) * q + label_share * torch.nn.functional.one_hot(torch.tensor(replay_labels), q.shape[1]).float()
    W = W0t.clone().requires_grad_(True)
    b = b0t.clone().requires_grad_(True)
    opt = torch.optim.LBFGS([W, b], max_iter=100, line_search_fn="strong_wolfe")
    lamv = torch.full((W0.shape[0], 1), lam) if class_lam is None else torch.tensor(class_lam, dtype=torch.float32)[:, None]

    def closure():
        opt.zero_grad()
        ce = (torch.nn.functional.cross_entropy(Xt @ W.T + b, yt, reduction="none") * wt).sum() / wt.sum()
        rl = -(q * torch.log_softmax(Rt @ W.T + b, 1)).sum(1).mean()
        reg = 0.5 * ((lamv * (W - W0t) ** 2).sum() + (lamv[:, 0] * (b - b0t) ** 2).sum())
        loss = ce + rho * rl + reg
        loss.backward()
        return loss

    opt.step(closure)
    return W.detach().numpy(), b.detach().numpy()


def main(dumps, twins, folds, variant):
    tot = []
    for fold in folds:
        f = fold_arrays(dumps, twins, fold)
        E, y, W0, b0, rep, rep_y = f.E, f.y, f.W0, f.b0, f.rep, f.rep_y
        pred0 = (E @ W0.T + b0).argmax(1)
        for s, k, subs in held_out_sites(f):
            res = []
            for seed in range(8):
                _, _, fm, score = corrected_pair(f, k, subs, seed)
                other = ~k
                if variant == "base":
                    W, b = W0, b0
                else:
                    cl = None
                    if variant == "classlam":
                        present = set(y[fm])
                        # the shown classes may move 10x more than the default pull, the others 10x less
                        cl = [0.03 if c in present else 3.0 for c in range(len(f.labels))]
                    share = {"labels": 1.0, "mix": 0.5}.get(variant, 0.0)
                    W, b = fit(E[fm], y[fm], rep, W0, b0, class_lam=cl, replay_labels=rep_y, label_share=share)
                pred = (E @ W.T + b).argmax(1)
                present = np.isin(y, list(set(y[fm])))
                e0 = (pred0 != y) & score
                e1 = (pred != y) & score
                res.append(dict(
                    before=(pred0 == y)[score].mean(), after=(pred == y)[score].mean(),
                    cut=1 - e1.sum() / max(e0.sum(), 1) if e0.sum() else np.nan,
                    err_present_before=(e0 & present).sum(), err_present_after=(e1 & present).sum(),
                    err_absent_before=(e0 & ~present).sum(), err_absent_after=(e1 & ~present).sum(),
                    others=(pred == y)[other].mean() - (pred0 == y)[other].mean()))
            r = {key: float(np.nanmean([x[key] for x in res])) for key in res[0]}
            tot.append((fold, s, r))
            print(f"f{fold} {s[:40]:40s} n={score.sum():4d} {r['before']:.2f}->{r['after']:.2f} cut {r['cut']:+.2f} "
                  f"errP {r['err_present_before']:.0f}->{r['err_present_after']:.0f} errA {r['err_absent_before']:.0f}->{r['err_absent_after']:.0f} others {r['others']:+.3f}")
    cuts = [r["cut"] for _, _, r in tot if not np.isnan(r["cut"])]
    t = {key: sum(r[key] for _, _, r in tot) for key in ("err_present_before", "err_present_after", "err_absent_before", "err_absent_after")}
    print(f"errors on classes the corrections show {t['err_present_before']:.0f} -> {t['err_present_after']:.0f}, "
          f"on classes they do not show {t['err_absent_before']:.0f} -> {t['err_absent_after']:.0f} (sum over sites, mean over choices)")
    print(f"{variant}: mean cut {np.mean(cuts):.3f} over {len(cuts)} sites; others {np.mean([r['others'] for _,_,r in tot]):+.4f} min {min(r['others'] for _,_,r in tot):+.4f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--dumps", required=True)
    ap.add_argument("--twins", required=True)
    ap.add_argument("--folds", default="0,2,3,4")
    ap.add_argument("--variant", choices=["base", "lwf", "classlam", "labels", "mix"], default="lwf")
    a = ap.parse_args()
    main(a.dumps, a.twins, [int(f) for f in a.folds.split(",")], a.variant)
