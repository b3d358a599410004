/**
 * The site adapter's fit: multinomial logistic regression of a linear head on embeddings, pulled
 * towards the shipped head (an L2 penalty on the difference), minimised with L-BFGS.
 *
 *   loss = Σ_groups weight_g · mean_{i∈g} CE(softmax(W x_i + b), y_i) + λ/2 (‖W − W₀‖² + ‖b − b₀‖²)
 *
 * A group may give soft targets (a probability row per image) instead of labels: the cross-entropy is
 * then against those rows, e.g. the base head's own probabilities on the replay set, which keeps the
 * head where no correction asks it to move (learning without forgetting).
 *
 * Groups are the corrected images and the replay set (same weight by default: issue 11's first
 * measurement). Strongly convex, so L-BFGS from W₀ converges in a few dozen steps.
 */
import type { LinearHead } from '../infer/manifest';

export interface TrainingGroup {
  /** Row-major [count × dim]. */
  embeddings: Float32Array;
  labels: Int32Array | number[];
  count: number;
  /** Weight of this group's mean cross-entropy. */
  weight: number;
  /** Soft targets, row-major [count × classes]; when given, `labels` are not used. */
  targets?: Float32Array;
}

export interface FitOptions {
  /** L2 pull towards the base head (with mean losses; issue 11: λ ≈ 1). */
  lambda: number;
  /** Only these classes' rows (weights and bias) move; the others stay the base head's. Default: all. */
  freeClasses?: ReadonlySet<number> | null;
  maxIterations?: number;
  /** Stop when the gradient's max-norm falls below this. */
  tolerance?: number;
}

export interface FitResult {
  head: LinearHead;
  iterations: number;
  /** Loss-and-gradient evaluations (the cost: each is one pass over every row). */
  evaluations: number;
  loss: number;
  /** Loss at the base head, for comparison. */
  initialLoss: number;
}

/** logits = W x + b for every row of X. */
export function headLogits(
  head: LinearHead,
  embeddings: Float32Array,
  count: number,
  out = new Float32Array(count * head.classes),
): Float32Array {
  const { classes: k, dim: d, weights: W, bias } = head;
  for (let i = 0; i < count; i++) {
    const xo = i * d;
    for (let j = 0; j < k; j++) {
      let z = bias[j];
      const wo = j * d;
      for (let t = 0; t < d; t++) z += W[wo + t] * embeddings[xo + t];
      out[i * k + j] = z;
    }
  }
  return out;
}

/**
 * All groups in one monomorphic layout: rows, target rows (one-hot for labelled groups) and per-row
 * weights (the group's weight / its size).
 */
interface Packed {
  X: Float32Array;
  T: Float32Array;
  w: Float64Array;
  n: number;
}

function pack(groups: TrainingGroup[], dim: number, classes: number): Packed {
  const used = groups.filter((g) => g.count > 0 && g.weight > 0);
  const n = used.reduce((a, g) => a + g.count, 0);
  const packed: Packed = { X: new Float32Array(n * dim), T: new Float32Array(n * classes), w: new Float64Array(n), n };
  let o = 0;
  for (const g of used) {
    packed.X.set(g.embeddings.subarray(0, g.count * dim), o * dim);
    if (g.targets) packed.T.set(g.targets.subarray(0, g.count * classes), o * classes);
    for (let i = 0; i < g.count; i++) {
      if (!g.targets) packed.T[(o + i) * classes + g.labels[i]] = 1;
      packed.w[o + i] = g.weight / g.count;
    }
    o += g.count;
  }
  return packed;
}

/** Loss and gradient at θ = [W (k·d), b (k)]. */
function lossAndGradient(
  theta: Float64Array,
  base: LinearHead,
  data: Packed,
  lambda: number,
  mask: Float64Array | null,
  grad: Float64Array,
): number {
  const { classes: k, dim: d } = base;
  const nW = k * d;
  const { X, T, w, n } = data;
  grad.fill(0);
  let loss = 0;
  const z = new Float64Array(k);
  const x = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const xo = i * d;
    for (let t = 0; t < d; t++) x[t] = X[xo + t];
    let max = -Infinity;
    for (let j = 0; j < k; j++) {
      // Four partial sums: independent adds pipeline better than one long chain.
      let s0 = theta[nW + j];
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      const wo = j * d;
      let t = 0;
      for (; t + 3 < d; t += 4) {
        s0 += theta[wo + t] * x[t];
        s1 += theta[wo + t + 1] * x[t + 1];
        s2 += theta[wo + t + 2] * x[t + 2];
        s3 += theta[wo + t + 3] * x[t + 3];
      }
      for (; t < d; t++) s0 += theta[wo + t] * x[t];
      const s = s0 + s1 + s2 + s3;
      z[j] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let j = 0; j < k; j++) sum += z[j] = Math.exp(z[j] - max);
    const to = i * k;
    const scale = w[i];
    for (let j = 0; j < k; j++) if (T[to + j] > 0) loss -= scale * T[to + j] * Math.log(Math.max(z[j] / sum, 1e-300));
    for (let j = 0; j < k; j++) {
      const delta = scale * (z[j] / sum - T[to + j]);
      const wo = j * d;
      for (let t = 0; t < d; t++) grad[wo + t] += delta * x[t];
      grad[nW + j] += delta;
    }
  }
  for (let j = 0; j < k; j++) {
    for (let t = 0; t < d; t++) {
      const diff = theta[j * d + t] - base.weights[j * d + t];
      loss += 0.5 * lambda * diff * diff;
      grad[j * d + t] += lambda * diff;
    }
    const diff = theta[nW + j] - base.bias[j];
    loss += 0.5 * lambda * diff * diff;
    grad[nW + j] += lambda * diff;
  }
  if (mask) for (let i = 0; i < grad.length; i++) grad[i] *= mask[i];
  return loss;
}

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** Fits the head; the base head is the starting point and the anchor. */
export function fitHead(base: LinearHead, groups: TrainingGroup[], options: FitOptions): FitResult {
  const { classes: k, dim: d } = base;
  const n = k * d + k;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-4;
  let mask: Float64Array | null = null;
  if (options.freeClasses) {
    mask = new Float64Array(n);
    for (const j of options.freeClasses) {
      mask.fill(1, j * d, (j + 1) * d);
      mask[k * d + j] = 1;
    }
  }
  const theta = new Float64Array(n);
  theta.set(base.weights);
  theta.set(base.bias, k * d);
  const data = pack(groups, d, k);
  let grad = new Float64Array(n);
  let evaluations = 1;
  let loss = lossAndGradient(theta, base, data, options.lambda, mask, grad);
  // Curvature bound of the mean cross-entropies: ½ Σ weight·‖x‖² (softmax Hessian ≤ ½ I per row), plus λ.
  let curvature = options.lambda;
  for (let i = 0; i < data.n; i++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += data.X[i * d + t] ** 2;
    curvature += 0.5 * data.w[i] * s;
  }
  const initialLoss = loss;

  // L-BFGS, memory 8, backtracking (Armijo) line search.
  const memory = 8;
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const direction = new Float64Array(n);
  const alpha = new Array<number>(memory);
  const next = new Float64Array(n);
  let nextGrad = new Float64Array(n);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    let gmax = 0;
    for (let i = 0; i < n; i++) gmax = Math.max(gmax, Math.abs(grad[i]));
    if (gmax < tolerance) break;
    // Two-loop recursion: direction = −H·grad.
    direction.set(grad);
    for (let m = S.length - 1; m >= 0; m--) {
      alpha[m] = rho[m] * dot(S[m], direction);
      for (let i = 0; i < n; i++) direction[i] -= alpha[m] * Y[m][i];
    }
    // Initial Hessian scale; before any curvature pair, 1 / (curvature bound) makes step 1 safe.
    const gamma = S.length ? dot(S[S.length - 1], Y[Y.length - 1]) / dot(Y[Y.length - 1], Y[Y.length - 1]) : 1 / curvature;
    for (let i = 0; i < n; i++) direction[i] *= gamma;
    for (let m = 0; m < S.length; m++) {
      const beta = rho[m] * dot(Y[m], direction);
      for (let i = 0; i < n; i++) direction[i] += S[m][i] * (alpha[m] - beta);
    }
    for (let i = 0; i < n; i++) direction[i] = -direction[i];
    let slope = dot(grad, direction);
    if (slope >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < n; i++) direction[i] = -grad[i] * gamma;
      slope = dot(grad, direction);
    }
    let step = 1;
    let nextLoss = Infinity;
    for (let tries = 0; tries < 30; tries++) {
      for (let i = 0; i < n; i++) next[i] = theta[i] + step * direction[i];
      nextLoss = lossAndGradient(next, base, data, options.lambda, mask, nextGrad);
      evaluations++;
      if (nextLoss <= loss + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(nextLoss < loss)) break;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = next[i] - theta[i];
      y[i] = nextGrad[i] - grad[i];
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
      if (S.length > memory) {
        S.shift();
        Y.shift();
        rho.shift();
      }
    }
    const converged = loss - nextLoss < 1e-5 * Math.max(1, Math.abs(loss));
    theta.set(next);
    [grad, nextGrad] = [nextGrad, grad];
    loss = nextLoss;
    if (converged) {
      iterations++;
      break;
    }
  }
  return {
    head: { classes: k, dim: d, weights: Float32Array.from(theta.subarray(0, k * d)), bias: Float32Array.from(theta.subarray(k * d)) },
    iterations,
    evaluations,
    loss,
    initialLoss,
  };
}
