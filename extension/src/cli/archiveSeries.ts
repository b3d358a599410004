/**
 * One series of a DICOMweb archive → one SeriesResult (`classify` and the queue worker share it).
 * With `archiveFaults: 'throw'` a passing archive fault (network error, timeout, 5xx, 408/429 after
 * the per-request retries) is thrown as an ArchiveFault instead of becoming an error line, so a job
 * queue can retry the series later; faults of the series itself (bad pixel data, unsupported
 * syntax, no images) always become a result with a reason.
 */
import { describeError, type DicomWebArchive } from '../engine/fetch/dicomWebArchive';
import type { DicomWebPixelSource } from '../engine/fetch/DicomWebPixelSource';
import { metadataToFramesWithReasons } from '../engine/fetch/metadataToFrames';
import { AbortError, isRetryable } from '../engine/fetch/retry';
import type { SliceClassifier } from '../engine/pipeline';
import type { SeriesResult } from '../engine/results/schema';
import type { SeriesRef } from './archiveListing';
import type { SiteAdapter } from '../engine/adapt/adapter';
import type { ProgressReporter, SeriesLabel } from './progress';
import { errorResult, runSeries } from './seriesRunner';

export class ArchiveFault extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveFault';
  }
}

export interface ArchiveSeriesOptions {
  model: SliceClassifier;
  mode: 'exhaustive' | 'fast';
  concurrency: number;
  signal: AbortSignal;
  progress: ProgressReporter;
  label: SeriesLabel;
  archiveFaults?: 'result' | 'throw';
  /** `--adapter`: the site adapter applied to every image. */
  adapter?: SiteAdapter | null;
  /** The series metadata when the caller already fetched it (SR read-back compares instances). */
  metadata?: Awaited<ReturnType<DicomWebArchive['retrieveSeriesMetadata']>>;
}

/** Per-image reasons (pipeline: `fetch failed: …`) that say the archive, not the series, failed. */
const PASSING_FETCH_FAULT = /^fetch failed: (network error|no answer within|HTTP (5\d\d|408|429)\b)/;

export async function classifyArchiveSeries(
  archive: DicomWebArchive,
  pixels: DicomWebPixelSource,
  ref: SeriesRef,
  opts: ArchiveSeriesOptions,
): Promise<SeriesResult> {
  const id = { studyInstanceUID: ref.studyInstanceUID, seriesInstanceUID: ref.seriesInstanceUID, modality: ref.modality };
  const throwFaults = opts.archiveFaults === 'throw';
  let metadata;
  try {
    metadata = opts.metadata ?? (await archive.retrieveSeriesMetadata(ref.studyInstanceUID, ref.seriesInstanceUID, opts.signal));
  } catch (error) {
    if (error instanceof AbortError) throw error;
    if (throwFaults && isRetryable(error)) throw new ArchiveFault(`series metadata could not be fetched: ${describeError(error)}`);
    return errorResult(id, opts.model, opts.mode, 'no-frames', `series metadata could not be fetched: ${describeError(error)}`);
  }
  const { frames, skipped } = metadataToFramesWithReasons(metadata);
  // runSeries turns an empty series and a failed classification into results with reasons
  const result: SeriesResult = await runSeries(id, frames, skipped, pixels, opts.label, opts);
  if (throwFaults) {
    const fault = result.images.find((im) => im.error && PASSING_FETCH_FAULT.test(im.error));
    if (fault) throw new ArchiveFault(`image ${fault.sopInstanceUID}: ${fault.error}`);
  }
  return result;
}
