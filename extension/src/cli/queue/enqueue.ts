/**
 * `body-region queue enqueue`: one job per CT/MR series of the chosen studies. Re-runnable at any
 * time: a series with a job id already in Redis (waiting, active, done or failed) is not added
 * again, and a series with a successful line of the same model in `--out`, or with our current SR
 * of the model in the archive (same instances), is skipped.
 */
import { Queue } from 'bullmq';
import type IORedis from 'ioredis';
import { DicomWebArchive, describeError } from '../../engine/fetch/dicomWebArchive';
import type { AlgorithmIdentity } from '../../engine/report/algorithmIdentity';
import { AbortError, HttpError } from '../../engine/fetch/retry';
import { listSeriesOfStudy, listStudyUids, type SeriesRef, type StudySelection } from '../archiveListing';
import { CliError, ExitCode } from '../exitCodes';
import type { ModelKey } from '../loadModel';
import { seriesWithCurrentSr } from './srResultSink';
import { jobOptions, QUEUED_MODALITIES, seriesJobId, type JobPolicy, type SeriesJobData } from './jobs';

export interface EnqueueOptions {
  connection: IORedis;
  queueName: string;
  url: string;
  selection: StudySelection;
  headers: Record<string, string>;
  retries: number;
  timeoutMs: number;
  modelKey: ModelKey;
  policy: JobPolicy;
  /** Series already done (successful lines of this model in --out). */
  done: Set<string>;
  /** Look for our SRs of this algorithm in the archive: series with a current one are done too. */
  srAlgorithm?: AlgorithmIdentity;
  pageSize?: number;
  signal?: AbortSignal;
  log: (line: string) => void;
}

export interface EnqueueReport {
  studies: number;
  series: number;
  otherModality: number;
  alreadyDone: number;
  /** Of alreadyDone: by our current SR in the archive. */
  srDone: number;
  alreadyQueued: number;
  added: number;
}

const BATCH = 500;

export async function enqueueSeries(opts: EnqueueOptions): Promise<EnqueueReport> {
  const archive = new DicomWebArchive({ url: opts.url, headers: opts.headers, retries: opts.retries, timeoutMs: opts.timeoutMs });
  const queue = new Queue<SeriesJobData>(opts.queueName, { connection: opts.connection });
  const report: EnqueueReport = { studies: 0, series: 0, otherModality: 0, alreadyDone: 0, srDone: 0, alreadyQueued: 0, added: 0 };
  try {
    let studies: string[];
    try {
      studies = await listStudyUids(archive, opts.selection, opts.signal, opts.pageSize);
    } catch (error) {
      throw archiveError(opts.url, error);
    }
    report.studies = studies.length;
    let pending: SeriesRef[] = [];
    const flush = async () => {
      if (pending.length) await addBatch(queue, opts, pending, report);
      pending = [];
    };
    for (const study of studies) {
      let series: SeriesRef[];
      try {
        series = await listSeriesOfStudy(archive, study, opts.signal, opts.pageSize);
      } catch (error) {
        throw archiveError(opts.url, error);
      }
      const todo: SeriesRef[] = [];
      for (const s of series) {
        report.series++;
        if (!QUEUED_MODALITIES.has(s.modality)) report.otherModality++;
        else if (opts.done.has(s.seriesInstanceUID)) report.alreadyDone++;
        else todo.push(s);
      }
      const withSr = await srDoneOf(archive, study, todo, opts);
      report.alreadyDone += withSr.size;
      report.srDone += withSr.size;
      pending.push(...todo.filter((s) => !withSr.has(s.seriesInstanceUID)));
      if (pending.length >= BATCH) await flush();
    }
    await flush();
    return report;
  } finally {
    await queue.close();
  }
}

async function addBatch(queue: Queue<SeriesJobData>, opts: EnqueueOptions, refs: SeriesRef[], report: EnqueueReport): Promise<void> {
  const ids = refs.map((r) => seriesJobId(r.seriesInstanceUID, opts.modelKey));
  // BullMQ ignores an add whose id exists; count those so the report says what is new.
  const exists = await Promise.all(ids.map((id) => opts.connection.exists(queue.toKey(id))));
  const fresh = refs.filter((_, i) => exists[i] === 0);
  report.alreadyQueued += refs.length - fresh.length;
  await queue.addBulk(
    fresh.map((r) => ({
      name: 'series',
      data: { ...r, url: opts.url, modelSha256: opts.modelKey.sha256 },
      opts: jobOptions(seriesJobId(r.seriesInstanceUID, opts.modelKey), opts.policy),
    })),
  );
  report.added += fresh.length;
  opts.log(`enqueued ${report.added} series so far (${report.alreadyQueued} already in the queue, ${report.alreadyDone} already done)`);
}

/** Series of the study with our current SR; a failed look is a warning (the series is enqueued). */
async function srDoneOf(archive: DicomWebArchive, study: string, todo: SeriesRef[], opts: EnqueueOptions): Promise<Set<string>> {
  if (!opts.srAlgorithm || todo.length === 0) return new Set();
  try {
    return await seriesWithCurrentSr(
      archive,
      study,
      todo.map((s) => s.seriesInstanceUID),
      opts.srAlgorithm,
      opts.signal,
    );
  } catch (error) {
    if (error instanceof AbortError) throw error;
    opts.log(`warning: could not look for SRs in study ${study}: ${describeError(error)}; its series are enqueued`);
    return new Set();
  }
}

function archiveError(url: string, error: unknown): Error {
  if (error instanceof AbortError) return error;
  const denied = error instanceof HttpError && (error.status === 401 || error.status === 403);
  return new CliError(
    `archive ${url} could not be listed: ${describeError(error)}${denied ? ' (authorization refused: check --header)' : ''}`,
    ExitCode.ArchiveUnreachable,
  );
}
