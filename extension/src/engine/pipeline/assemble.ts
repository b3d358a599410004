/**
 * Turns the per-stack outcomes of a run into the result's `images`, `segments` and `stacks`:
 * decodes each stack (unless fast mode already did), one image entry per frame (duplicates point
 * at the slice they duplicate), segments only for stacks whose every slice has a label.
 */
import type { FrameMeta, Stack } from '../types';
import { decodeSparse, type SparseDecoded } from '../decode/coarseToFine';
import { toSegments } from '../decode/decodeSequence';
import type { ResultImage, ResultSegment, ResultStack } from '../results/schema';
import { encodeEmbedding } from '../results/embeddingCodec';
import type { StackOutcomes } from './modes';

const round4 = (p: number) => Math.round(p * 1e4) / 1e4;

function argmaxLabel(probs: ArrayLike<number>, labelNames: string[]): { label: string; p: number } {
  let best = 0;
  for (let j = 1; j < probs.length; j++) if (probs[j] > probs[best]) best = j;
  return { label: labelNames[best], p: probs[best] };
}

function resultStack(stack: Stack, index: number): ResultStack {
  const n = stack.positionsMm.length;
  return {
    index,
    kind: stack.kind,
    orientation: stack.orientation,
    frameCount: stack.frames.length,
    spacingMm: stack.spacingMm,
    firstMm: n ? stack.positionsMm[0] : null,
    lastMm: n ? stack.positionsMm[n - 1] : null,
    qc: stack.qc,
  };
}

function decodeStack(stack: Stack, outcome: StackOutcomes, labelNames: string[]): SparseDecoded {
  if (outcome.decoded) return outcome.decoded;
  if (stack.kind === 'stack') return decodeSparse(stack.frames.length, stack.positionsMm, labelNames, outcome.known);
  const probs = outcome.known.get(0);
  const best = probs ? argmaxLabel(probs, labelNames) : null;
  return { labels: [best?.label ?? null], confidence: [best?.p ?? 0] };
}

export interface AssembledSeries {
  images: ResultImage[];
  segments: ResultSegment[];
  stacks: ResultStack[];
}

export function assembleSeries(stacks: Stack[], outcomes: StackOutcomes[], labelNames: string[]): AssembledSeries {
  const images: ResultImage[] = [];
  const segments: ResultSegment[] = [];
  stacks.forEach((stack, s) => {
    const { known, errors, embeddings } = outcomes[s];
    const decoded = decodeStack(stack, outcomes[s], labelNames);
    if (decoded.labels.every((l) => l !== null)) {
      const sure = { labels: decoded.labels as string[], confidence: decoded.confidence };
      segments.push(...toSegments(stack, sure).map((seg) => ({ ...seg, stackIndex: s })));
    }
    const imageOf = (frame: FrameMeta, sliceIndex: number, own: boolean): ResultImage => {
      const probs = own ? known.get(sliceIndex) : undefined;
      const image: ResultImage = {
        sopInstanceUID: frame.sopInstanceUID,
        frameNumber: frame.frameNumber,
        instanceNumber: frame.instanceNumber ?? null,
        stackIndex: s,
        sliceIndex,
        positionMm: stack.positionsMm.length ? stack.positionsMm[sliceIndex] : null,
        label: probs ? argmaxLabel(probs, labelNames).label : null,
        decodedLabel: decoded.labels[sliceIndex],
        probabilities: probs ? Array.from(probs, round4) : null,
      };
      const embedding = own ? embeddings.get(sliceIndex) : undefined;
      if (embedding) image.embedding = encodeEmbedding(embedding);
      const error = own ? errors.get(sliceIndex) : undefined;
      if (error) image.error = error;
      return image;
    };
    stack.frames.forEach((frame, i) => images.push(imageOf(frame, i, true)));
    stack.duplicates?.forEach((d) => images.push(imageOf(d.frame, d.keptIndex, false)));
  });
  return { images, segments, stacks: stacks.map(resultStack) };
}
