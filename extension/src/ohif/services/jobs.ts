/** A series to classify and what classifies it: the contract between the queue and its runners. */
import type { SeriesResult } from '../../engine/results/schema';

export interface SeriesJob {
  studyInstanceUID: string;
  seriesInstanceUID: string;
  displaySetInstanceUID?: string;
  description: string;
  modality: string;
  seriesNumber?: number;
  bodyPartExamined?: string | null;
}

export type ProgressListener = (done: number, total: number) => void;

export interface ClassificationRunner {
  /** Classifies one series; rejects with a ModelUnavailableError (errors.ts) when the model cannot be loaded. */
  classify(job: SeriesJob, onProgress: ProgressListener, signal: AbortSignal): Promise<SeriesResult>;
}
