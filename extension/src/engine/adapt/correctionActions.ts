/**
 * What a user's correction of a result means image by image: the panel's three actions (set a
 * segment's region, move a boundary to the current slice, mark the series OTHER) turned into
 * corrected images with the embeddings the result kept. Pure: the viewer stores and exports them.
 */
import type { SeriesResult } from '../results/schema';
import { OTHER } from '../decode/anatomy';
import type { Correction, CorrectionAction, CorrectedImage, CorrectionsFile } from './corrections';
import { CORRECTIONS_SCHEMA } from './corrections';

/** The images an action relabels (those the result classified and kept an embedding of). */
export function correctedImages(result: SeriesResult, action: CorrectionAction): CorrectedImage[] {
  const pick = (label: string, inRange: (stackIndex: number, sliceIndex: number) => boolean): CorrectedImage[] =>
    result.images
      .filter((im) => im.embedding && im.probabilities && inRange(im.stackIndex, im.sliceIndex))
      .map((im) => ({ sopInstanceUID: im.sopInstanceUID, frameNumber: im.frameNumber, label, embedding: im.embedding! }));
  switch (action.kind) {
    case 'set-segment':
      return pick(action.to, (s, i) => s === action.stackIndex && i >= action.firstIndex && i <= action.lastIndex);
    case 'move-boundary': {
      const lo = Math.min(action.fromIndex, action.toIndex);
      const hi = Math.max(action.fromIndex, action.toIndex);
      return pick(action.label, (s, i) => s === action.stackIndex && i >= lo && i <= hi);
    }
    case 'mark-other':
      return pick(OTHER, () => true);
  }
}

export function makeCorrection(result: SeriesResult, action: CorrectionAction, id: string, createdAt: string): Correction {
  return {
    id,
    createdAt,
    studyInstanceUID: result.studyInstanceUID,
    seriesInstanceUID: result.seriesInstanceUID,
    action,
    images: correctedImages(result, action),
  };
}

export function correctionsFile(model: CorrectionsFile['model'], corrections: Correction[], exportedAt: string): CorrectionsFile {
  return { schema: CORRECTIONS_SCHEMA, model, exportedAt, corrections };
}
