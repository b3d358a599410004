/**
 * A result's per-image outputs as `classifySeries`'s `known` input: re-decoding a series with a new
 * site adapter (or none) needs no fetch and no inference, only the embeddings the result kept.
 */
import type { FrameMeta } from '../types';
import type { KnownFrameOutputs } from '../pipeline';
import type { SeriesResult } from './schema';
import { decodeEmbedding } from './embeddingCodec';

const frameKey = (sopInstanceUID: string, frameNumber: number) => `${sopInstanceUID}#${frameNumber}`;

/** Frames the result classified (with embeddings when it kept them); others are unknown (fetched again). */
export function knownOutputsFromResult(result: SeriesResult): (frame: FrameMeta) => KnownFrameOutputs | undefined {
  const byFrame = new Map<string, KnownFrameOutputs>();
  for (const image of result.images) {
    if (!image.probabilities) continue;
    byFrame.set(frameKey(image.sopInstanceUID, image.frameNumber), {
      // An adapted result's probabilities are not the model's own.
      probabilities: result.adapter ? null : Float32Array.from(image.probabilities),
      embedding: image.embedding ? decodeEmbedding(image.embedding) : null,
    });
  }
  return (frame) => byFrame.get(frameKey(frame.sopInstanceUID, frame.frameNumber));
}
