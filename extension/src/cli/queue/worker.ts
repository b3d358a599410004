/**
 * `body-region queue worker`: takes series jobs from the queue and classifies them, as many at a
 * time as `--concurrency`, on as many machines as reach Redis and the archive.
 * - An archive fault (network, timeout, 5xx) fails the attempt: BullMQ retries it with
 *   exponential backoff, and moves it to the failed set (the dead-letter list) after the last try.
 * - A fault of the series itself (bad pixel data, unsupported syntax, no images) gets its error
 *   line in the output and goes to the failed set at once (UnrecoverableError), with its reason.
 * - SIGTERM/SIGINT: no new jobs; running ones finish within `--grace`, else go back to the queue.
 * - A SIGKILLed worker's jobs stay locked until their lock expires (`--lock-ms`); then another
 *   worker's stalled-job check puts them back, and the sink's isDone skips what was already written.
 * - `--stow`: the SR sink stores an SR per series on the archive; see srResultSink.ts for its faults.
 */
import { Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type IORedis from 'ioredis';
import { DicomWebArchive } from '../../engine/fetch/dicomWebArchive';
import { DicomWebPixelSource } from '../../engine/fetch/DicomWebPixelSource';
import { AbortError } from '../../engine/fetch/retry';
import type { SliceClassifier } from '../../engine/pipeline';
import { ArchiveFault, classifyArchiveSeries } from '../archiveSeries';
import type { ModelKey } from '../loadModel';
import { ProgressReporter } from '../progress';
import { isFailure } from '../seriesRunner';
import type { SeriesJobData } from './jobs';
import type { SeriesResultSink } from './resultSink';

export interface WorkerOptions {
  connection: IORedis;
  queueName: string;
  model: SliceClassifier;
  modelKey: ModelKey;
  mode: 'exhaustive' | 'fast';
  sink: SeriesResultSink;
  /** Series at a time in this process. */
  concurrency: number;
  /** Frames fetched at a time per series. */
  frameConcurrency: number;
  /** Overrides the archive URL of the jobs. */
  url?: string;
  headers: Record<string, string>;
  retries: number;
  timeoutMs: number;
  lockMs: number;
  graceMs: number;
  /** Stop when the queue has nothing waiting, delayed or active (batch runs, tests, benchmarks). */
  exitWhenIdle: boolean;
  log: (line: string) => void;
}

export interface WorkerStats {
  jobs: number;
  labelled: number;
  skippedDone: number;
  deadLettered: number;
  retried: number;
  released: number;
  /** Sum of the time jobs spent in the processor, ms. */
  busyMs: number;
  /** From the first job's start to the last job's end, ms. */
  spanMs: number;
}

export async function runWorker(opts: WorkerOptions): Promise<WorkerStats> {
  const archives = new Map<string, { archive: DicomWebArchive; pixels: DicomWebPixelSource }>();
  const archiveFor = (url: string) => {
    let a = archives.get(url);
    if (!a) {
      const archive = new DicomWebArchive({
        url,
        headers: opts.headers,
        concurrency: opts.frameConcurrency,
        retries: opts.retries,
        timeoutMs: opts.timeoutMs,
      });
      a = { archive, pixels: new DicomWebPixelSource(archive) };
      archives.set(url, a);
    }
    return a;
  };
  const stats: WorkerStats = { jobs: 0, labelled: 0, skippedDone: 0, deadLettered: 0, retried: 0, released: 0, busyMs: 0, spanMs: 0 };
  let firstStart = 0;
  let lastEnd = 0;
  const release = new AbortController();
  const quiet = new ProgressReporter(process.stderr, true);

  const processor = async (job: Job<SeriesJobData>, token?: string) => {
    const t0 = Date.now();
    if (!firstStart) firstStart = t0;
    stats.jobs++;
    const d = job.data;
    try {
      if (d.modelSha256 !== opts.modelKey.sha256) {
        throw new UnrecoverableError(
          `wrong-model: enqueued for model sha ${d.modelSha256.slice(0, 12)}, this worker has ${opts.modelKey.sha256.slice(0, 12)}`,
        );
      }
      const { archive, pixels } = archiveFor(opts.url ?? d.url);
      const series = { studyInstanceUID: d.studyInstanceUID, seriesInstanceUID: d.seriesInstanceUID, archive };
      if (await opts.sink.isDone(series)) {
        stats.skippedDone++;
        opts.log(`${d.seriesInstanceUID}: already in the output, skipped`);
        return { regions: null, skipped: true };
      }
      const label = { index: 0, total: 0, seriesInstanceUID: d.seriesInstanceUID, modality: d.modality };
      let result;
      try {
        result = await classifyArchiveSeries(archive, pixels, d, {
          model: opts.model,
          mode: opts.mode,
          concurrency: opts.frameConcurrency,
          signal: release.signal,
          progress: quiet,
          label,
          archiveFaults: 'throw',
          metadata: opts.sink.takeMetadata?.(series),
        });
      } catch (error) {
        if (error instanceof AbortError && release.signal.aborted && token) {
          // Shutting down past the grace period: hand the job back untouched (no attempt used).
          await job.moveToWait(token);
          stats.released++;
          opts.log(`${d.seriesInstanceUID}: released back to the queue`);
          throw new WaitingError();
        }
        throw error;
      }
      const written = await opts.sink.write(result, series);
      if (isFailure(result)) {
        opts.log(`${d.seriesInstanceUID}: dead-letter: ${result.error!.code}: ${result.error!.message}`);
        throw new UnrecoverableError(`${result.error!.code}: ${result.error!.message}`);
      }
      stats.labelled++;
      opts.log(
        `${d.seriesInstanceUID} ${d.modality}: ${result.error ? result.error.code : result.regions.join(', ') || 'no region'}${written ? '' : ' (already in the output)'}`,
      );
      return { regions: result.regions, skipped: false };
    } catch (error) {
      // Archive faults (reading the series, or storing its SR) are retried with backoff by the queue.
      if (error instanceof ArchiveFault) {
        const left = (job.opts.attempts ?? 1) - job.attemptsMade - 1;
        if (left > 0) stats.retried++;
        opts.log(
          `${d.seriesInstanceUID}: archive fault (${left > 0 ? `${left} more tries, with backoff` : 'no tries left: dead-letter'}): ${error.message}`,
        );
      }
      if (error instanceof UnrecoverableError) {
        stats.deadLettered++;
        if (error.message.startsWith('sr-refused')) opts.log(`${d.seriesInstanceUID}: dead-letter: ${error.message}`);
      }
      throw error;
    } finally {
      lastEnd = Date.now();
      stats.busyMs += lastEnd - t0;
    }
  };

  const worker = new Worker<SeriesJobData>(opts.queueName, processor, {
    connection: opts.connection,
    concurrency: opts.concurrency,
    lockDuration: opts.lockMs,
    stalledInterval: Math.max(1000, Math.round(opts.lockMs / 2)),
    // One SIGKILL (or two) must not dead-letter a series; a series that kills every worker will.
    maxStalledCount: 3,
    autorun: false,
  });
  worker.on('error', (e) => opts.log(`queue connection: ${e.message}`));
  worker.on('stalled', (jobId) => opts.log(`job ${jobId} stalled (its worker stopped renewing the lock): back in the queue`));

  let stopping = false;
  let graceTimer: NodeJS.Timeout | undefined;
  const stop = (why: string) => {
    if (stopping) {
      release.abort();
      return;
    }
    stopping = true;
    opts.log(`${why}: finishing the current jobs (up to ${opts.graceMs} ms), then stopping`);
    graceTimer = setTimeout(() => release.abort(), opts.graceMs);
    void worker.close();
  };
  const onSigterm = () => stop('SIGTERM');
  const onSigint = () => stop('SIGINT');
  process.on('SIGTERM', onSigterm);
  process.on('SIGINT', onSigint);

  let idleTimer: NodeJS.Timeout | undefined;
  const queue = new Queue(opts.queueName, { connection: opts.connection });
  if (opts.exitWhenIdle) {
    const check = async () => {
      try {
        const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'paused');
        // A killed worker's job stays active until its lock expires: wait for it too.
        if (Object.values(counts).every((n) => n === 0) && !stopping) stop('queue empty');
      } catch {
        // Redis away for a moment: ask again.
      }
      if (!stopping) idleTimer = setTimeout(check, 1000);
    };
    idleTimer = setTimeout(check, 1000);
  }

  try {
    await worker.run();
    await worker.close();
  } finally {
    clearTimeout(graceTimer);
    clearTimeout(idleTimer);
    await queue.close();
    process.removeListener('SIGTERM', onSigterm);
    process.removeListener('SIGINT', onSigint);
  }
  stats.spanMs = firstStart ? lastEnd - firstStart : 0;
  return stats;
}
