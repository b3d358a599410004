import type { Segment, Stack } from '../types';
import { adjacencyWeight, OTHER, REGION_LENGTH_MM } from './anatomy';

export interface DecodedSequence {
  /** Decoded label per slice, in the order of the input (anatomical order of the stack). */
  labels: string[];
  /** Posterior probability of the decoded label per slice (forward-backward), 0..1. */
  confidence: number[];
}

export interface DecodeOptions {
  /** Distance assumed between slices without geometry (mm). */
  defaultSpacingMm?: number;
  /** Relative weight of a jump to or from OTHER, against a jump to an adjacent region (1). */
  otherWeight?: number;
  /** Relative weight of a jump between regions that do not touch (gaps, mislabelled stacks). */
  farWeight?: number;
  /** Floor for per-slice probabilities, so that one confident wrong slice cannot veto a path. */
  probabilityFloor?: number;
}

const DEFAULTS: Required<DecodeOptions> = {
  defaultSpacingMm: 5,
  otherWeight: 0.05,
  farWeight: 1e-4,
  probabilityFloor: 1e-4,
};

/**
 * Relative jump weights between labels (diagonal 0): the REGION_ADJACENCY weight for regions that
 * touch, otherWeight to and from OTHER, farWeight otherwise. Rows are normalised to sum to 1.
 */
export function jumpMatrix(labelNames: string[], options: DecodeOptions = {}): Float64Array {
  const { otherWeight, farWeight } = { ...DEFAULTS, ...options };
  const k = labelNames.length;
  const m = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    let sum = 0;
    for (let j = 0; j < k; j++) {
      if (i === j) continue;
      const a = labelNames[i];
      const b = labelNames[j];
      const w = a === OTHER || b === OTHER ? otherWeight : adjacencyWeight(a, b) || farWeight;
      m[i * k + j] = w;
      sum += w;
    }
    for (let j = 0; j < k; j++) m[i * k + j] /= sum;
  }
  return m;
}

/** Probability of leaving region `label` over a distance of `mm` along the body. */
export function switchProbability(label: string, mm: number): number {
  const typical = REGION_LENGTH_MM[label]?.typical ?? 150;
  return 1 - Math.exp(-Math.max(mm, 0.01) / typical);
}

function toRows(probabilities: Float32Array | number[][], k: number): { n: number; at: (t: number, j: number) => number } {
  if (Array.isArray(probabilities)) {
    return { n: probabilities.length, at: (t, j) => probabilities[t][j] };
  }
  if (probabilities.length % k !== 0) throw new Error(`decodeSequence: ${probabilities.length} values is not a multiple of ${k} labels`);
  return { n: probabilities.length / k, at: (t, j) => probabilities[t * k + j] };
}

/**
 * Most likely label sequence of a stack (Viterbi) under a hidden Markov model whose states are the
 * labels: a slice keeps its predecessor's region with probability exp(−d / typical length), where d
 * is the physical distance between the slices, and otherwise moves to an anatomically adjacent
 * region (either direction), rarely to or from OTHER, almost never elsewhere. Emissions are the
 * model's per-slice probabilities. Confidence is the forward-backward posterior of the decoded label.
 */
export function decodeSequence(
  probabilities: Float32Array | number[][],
  labelNames: string[],
  positionsMm: number[] | null,
  options: DecodeOptions = {},
): DecodedSequence {
  const opts = { ...DEFAULTS, ...options };
  const k = labelNames.length;
  const { n, at } = toRows(probabilities, k);
  if (n === 0) return { labels: [], confidence: [] };
  if (positionsMm && positionsMm.length !== n) throw new Error(`decodeSequence: ${n} slices but ${positionsMm.length} positions`);

  const jump = jumpMatrix(labelNames, opts);
  const emission = new Float64Array(n * k);
  for (let t = 0; t < n; t++) {
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const raw = at(t, j);
      const p = raw > opts.probabilityFloor ? raw : opts.probabilityFloor; // also catches NaN
      emission[t * k + j] = p;
      sum += p;
    }
    for (let j = 0; j < k; j++) emission[t * k + j] /= sum;
  }

  // Transition matrix (and its logarithm) of the step t-1 → t; most steps share one distance.
  const cache = new Map<number, { tr: Float64Array; logTr: Float64Array }>();
  const stepTransition = (t: number) => {
    const d = positionsMm ? Math.abs(positionsMm[t] - positionsMm[t - 1]) : opts.defaultSpacingMm;
    const key = Math.round(d * 1e4);
    let entry = cache.get(key);
    if (!entry) {
      const tr = new Float64Array(k * k);
      for (let i = 0; i < k; i++) {
        const p = switchProbability(labelNames[i], d);
        for (let j = 0; j < k; j++) tr[i * k + j] = i === j ? 1 - p : p * jump[i * k + j];
      }
      entry = { tr, logTr: tr.map(Math.log) };
      if (cache.size > 256) cache.clear();
      cache.set(key, entry);
    }
    return entry;
  };

  // Viterbi in log space.
  const score = new Float64Array(k);
  const next = new Float64Array(k);
  const back = new Int32Array(n * k);
  for (let j = 0; j < k; j++) score[j] = Math.log(emission[j]) - Math.log(k);
  for (let t = 1; t < n; t++) {
    const { logTr } = stepTransition(t);
    for (let j = 0; j < k; j++) {
      let best = -Infinity;
      let arg = 0;
      for (let i = 0; i < k; i++) {
        const s = score[i] + logTr[i * k + j];
        if (s > best) {
          best = s;
          arg = i;
        }
      }
      next[j] = best + Math.log(emission[t * k + j]);
      back[t * k + j] = arg;
    }
    score.set(next);
  }
  const path = new Int32Array(n);
  let last = 0;
  for (let j = 1; j < k; j++) if (score[j] > score[last]) last = j;
  path[n - 1] = last;
  for (let t = n - 1; t > 0; t--) path[t - 1] = back[t * k + path[t]];

  // Forward-backward with per-step normalisation for the posteriors.
  const alpha = new Float64Array(n * k);
  const beta = new Float64Array(n * k);
  let norm = 0;
  for (let j = 0; j < k; j++) norm += alpha[j] = emission[j] / k;
  for (let j = 0; j < k; j++) alpha[j] /= norm;
  for (let t = 1; t < n; t++) {
    const { tr } = stepTransition(t);
    norm = 0;
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += alpha[(t - 1) * k + i] * tr[i * k + j];
      norm += alpha[t * k + j] = s * emission[t * k + j];
    }
    for (let j = 0; j < k; j++) alpha[t * k + j] /= norm;
  }
  for (let j = 0; j < k; j++) beta[(n - 1) * k + j] = 1;
  for (let t = n - 1; t > 0; t--) {
    const { tr } = stepTransition(t);
    norm = 0;
    for (let i = 0; i < k; i++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += tr[i * k + j] * emission[t * k + j] * beta[t * k + j];
      norm += beta[(t - 1) * k + i] = s;
    }
    for (let i = 0; i < k; i++) beta[(t - 1) * k + i] /= norm;
  }

  const labels: string[] = new Array(n);
  const confidence: number[] = new Array(n);
  for (let t = 0; t < n; t++) {
    let z = 0;
    for (let j = 0; j < k; j++) z += alpha[t * k + j] * beta[t * k + j];
    const j = path[t];
    labels[t] = labelNames[j];
    confidence[t] = z > 0 ? (alpha[t * k + j] * beta[t * k + j]) / z : 0;
  }
  return { labels, confidence };
}

/**
 * Runs of equal decoded labels along a stack, with their extent in mm. A segment's length is the
 * slab it covers: distance between its first and last slice plus one slice spacing.
 */
export function toSegments(stack: Stack, decoded: DecodedSequence): Segment[] {
  const segments: Segment[] = [];
  const n = decoded.labels.length;
  const hasGeometry = stack.positionsMm.length === n && n > 0;
  let start = 0;
  for (let t = 1; t <= n; t++) {
    if (t < n && decoded.labels[t] === decoded.labels[start]) continue;
    const first = start;
    const lastIndex = t - 1;
    let sum = 0;
    for (let s = first; s <= lastIndex; s++) sum += decoded.confidence[s];
    const startMm = hasGeometry ? stack.positionsMm[first] : null;
    const endMm = hasGeometry ? stack.positionsMm[lastIndex] : null;
    const spacing = stack.spacingMm ?? 0;
    segments.push({
      label: decoded.labels[first],
      firstIndex: first,
      lastIndex,
      startMm,
      endMm,
      lengthMm: startMm !== null && endMm !== null ? Math.abs(endMm - startMm) + spacing : null,
      confidence: sum / (lastIndex - first + 1),
      firstSopInstanceUID: stack.frames[first].sopInstanceUID,
      firstFrameNumber: stack.frames[first].frameNumber,
    });
    start = t;
  }
  return segments;
}
