/**
 * The two ways to classify the stacks of a series: every image (exhaustive), or a sparse sample
 * refined at the boundaries (fast, `decode/coarseToFine.ts`). Both give, per stack, the
 * probabilities of the slices classified and the errors of those that failed.
 */
import type { Stack } from '../types';
import { coarseToFine, type KnownProbabilities, type SparseDecoded } from '../decode/coarseToFine';
import type { FrameClassifier, FrameOutcome } from './frameClassifier';

export interface StackOutcomes {
  /** Probabilities by slice index. */
  known: KnownProbabilities;
  /** Why a slice has no probabilities, by slice index. */
  errors: Map<number, string>;
  /** The model's embedding by slice index (models with an embedding output). */
  embeddings: Map<number, Float32Array>;
  /** Fast mode: the decoding coarseToFine already made of the whole stack. */
  decoded?: SparseDecoded;
}

function record(into: StackOutcomes, indices: number[], outcomes: FrameOutcome[]): void {
  indices.forEach((index, j) => {
    const o = outcomes[j];
    if (o.probabilities) into.known.set(index, o.probabilities);
    else into.errors.set(index, o.error ?? 'not classified');
    if (o.embedding) into.embeddings.set(index, o.embedding);
  });
}

const emptyOutcomes = (stacks: Stack[]): StackOutcomes[] =>
  stacks.map(() => ({ known: new Map(), errors: new Map(), embeddings: new Map() }));

/** Every frame of every stack, in one run (one progress total). */
export async function classifyExhaustive(stacks: Stack[], classifier: FrameClassifier): Promise<StackOutcomes[]> {
  const out = emptyOutcomes(stacks);
  const all = stacks.flatMap((stack, s) => stack.frames.map((frame, index) => ({ s, index, frame })));
  classifier.total = all.length;
  const outcomes = await classifier.run(all.map((a) => a.frame));
  all.forEach((a, j) => record(out[a.s], [a.index], [outcomes[j]]));
  return out;
}

/** Single images all at once (they have no neighbours to spare), then each stack coarse to fine. */
export async function classifyFast(
  stacks: Stack[],
  classifier: FrameClassifier,
  labelNames: string[],
  sampleMm: number,
): Promise<StackOutcomes[]> {
  const out = emptyOutcomes(stacks);
  const singles = stacks.map((stack, s) => ({ stack, s })).filter(({ stack }) => stack.kind !== 'stack');
  classifier.total = singles.length;
  const singleOutcomes = await classifier.run(singles.map(({ stack }) => stack.frames[0]));
  singles.forEach(({ s }, j) => record(out[s], [0], [singleOutcomes[j]]));
  for (let s = 0; s < stacks.length; s++) {
    const stack = stacks[s];
    if (stack.kind !== 'stack') continue;
    out[s].decoded = await coarseToFine({
      n: stack.frames.length,
      positionsMm: stack.positionsMm,
      labelNames,
      sampleMm,
      classify: async (indices) => {
        classifier.total += indices.length;
        const outcomes = await classifier.run(indices.map((i) => stack.frames[i]));
        record(out[s], indices, outcomes);
        return outcomes.map((o) => o.probabilities ?? null);
      },
    });
  }
  return out;
}
