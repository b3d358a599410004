/**
 * The adapter's optional nearest-neighbour memory: the corrected embeddings themselves. An image
 * whose nearest correction is closer (Euclidean) than reference images of another class ever come
 * to a correction takes a blend of the head's probabilities and its k nearest corrections' vote:
 *   p = (1 − g) p_head + g p_vote,  g = weight when the nearest distance ≤ gate, else 0.
 * The gate is set at fit time from the replay set, so that images of the rest of the body, far from
 * every correction, keep the head's answer.
 */
import { decodeEmbedding, encodeEmbedding, type EncodedEmbedding } from '../results/embeddingCodec';
import type { ReplaySet } from '../infer/manifest';
import type { CorrectionSet } from './adapter';

export interface MemoryFile {
  k: number;
  weight: number;
  /** Distance up to which the memory speaks. */
  gate: number;
  labels: number[];
  embeddings: EncodedEmbedding[];
}

export interface Memory {
  k: number;
  weight: number;
  gate: number;
  labels: Int32Array;
  /** Rows [count × dim]. */
  rows: Float32Array;
  count: number;
  dim: number;
}

/** Squared distances of one row to every memory row. */
function distances(memory: Memory, x: Float32Array, offset: number, out: Float32Array): void {
  const { rows, count, dim } = memory;
  for (let m = 0; m < count; m++) {
    let s = 0;
    for (let t = 0; t < dim; t++) {
      const d = rows[m * dim + t] - x[offset + t];
      s += d * d;
    }
    out[m] = s;
  }
}

export function memoryFrom(file: MemoryFile, dim: number): Memory {
  const rows = new Float32Array(file.labels.length * dim);
  file.embeddings.forEach((e, i) => decodeEmbedding(e, rows, i * dim));
  return { k: file.k, weight: file.weight, gate: file.gate, labels: Int32Array.from(file.labels), rows, count: file.labels.length, dim };
}

/** The memory of `corrections`; its gate: the 1st percentile of replay rows' distance to their nearest correction of another class. */
export function buildMemory(corrections: CorrectionSet, replay: ReplaySet | null, options: { k: number; weight: number }): MemoryFile {
  const { count, dim } = corrections;
  const file: MemoryFile = { k: options.k, weight: options.weight, gate: 0, labels: Array.from(corrections.labels), embeddings: [] };
  for (let i = 0; i < count; i++) file.embeddings.push(encodeEmbedding(corrections.embeddings.subarray(i * dim, (i + 1) * dim)));
  if (replay && replay.count > 0) {
    const memory = memoryFrom(file, dim);
    const d2 = new Float32Array(memory.count);
    const wrong: number[] = [];
    for (let r = 0; r < replay.count; r++) {
      distances(memory, replay.embeddings, r * dim, d2);
      let best = Infinity;
      for (let m = 0; m < memory.count; m++) if (memory.labels[m] !== replay.labels[r] && d2[m] < best) best = d2[m];
      if (best < Infinity) wrong.push(Math.sqrt(best));
    }
    wrong.sort((a, b) => a - b);
    file.gate = wrong.length ? wrong[Math.floor(0.01 * wrong.length)] : 0;
  }
  return file;
}

/** Blends the memory's vote into `probabilities` (count × classes) in place. */
export function blendMemory(memory: Memory, embeddings: Float32Array, count: number, probabilities: Float32Array, classes: number): void {
  const d2 = new Float32Array(memory.count);
  const order = Array.from({ length: memory.count }, (_, i) => i);
  const vote = new Float64Array(classes);
  const gate2 = memory.gate * memory.gate;
  for (let i = 0; i < count; i++) {
    distances(memory, embeddings, i * memory.dim, d2);
    let nearest = Infinity;
    for (let m = 0; m < memory.count; m++) nearest = Math.min(nearest, d2[m]);
    if (!(nearest < gate2)) continue;
    order.sort((a, b) => d2[a] - d2[b]);
    vote.fill(0);
    const k = Math.min(memory.k, memory.count);
    for (let n = 0; n < k; n++) vote[memory.labels[order[n]]] += 1 / k;
    const g = memory.weight;
    for (let j = 0; j < classes; j++) probabilities[i * classes + j] = (1 - g) * probabilities[i * classes + j] + g * vote[j];
  }
}
