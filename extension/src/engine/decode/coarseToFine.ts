import { median } from '../geometry/vector';
import { decodeSequence, type DecodeOptions } from './decodeSequence';

/** Probabilities of the slices classified so far, by slice index. */
export type KnownProbabilities = Map<number, ArrayLike<number>>;

export interface SparseDecoded {
  /** Decoded label of every slice (0..n-1); unclassified slices take the nearer classified one. */
  labels: (string | null)[];
  confidence: number[];
}

/**
 * Decodes the classified slices of a stack (in order, with their real positions, so that the
 * switch probability sees the true distances) and gives every other slice the label of its
 * nearer classified neighbour (ties: the inferior one). No classified slice → all null.
 */
export function decodeSparse(
  n: number,
  positionsMm: number[] | null,
  labelNames: string[],
  known: KnownProbabilities,
  options?: DecodeOptions,
): SparseDecoded {
  const indices = [...known.keys()].sort((a, b) => a - b);
  const labels: (string | null)[] = new Array(n).fill(null);
  const confidence: number[] = new Array(n).fill(0);
  if (indices.length === 0) return { labels, confidence };
  const rows = indices.map((i) => Array.from(known.get(i) as ArrayLike<number>));
  const decoded = decodeSequence(rows, labelNames, positionsMm ? indices.map((i) => positionsMm[i]) : null, options);
  let k = 0;
  for (let t = 0; t < n; t++) {
    while (k + 1 < indices.length && indices[k + 1] <= t) k++;
    // indices[k] is the last classified slice at or before t (or the first one after it).
    let nearest = k;
    if (indices[k] < t && k + 1 < indices.length) {
      const left = positionsMm ? Math.abs(positionsMm[t] - positionsMm[indices[k]]) : t - indices[k];
      const right = positionsMm ? Math.abs(positionsMm[indices[k + 1]] - positionsMm[t]) : indices[k + 1] - t;
      if (right < left) nearest = k + 1;
    }
    labels[t] = decoded.labels[nearest];
    confidence[t] = decoded.confidence[nearest];
  }
  return { labels, confidence };
}

export interface CoarseToFineOptions {
  n: number;
  positionsMm: number[];
  labelNames: string[];
  /**
   * Classifies the given slices; resolves to one probability row per index, or null for a slice
   * that could not be fetched or decoded.
   */
  classify: (indices: number[]) => Promise<Array<ArrayLike<number> | null>>;
  /** Distance between the first, sparse samples (mm). */
  sampleMm?: number;
  /** Slices classified on each side of a located boundary (default 1). */
  boundaryMargin?: number;
  decodeOptions?: DecodeOptions;
}

export interface CoarseToFineResult extends SparseDecoded {
  known: KnownProbabilities;
  failed: Set<number>;
  /** Slices sent to `classify`, failures included. */
  attempted: number;
}

export const DEFAULT_SAMPLE_MM = 50;
export const DEFAULT_BOUNDARY_MARGIN = 1;
/** Slices always classified at each end of a stack: a region cut off by the end may be short. */
const END_SLICES = 3;
/**
 * Stacks of at most this many slices are classified in full: a sparse sample saves under 0.1 s
 * there, and on a short stack of thick slices one region may lie wholly between two samples.
 */
export const FULL_STACK_MAX_SLICES = 32;

/** Index of an untried slice strictly between a and b, as close to their middle as possible. */
function untriedBetween(a: number, b: number, tried: Set<number>): number | null {
  const mid = (a + b) >> 1;
  for (let d = 0; mid - d > a || mid + d < b; d++) {
    if (mid - d > a && !tried.has(mid - d)) return mid - d;
    if (mid + d < b && !tried.has(mid + d)) return mid + d;
  }
  return null;
}

/**
 * Fast mode: classify one slice every ~sampleMm, decode, then bisect every interval whose ends
 * decode to different labels until the boundary lies between adjacent slices, and classify a few
 * slices around each boundary so that its exact place is decoded with the same context. The first
 * and last few slices are always classified: a region cut off by the stack's end may be short. Short
 * stacks (FULL_STACK_MAX_SLICES) are classified in full. In longer stacks, regions shorter than
 * the sampling distance that fall entirely between two samples of the same label are not seen;
 * everything else matches the exhaustive decoding to within about one slice.
 */
export async function coarseToFine(opts: CoarseToFineOptions): Promise<CoarseToFineResult> {
  const { n, positionsMm, labelNames, classify } = opts;
  const margin = opts.boundaryMargin ?? DEFAULT_BOUNDARY_MARGIN;
  const known: KnownProbabilities = new Map();
  const failed = new Set<number>();
  const tried = new Set<number>();
  const spacing = n > 1 ? median(positionsMm.slice(1).map((p, i) => Math.abs(p - positionsMm[i]))) : 1;
  const step = Math.max(1, Math.round((opts.sampleMm ?? DEFAULT_SAMPLE_MM) / Math.max(spacing, 1e-3)));
  const first = new Set<number>();
  for (let i = 0; i < n; i += n <= FULL_STACK_MAX_SLICES ? 1 : step) first.add(i);
  for (let i = 0; i < END_SLICES && i < n; i++) {
    first.add(i);
    first.add(n - 1 - i);
  }
  let wanted = [...first].filter((i) => i >= 0).sort((a, b) => a - b);

  let decoded: SparseDecoded = { labels: new Array(n).fill(null), confidence: new Array(n).fill(0) };
  while (wanted.length) {
    wanted.forEach((i) => tried.add(i));
    const rows = await classify(wanted);
    const newlyFailed: number[] = [];
    wanted.forEach((index, k) => {
      const row = rows[k];
      if (row) known.set(index, row);
      else {
        failed.add(index);
        newlyFailed.push(index);
      }
    });
    decoded = decodeSparse(n, positionsMm, labelNames, known, opts.decodeOptions);
    const order = [...known.keys()].sort((a, b) => a - b);
    const next = new Set<number>();
    for (let k = 0; k + 1 < order.length; k++) {
      const a = order[k];
      const b = order[k + 1];
      if (decoded.labels[a] === decoded.labels[b]) continue;
      const mid = b - a < 2 ? null : untriedBetween(a, b, tried);
      if (mid !== null) next.add(mid);
      else {
        // Boundary found: classify its neighbourhood too, so that noisy slices next to it weigh
        // in as they do in the exhaustive decoding.
        for (let i = Math.max(0, a - margin); i <= Math.min(n - 1, b + margin); i++) if (!tried.has(i)) next.add(i);
      }
    }
    // A slice that failed is replaced by an untried neighbour, so that a failure does not hide a region.
    for (const f of newlyFailed) {
      const neighbour = [f + 1, f - 1].find((i) => i >= 0 && i < n && !tried.has(i));
      if (neighbour !== undefined) next.add(neighbour);
    }
    wanted = [...next].sort((a, b) => a - b);
  }
  return { ...decoded, known, failed, attempted: tried.size };
}
