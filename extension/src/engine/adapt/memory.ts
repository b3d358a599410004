/**
 * The adapter's site memory: the corrected embeddings themselves, and a site detector that says how
 * much an image looks like the corrected ones rather than the model's reference (replay) images.
 *
 *   g = weight · σ(w · x̂ + b)                 (x̂ = (x − c) / ‖x − c‖, c the replay set's mean; w, b fitted: corrections vs replay)
 *   p = (1 − g) · p_head + g · p_vote          (p_vote: the k most cosine-similar corrections' classes)
 *
 * Why: on source-held-out twins the embeddings of a new site's images cluster together, closer to
 * the site's corrections than to any reference image, even where the model's head reads them as
 * another region (docs/ADAPTATION.md); a re-fitted linear head, held back by the replay set, cannot
 * follow them there. The detector keeps the vote away from images that look like the reference set
 * (other sources, other anatomy), so they keep the head's answer. Centring on the replay mean first
 * makes directions tell regions apart (the features are mostly positive: uncentred, every pair of
 * images is similar), which kept other sources' losses lower on the twins.
 */
import { decodeEmbedding, encodeEmbedding, type EncodedEmbedding } from '../results/embeddingCodec';
import type { ReplaySet } from '../infer/manifest';
import { fitHead } from './fitHead';
import type { CorrectionSet } from './adapter';

export interface MemoryOptions {
  /** Corrections that vote per image. */
  k: number;
  /** Largest share of the vote (g at a detector output of 1). */
  weight: number;
}

/** `memory` of a `body-region-adapter/2` file. */
export interface MemoryFile {
  kind: 'cosine-knn';
  k: number;
  weight: number;
  /** Subtracted before scaling to unit length: the replay set's mean embedding. */
  centre: number[];
  /** Site detector on centred unit-length embeddings: logit = weights · x̂ + bias. */
  detector: { weights: number[]; bias: number };
  labels: number[];
  embeddings: EncodedEmbedding[];
}

export interface Memory {
  k: number;
  weight: number;
  detectorWeights: Float32Array;
  detectorBias: number;
  centre: Float32Array;
  labels: Int32Array;
  /** Centred unit-length rows [count × dim]. */
  rows: Float32Array;
  count: number;
  dim: number;
}

/**
 * Fewer corrected images than this: no memory (a detector fitted on a handful of images called a
 * third, unseen source "site-like" on the twins and cost it 1–3 points).
 */
export const MIN_MEMORY_IMAGES = 10;

/** L2 pull of the detector (on unit vectors; picked on the source-held-out twins with the other defaults). */
const DETECTOR_LAMBDA = 2e-3;

/** Rows minus `centre`, scaled to unit length (rows equal to the centre become zero). */
export function unitRows(values: Float32Array, count: number, dim: number, centre: ArrayLike<number>): Float32Array {
  const out = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    let s = 0;
    for (let t = 0; t < dim; t++) {
      const v = values[i * dim + t] - centre[t];
      out[i * dim + t] = v;
      s += v * v;
    }
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let t = 0; t < dim; t++) out[i * dim + t] *= inv;
  }
  return out;
}

export function memoryFrom(file: MemoryFile, dim: number): Memory {
  const count = file.labels.length;
  const raw = new Float32Array(count * dim);
  file.embeddings.forEach((e, i) => decodeEmbedding(e, raw, i * dim));
  const centre = Float32Array.from(file.centre);
  return {
    k: file.k,
    weight: file.weight,
    detectorWeights: Float32Array.from(file.detector.weights),
    detectorBias: file.detector.bias,
    centre,
    labels: Int32Array.from(file.labels),
    rows: unitRows(raw, count, dim, centre),
    count,
    dim,
  };
}

/**
 * The memory of `corrections`, its detector fitted (logistic regression, both sides weighted equally)
 * to tell them from the replay set. Without a replay set there is nothing to tell them from, and
 * with fewer than MIN_MEMORY_IMAGES corrected images too little to tell: null.
 */
export function buildMemory(corrections: CorrectionSet, replay: ReplaySet | null, options: MemoryOptions): MemoryFile | null {
  const { count, dim } = corrections;
  if (!replay || replay.count === 0 || count < MIN_MEMORY_IMAGES) return null;
  const centre = new Float64Array(dim);
  for (let r = 0; r < replay.count; r++) for (let t = 0; t < dim; t++) centre[t] += replay.embeddings[r * dim + t] / replay.count;
  const zeros = { classes: 2, dim, weights: new Float32Array(2 * dim), bias: new Float32Array(2) };
  const fit = fitHead(
    zeros,
    [
      { embeddings: unitRows(corrections.embeddings, count, dim, centre), labels: new Int32Array(count).fill(1), count, weight: 0.5 },
      {
        embeddings: unitRows(replay.embeddings, replay.count, dim, centre),
        labels: new Int32Array(replay.count),
        count: replay.count,
        weight: 0.5,
      },
    ],
    { lambda: DETECTOR_LAMBDA, maxIterations: 200 },
  );
  const w = fit.head.weights;
  const weights: number[] = [];
  for (let t = 0; t < dim; t++) weights.push(w[dim + t] - w[t]);
  const embeddings: EncodedEmbedding[] = [];
  for (let i = 0; i < count; i++) embeddings.push(encodeEmbedding(corrections.embeddings.subarray(i * dim, (i + 1) * dim)));
  return {
    kind: 'cosine-knn',
    k: options.k,
    weight: options.weight,
    centre: Array.from(centre, (v) => Math.fround(v)),
    detector: { weights, bias: fit.head.bias[1] - fit.head.bias[0] },
    labels: Array.from(corrections.labels),
    embeddings,
  };
}

/** The vote's share for each of `count` embeddings: weight · σ(detector). */
export function memoryShares(memory: Memory, embeddings: Float32Array, count: number): Float32Array {
  const { dim } = memory;
  const unit = unitRows(embeddings, count, dim, memory.centre);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let z = memory.detectorBias;
    for (let t = 0; t < dim; t++) z += memory.detectorWeights[t] * unit[i * dim + t];
    out[i] = memory.weight / (1 + Math.exp(-z));
  }
  return out;
}

/** Blends the memory's vote into `probabilities` (count × classes) in place. */
export function blendMemory(memory: Memory, embeddings: Float32Array, count: number, probabilities: Float32Array, classes: number): void {
  const { dim, rows } = memory;
  const shares = memoryShares(memory, embeddings, count);
  const unit = unitRows(embeddings, count, dim, memory.centre);
  const k = Math.min(memory.k, memory.count);
  const similarity = new Float32Array(memory.count);
  const order = Array.from({ length: memory.count }, (_, m) => m);
  const vote = new Float64Array(classes);
  for (let i = 0; i < count; i++) {
    const g = shares[i];
    if (g < 1e-4) continue;
    for (let m = 0; m < memory.count; m++) {
      let s = 0;
      for (let t = 0; t < dim; t++) s += rows[m * dim + t] * unit[i * dim + t];
      similarity[m] = s;
    }
    order.sort((a, b) => similarity[b] - similarity[a] || a - b);
    vote.fill(0);
    for (let n = 0; n < k; n++) vote[memory.labels[order[n]]] += 1 / k;
    for (let j = 0; j < classes; j++) probabilities[i * classes + j] = (1 - g) * probabilities[i * classes + j] + g * vote[j];
  }
}
