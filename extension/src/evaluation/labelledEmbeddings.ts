/**
 * The images of classified labelled series as (embedding, true class) pairs: what the site adapter
 * is fitted on (`body-region adapt --data`) and what the replay set is drawn from (`build-replay`).
 */
import type { LabelledEmbedding } from '../engine/adapt/trainingSet';
import { decodeEmbedding } from '../engine/results/embeddingCodec';
import type { DetailedVolumeOutcome } from './classifyVolumes';

export interface SourcedEmbedding extends LabelledEmbedding {
  source: string;
}

export function labelledEmbeddings(detailed: DetailedVolumeOutcome, labelNames: readonly string[]): SourcedEmbedding[] {
  const { outcome, result, sliceOf } = detailed;
  const out: SourcedEmbedding[] = [];
  for (const image of result.images) {
    if (!image.embedding || !image.probabilities) continue;
    const k = sliceOf.get(image.sopInstanceUID) as number;
    const truth = outcome.truth[k];
    const label = labelNames.indexOf(truth);
    if (label < 0) throw new Error(`${outcome.series.id} slice ${k}: label ${truth} is not one of the model's labels`);
    out.push({ embedding: decodeEmbedding(image.embedding), label, series: outcome.series.id, source: outcome.series.source });
  }
  if (out.length === 0 && result.images.length > 0)
    throw new Error(`${outcome.series.id}: the model gave no embeddings (model.json names no embeddingOutputName)`);
  return out;
}
