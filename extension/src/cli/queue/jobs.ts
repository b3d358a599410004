/** The queue's jobs: one per CT/MR series and model, with a deterministic id. */
import type { JobsOptions } from 'bullmq';
import type { SeriesRef } from '../archiveListing';
import type { ModelKey } from '../loadModel';

export const DEFAULT_QUEUE = 'body-region';
/** Modalities the model labels; other series (SR, SEG, PR, …) are never enqueued. */
export const QUEUED_MODALITIES = new Set(['CT', 'MR']);

export interface SeriesJobData extends SeriesRef {
  /** DICOMweb root the series was found in (a worker's `--url` overrides it). */
  url: string;
  /** sha256 of the model the job is for: a worker with another model refuses the job. */
  modelSha256: string;
}

/**
 * `<SeriesInstanceUID>.m<first 16 hex of the model sha>`: enqueueing the same series for the same
 * model twice is a no-op in BullMQ (the id exists), a new model gives new jobs. UIDs are digits and
 * dots only, so the id can never contain BullMQ's ':' separator.
 */
export function seriesJobId(seriesInstanceUID: string, model: Pick<ModelKey, 'sha256'>): string {
  return `${seriesInstanceUID}.m${model.sha256.slice(0, 16)}`;
}

export interface JobPolicy {
  /** Tries in all, for archive faults (the first one included). */
  attempts: number;
  /** First retry delay; doubles each time (BullMQ exponential backoff). */
  backoffMs: number;
}

export const DEFAULT_POLICY: JobPolicy = { attempts: 5, backoffMs: 5000 };

export function jobOptions(jobId: string, policy: JobPolicy): JobsOptions {
  return {
    jobId,
    attempts: policy.attempts,
    backoff: { type: 'exponential', delay: policy.backoffMs },
    // Kept so a re-run of `enqueue` sees the id and skips the series; the return value is small.
    removeOnComplete: false,
    removeOnFail: false,
  };
}
