/**
 * The queue worker's `--stow` sink: each series' result as our DICOM SR, stored (STOW-RS) on the
 * archive the job came from. Idempotent through the archive itself: `isDone` looks for our SR of
 * the series for the same instances and model (one QIDO for the study's SRs, the series metadata),
 * so a job run again after a SIGKILL finds the SR its killed worker wrote and writes none.
 * A refusing archive: a passing fault (network, 5xx, 408/429) is an ArchiveFault, retried with
 * backoff like any archive fault; a refusal for good (401/403, 405/501, 4xx) dead-letters the
 * series with the reason. The JSON Lines sink comes first in AllSinks, so the result is kept.
 */
import { UnrecoverableError } from 'bullmq';
import { describeError, type DicomWebArchive } from '../../engine/fetch/dicomWebArchive';
import type { DicomJsonDataset } from '../../engine/fetch/dicomJson';
import { AbortError, isRetryable } from '../../engine/fetch/retry';
import type { AlgorithmIdentity } from '../../engine/report/algorithmIdentity';
import { findStudySrs, type StudySrs } from '../../engine/report/findSrs';
import { chooseSr } from '../../engine/report/matchSr';
import { SrStoreError, stowSeriesSr } from '../../engine/report/stowSr';
import type { SeriesResult } from '../../engine/results/schema';
import { ArchiveFault } from '../archiveSeries';
import { instancesOf, srEvidenceOf } from '../archiveSrs';
import type { SeriesJob, SeriesResultSink } from './resultSink';

/** What isDone learnt of a series, for write (and the classification) to reuse. */
interface Looked {
  metadata: DicomJsonDataset[];
  study: StudySrs;
}

/**
 * Series looked at and not written yet: the running jobs, and those skipped or failed in between
 * (dropped oldest first; a running job that lost its entry is looked at again before writing).
 */
const MAX_LOOKED = 64;

export class SrResultSink implements SeriesResultSink {
  private readonly looked = new Map<string, Looked>();
  readonly counts = { written: 0, alreadyStored: 0, notStored: 0 };

  constructor(
    private readonly algorithm: AlgorithmIdentity,
    private readonly log: (line: string) => void,
  ) {}

  async isDone(job: SeriesJob): Promise<boolean> {
    const { archive, studyInstanceUID, seriesInstanceUID } = job;
    let metadata: DicomJsonDataset[];
    let study: StudySrs;
    try {
      metadata = await archive.retrieveSeriesMetadata(studyInstanceUID, seriesInstanceUID);
      study = await findStudySrs(archive, studyInstanceUID);
    } catch (error) {
      if (error instanceof AbortError) throw error;
      if (isRetryable(error)) throw new ArchiveFault(`looking for our SR of the series failed: ${describeError(error)}`);
      return false; // e.g. 404: the classification reports the series' own failure
    }
    for (const u of study.unreadable) this.log(`ignoring unreadable body-region SR ${u.sopInstanceUID}: ${u.reason}`);
    const choice = chooseSr(
      study.ours,
      { seriesInstanceUID, instanceUids: instancesOf(metadata).map((i) => i.sopInstanceUID) },
      this.algorithm,
    );
    // Kept even when done: another sink may not be, and then write finds this SR and writes none.
    if (this.looked.size >= MAX_LOOKED) this.looked.delete(this.looked.keys().next().value!);
    this.looked.set(seriesInstanceUID, { metadata, study });
    return choice.current !== null;
  }

  takeMetadata(job: SeriesJob): DicomJsonDataset[] | undefined {
    return this.looked.get(job.seriesInstanceUID)?.metadata;
  }

  async write(result: SeriesResult, job: SeriesJob): Promise<boolean> {
    // Complete results only: a partial one would later be taken for the whole series.
    if (result.error !== null || result.timing.framesFailed > 0) {
      this.looked.delete(result.seriesInstanceUID);
      if (result.error === null) {
        this.counts.notStored++;
        this.log(`${result.seriesInstanceUID}: ${result.timing.framesFailed} images failed, no SR written for it`);
      }
      return false;
    }
    if (!this.looked.has(result.seriesInstanceUID)) await this.isDone(job);
    const looked = this.looked.get(result.seriesInstanceUID);
    this.looked.delete(result.seriesInstanceUID);
    if (!looked) return false; // the series is gone from the archive
    try {
      const outcome = await stowSeriesSr(
        job.archive,
        // Series are labelled one job at a time: the study's term is not known here.
        { result, ...srEvidenceOf(looked.metadata), algorithm: this.algorithm, studyAnnexL: null },
        { study: looked.study },
      );
      if (!outcome.written) {
        this.counts.alreadyStored++;
        return false;
      }
      this.counts.written++;
      this.log(`${result.seriesInstanceUID}: SR ${outcome.sopInstanceUID} stored on the archive`);
      return true;
    } catch (error) {
      if (!(error instanceof SrStoreError)) throw error;
      this.counts.notStored++;
      const passing = error.status === null || error.status === 0 || error.status >= 500 || error.status === 408 || error.status === 429;
      if (passing) throw new ArchiveFault(error.message);
      throw new UnrecoverableError(`sr-refused: ${error.message}`);
    }
  }

  async close(): Promise<void> {
    this.looked.clear();
  }
}

/**
 * Of `seriesUids` (CT/MR series of one study), those with our current SR for this model in the
 * archive (`queue enqueue`). Series metadata is fetched only for series that have an SR of the model.
 */
export async function seriesWithCurrentSr(
  archive: DicomWebArchive,
  studyInstanceUID: string,
  seriesUids: string[],
  algorithm: AlgorithmIdentity,
  signal?: AbortSignal,
): Promise<Set<string>> {
  const done = new Set<string>();
  const study = await findStudySrs(archive, studyInstanceUID, signal);
  const candidates = new Set(
    study.ours
      .filter((sr) => sr.algorithm.modelSha256.toLowerCase() === algorithm.modelSha256.toLowerCase())
      .map((sr) => sr.referencedSeriesInstanceUID),
  );
  for (const seriesInstanceUID of seriesUids) {
    if (!candidates.has(seriesInstanceUID)) continue;
    const metadata = await archive.retrieveSeriesMetadata(studyInstanceUID, seriesInstanceUID, signal);
    const choice = chooseSr(study.ours, { seriesInstanceUID, instanceUids: instancesOf(metadata).map((i) => i.sopInstanceUID) }, algorithm);
    if (choice.current) done.add(seriesInstanceUID);
  }
  return done;
}
