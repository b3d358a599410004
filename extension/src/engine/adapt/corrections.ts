/**
 * A site's corrections as one JSON file (`body-region-corrections/1`): per corrected series, the
 * images' new labels with their embeddings and the model they came from; no pixels, no names.
 * The viewer exports it, `body-region adapt --corrections` fits on it.
 */
import type { EncodedEmbedding } from '../results/embeddingCodec';
import { decodeEmbedding } from '../results/embeddingCodec';
import type { LabelledEmbedding } from './trainingSet';
import { AdapterError } from './adapter';

export const CORRECTIONS_SCHEMA = 'body-region-corrections/1';

export type CorrectionAction =
  | { kind: 'set-segment'; stackIndex: number; firstIndex: number; lastIndex: number; from: string; to: string }
  | { kind: 'move-boundary'; stackIndex: number; fromIndex: number; toIndex: number; label: string }
  | { kind: 'mark-other' };

export interface CorrectedImage {
  sopInstanceUID: string;
  frameNumber: number;
  /** The corrected label (labels.json name). */
  label: string;
  embedding: EncodedEmbedding;
}

export interface Correction {
  id: string;
  createdAt: string;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  action: CorrectionAction;
  /** Every image whose label the correction sets. */
  images: CorrectedImage[];
}

export interface CorrectionsFile {
  schema: typeof CORRECTIONS_SCHEMA;
  /** The model whose embeddings these are. */
  model: { id: string; version: string; sha256: string };
  exportedAt: string;
  corrections: Correction[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseCorrections(value: unknown): CorrectionsFile {
  if (!isObject(value) || value.schema !== CORRECTIONS_SCHEMA) throw new AdapterError(`not a ${CORRECTIONS_SCHEMA} file`);
  if (!isObject(value.model) || typeof value.model.sha256 !== 'string') throw new AdapterError('corrections name no model sha256');
  if (!Array.isArray(value.corrections)) throw new AdapterError('corrections: expected a "corrections" list');
  value.corrections.forEach((c, i) => {
    if (!isObject(c) || typeof c.seriesInstanceUID !== 'string' || !Array.isArray(c.images))
      throw new AdapterError(`corrections[${i}]: expected {seriesInstanceUID, images: [...]}`);
    c.images.forEach((im, j) => {
      if (
        !isObject(im) ||
        typeof im.sopInstanceUID !== 'string' ||
        typeof im.label !== 'string' ||
        !isObject(im.embedding) ||
        typeof im.embedding.q !== 'string' ||
        typeof im.embedding.scale !== 'number'
      ) {
        throw new AdapterError(`corrections[${i}].images[${j}]: expected {sopInstanceUID, frameNumber, label, embedding: {q, scale}}`);
      }
    });
  });
  return value as unknown as CorrectionsFile;
}

/** The training pairs of a corrections file: a later correction of the same image replaces an earlier one. */
export function correctedEmbeddings(file: CorrectionsFile, labelNames: readonly string[]): LabelledEmbedding[] {
  const latest = new Map<string, LabelledEmbedding>();
  const ordered = [...file.corrections].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  for (const c of ordered) {
    for (const im of c.images) {
      const label = labelNames.indexOf(im.label);
      if (label < 0) throw new AdapterError(`correction ${c.id}: label ${im.label} is not one of the model's labels`);
      latest.set(`${c.seriesInstanceUID}|${im.sopInstanceUID}#${im.frameNumber}`, {
        embedding: decodeEmbedding(im.embedding),
        label,
        series: c.seriesInstanceUID,
      });
    }
  }
  return [...latest.values()];
}
