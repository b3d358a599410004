"""Site adaptation with the site's own unlabelled images (issue 11): does an adapter that also sees the
embeddings of the site's other, uncorrected images cut more errors than the corrections alone?
A site has them: the viewer's results cache and the archive labelling job keep every classified
image's embedding. Raw (undecoded) accuracy, sites and 8 seeded pairs of corrected subjects as in
adaptation_errors.py. A method exploration, not the adapter (engine/adapt/fitHead.ts is).

Pools of unlabelled images (--pool):
  cross  the site's scored subjects split in two halves; each half is scored with an adapter whose
         unlabelled pool is the other half (no scored image is in its own adapter's pool)
  trans  every uncorrected image of the site, scored ones included (the archive-labelling case)

Variants (--variant):
  lwf    the engine's default adapter (corrections + replay against the base head's probabilities)
  em0    no corrections: the base head with the site's priors re-estimated on the pool (label-free)
  em     lwf, then the site's class priors re-estimated on the pool by EM (Saerens et al.), smoothed
         towards uniform by --prior-count pseudo-images, applied to the scored images
  self   lwf, then pseudo-labels of the pool images the adapted head gives ≥ --tau, added to the fit with
         weight --pseudo-weight, refitted --rounds times
  prop   lwf's probabilities spread over a cosine k-nearest-neighbour graph of the corrections and the
         pool (label propagation, Zhou et al.; corrections clamped), blended with weight --alpha

Usage: /usr/bin/python3 models/training/adaptation_unlabelled.py --dumps DUMPS --twins TWINS --folds 0,2,3,4 --variant em --pool cross
"""
import argparse
import numpy as np

from adaptation_errors import corrected_pair, fit, fold_arrays, held_out_sites


def softmax(z):
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def em_priors(p, count):
    """EM re-estimation of class priors on posteriors p (base prior uniform), smoothed by `count` uniform pseudo-images."""
    c = p.shape[1]
    pi = np.full(c, 1.0 / c)
    for _ in range(50):
        q = p * (pi * c)
        q /= q.sum(1, keepdims=True)
        new = (q.sum(0) + count / c) / (len(p) + count)
        if np.abs(new - pi).max() < 1e-6:
            break
        pi = new
    return pi


def propagate(Y_lab, P_pool, X_lab, X_pool, k, alpha, iters=30):
    """Label propagation over the union of corrections (clamped to their labels) and pool; returns the
    pool's propagated distributions blended with their own probabilities."""
    X = np.concatenate([X_lab, X_pool])
    Xn = X / (np.linalg.norm(X, axis=1, keepdims=True) + 1e-8)
    S = Xn @ Xn.T
    np.fill_diagonal(S, -np.inf)
    n = len(X)
    k = min(k, n - 1)  # tiny sites have fewer images than neighbours asked for
    idx = np.argsort(-S, 1)[:, :k]
    A = np.zeros((n, n), np.float32)
    rows = np.repeat(np.arange(n), k)
    A[rows, idx.ravel()] = np.maximum(S[rows, idx.ravel()], 0)
    A = np.maximum(A, A.T)
    d = A.sum(1)
    d[d == 0] = 1
    Dm = 1 / np.sqrt(d)
    Sn = A * Dm[:, None] * Dm[None, :]
    Y0 = np.concatenate([np.eye(P_pool.shape[1])[Y_lab], P_pool])
    F = Y0.copy()
    for _ in range(iters):
        F = 0.8 * (Sn @ F) + 0.2 * Y0
        F[: len(X_lab)] = np.eye(P_pool.shape[1])[Y_lab]
    F = F[len(X_lab):]
    F /= F.sum(1, keepdims=True) + 1e-12
    return (1 - alpha) * P_pool + alpha * F


def adapted_predictions(a, E, y, fm, pool, score, rep, W0, b0, head=None):
    """Predictions on `score` images of one site, given corrected images `fm` and the unlabelled `pool`."""
    if a.variant == "em0":
        pi = em_priors(softmax(E[pool] @ W0.T + b0), a.prior_count)
        return (softmax(E[score] @ W0.T + b0) * pi).argmax(1)
    W, b = head if head is not None else fit(E[fm], y[fm], rep, W0, b0)
    if a.variant == "lwf":
        return (E[score] @ W.T + b).argmax(1)
    if a.variant == "em":
        pi = em_priors(softmax(E[pool] @ W.T + b), a.prior_count)
        return (softmax(E[score] @ W.T + b) * pi).argmax(1)
    if a.variant == "self":
        for _ in range(a.rounds):
            P = softmax(E[pool] @ W.T + b)
            sure = P.max(1) >= a.tau
            Xf = np.concatenate([E[fm], E[pool][sure]])
            yf = np.concatenate([y[fm], P.argmax(1)[sure]])
            wts = np.concatenate([np.ones(fm.sum()), np.full(sure.sum(), a.pseudo_weight)])
            W, b = fit(Xf, yf, rep, W0, b0, sample_weight=wts)
        return (E[score] @ W.T + b).argmax(1)
    if a.variant == "prop":
        # the scored images must be in the graph: score ⊆ pool for 'trans'; for 'cross' add them unlabelled
        nodes = pool | score
        P = softmax(E[nodes] @ W.T + b)
        F = propagate(y[fm], P, E[fm], E[nodes], a.k, a.alpha)
        return F[score[nodes]].argmax(1)
    raise ValueError(a.variant)


def main(a):
    tot = []
    for fold in [int(f) for f in a.folds.split(",")]:
        f = fold_arrays(a.dumps, a.twins, fold)
        E, y, site, subj, W0, b0, rep = f.E, f.y, f.site, f.subj, f.W0, f.b0, f.rep
        pred0 = (E @ W0.T + b0).argmax(1)
        for s, k, subs in held_out_sites(f):
            res = []
            for seed in range(8):
                rnd, pick, fm, score = corrected_pair(f, k, subs, seed)
                rest = [x for x in subs if x not in pick]
                pred = pred0.copy()
                if a.pool == "trans":
                    pred[score] = adapted_predictions(a, E, y, fm, k & ~fm, score, rep, W0, b0)
                else:
                    rnd.shuffle(rest)
                    halves = [rest[::2], rest[1::2]]
                    for h in range(2):
                        sc = score & np.isin(subj, halves[h])
                        pool = k & ~fm & np.isin(subj, halves[1 - h])
                        if sc.any():
                            pred[sc] = adapted_predictions(a, E, y, fm, pool, sc, rep, W0, b0)
                others = 0.0
                if a.others:
                    # every other site labelled with this site's adapter, each with its own images as its pool
                    head = fit(E[fm], y[fm], rep, W0, b0) if a.variant != "em0" else None
                    po = pred0.copy()
                    for o in sorted(set(site)):
                        if o == s:
                            continue
                        ko = site == o
                        po[ko] = adapted_predictions(a, E, y, fm, ko, ko, rep, W0, b0, head=head)
                    others = (po == y)[~k].mean() - (pred0 == y)[~k].mean()
                e0 = ((pred0 != y) & score).sum()
                e1 = ((pred != y) & score).sum()
                res.append(dict(before=(pred0 == y)[score].mean(), after=(pred == y)[score].mean(),
                                cut=1 - e1 / e0 if e0 else np.nan, others=others))
            r = {key: float(np.nanmean([x[key] for x in res])) for key in res[0]}
            tot.append((fold, s, r))
            print(f"f{fold} {s[:40]:40s} n={score.sum():4d} {r['before']:.2f}->{r['after']:.2f} cut {r['cut']:+.2f} others {r['others']:+.3f}", flush=True)
    cuts = [r["cut"] for _, _, r in tot if not np.isnan(r["cut"])]
    print(f"{a.variant}/{a.pool}: mean cut {np.mean(cuts):.3f} over {len(cuts)} sites (min {min(cuts):+.2f}); others {np.mean([r['others'] for _, _, r in tot]):+.4f} (min {min(r['others'] for _, _, r in tot):+.4f})")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--dumps", required=True)
    ap.add_argument("--twins", required=True)
    ap.add_argument("--folds", default="0,2,3,4")
    ap.add_argument("--variant", choices=["lwf", "em", "em0", "self", "prop"], default="lwf")
    ap.add_argument("--pool", choices=["cross", "trans"], default="cross")
    ap.add_argument("--prior-count", type=float, default=20.0)
    ap.add_argument("--tau", type=float, default=0.9)
    ap.add_argument("--pseudo-weight", type=float, default=0.5)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--others", action="store_true", help="also score every other site with this site's adapter")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--alpha", type=float, default=0.5)
    main(ap.parse_args())
