/** Corrected images → the adapter's training set (embeddings with their true class). */
import type { CorrectionSet } from './adapter';

export interface LabelledEmbedding {
  embedding: ArrayLike<number>;
  /** Class index (labels.json order). */
  label: number;
  /** The series it belongs to (counted, not used in the fit). */
  series: string;
}

export function correctionSet(items: readonly LabelledEmbedding[], dim: number): CorrectionSet {
  const embeddings = new Float32Array(items.length * dim);
  const labels = new Int32Array(items.length);
  items.forEach((item, i) => {
    if (item.embedding.length !== dim) throw new Error(`corrected image ${i} has a ${item.embedding.length}-d embedding, expected ${dim}`);
    embeddings.set(item.embedding, i * dim);
    labels[i] = item.label;
  });
  return { embeddings, labels, count: items.length, dim, series: new Set(items.map((i) => i.series)).size };
}
