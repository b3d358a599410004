/** The `body-region queue …` subcommands (docs/CLI.md, docs/ARCHIVE.md). */
import { Command, InvalidArgumentError, Option } from 'commander';
import type IORedis from 'ioredis';
import { DEFAULT_MODEL_DIR, readManifest } from '../../engine/infer/loadModelNode';
import { algorithmIdentityOf } from '../archiveSrs';
import { CliError, ExitCode } from '../exitCodes';
import { parseHeaders } from '../headers';
import { loadModel, modelKeyOfDir } from '../loadModel';
import { installXhrPolyfill } from '../xhrPolyfill';
import { drainQueue, formatStatus, queueStatus, retryFailed } from './admin';
import { enqueueSeries } from './enqueue';
import { DEFAULT_POLICY, DEFAULT_QUEUE } from './jobs';
import { closeRedis, connectRedis, redactedRedisUrl, REDIS_PASSWORD_ENV, type RedisFlags } from './redisConnection';
import { AllSinks, JsonlResultSink, type SeriesResultSink } from './resultSink';
import { SrResultSink } from './srResultSink';
import { runWorker } from './worker';

interface QueueFlags extends RedisFlags {
  queue: string;
  quiet?: boolean;
}

const int = (min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`);
  return n;
};
const collect = (value: string, previous: string[] = []) => [...previous, value];

function sinceDate(value: string): string {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(value);
  if (!m) throw new InvalidArgumentError('expected a date, YYYY-MM-DD');
  return `${m[1]}${m[2]}${m[3]}`;
}

function addRedisOptions(cmd: Command): Command {
  return cmd
    .requiredOption(
      '--redis <url>',
      `Redis of the queue, e.g. redis://10.0.0.5:6379/0 (password from ${REDIS_PASSWORD_ENV} or --redis-password-file, never in the URL)`,
    )
    .option('--redis-password-file <file>', 'file holding the Redis password')
    .option('--queue <name>', 'queue name (one per archive and model, if several share a Redis)', DEFAULT_QUEUE)
    .option('-q, --quiet', 'only errors and the final summary on stderr');
}

type Run = (code: number) => void;

export function addQueueCommands(program: Command, setExit: Run): void {
  const queue = program
    .command('queue')
    .description('label a whole archive with many workers on a job queue (BullMQ on Redis): enqueue, worker, status, retry-failed, drain');

  addRedisOptions(
    queue
      .command('enqueue')
      .description('one job per CT/MR series of the chosen studies (re-runnable: known series are skipped)')
      .requiredOption('--url <url>', 'DICOMweb root, e.g. http://pacs:8042/dicom-web')
      .option('--all', 'every study the archive lists')
      .option('--since <date>', 'studies with a StudyDate on or after this day (YYYY-MM-DD)', sinceDate)
      .option('--study <uid>', 'StudyInstanceUID (repeatable)', collect)
      .option('--out <file>', 'JSON Lines of the workers: series with a successful line of this model are skipped')
      .option('--no-read-back', "do not look for our SRs in the archive (by default series with this model's current SR are skipped)")
      .option('--model <dir>', 'the model the jobs are for (its sha256 is part of each job id)', DEFAULT_MODEL_DIR)
      .option('--header <header>', 'HTTP header for the archive (repeatable; never logged)', collect)
      .option('--retries <n>', 'retries per archive request', int(0), 3)
      .option('--timeout <ms>', 'per-request timeout', int(1), 30000)
      .option('--page-size <n>', 'QIDO-RS limit asked per page (the archive may answer fewer)', int(1), 200)
      .option('--attempts <n>', 'tries per series before it is dead-lettered (archive faults)', int(1), DEFAULT_POLICY.attempts)
      .option('--backoff <ms>', 'first retry delay, doubling each try', int(0), DEFAULT_POLICY.backoffMs),
  ).action(async (flags) => setExit(await guarded(() => enqueueCommand(flags))));

  addRedisOptions(
    queue
      .command('worker')
      .description('classify series from the queue until stopped (SIGTERM: finish or release the current jobs)')
      .option('--out <file>', 'JSON Lines output, shared safely by the workers of a machine (required)')
      .option(
        '--stow',
        'also store each result as a DICOM SR on the archive of the job (STOW-RS; never twice for the same instances and model)',
      )
      .addOption(
        new Option('--mode <mode>', 'fast: samples and refines boundaries; exhaustive: every image')
          .choices(['exhaustive', 'fast'])
          .default('fast'),
      )
      .option('--model <dir>', 'folder with model.json, the ONNX file and labels.json', DEFAULT_MODEL_DIR)
      .option('--concurrency <n>', 'series classified at the same time by this process', int(1), 1)
      .option('--frame-concurrency <n>', 'frames fetched at the same time per series', int(1), 4)
      .option('--url <url>', "DICOMweb root to use instead of the jobs' (another route to the same archive)")
      .option('--header <header>', 'HTTP header for the archive (repeatable; never logged)', collect)
      .option('--retries <n>', 'retries per archive request (the queue retries the series after that)', int(0), 3)
      .option('--timeout <ms>', 'per-request timeout', int(1), 30000)
      .option('--lock-ms <ms>', "job lock; a killed worker's job returns to the queue after about this long", int(1000), 30000)
      .option('--grace <ms>', 'on SIGTERM, time for running jobs to finish before they are released', int(0), 30000)
      .option('--exit-when-idle', 'stop once nothing is waiting, delayed or running'),
  ).action(async (flags) => setExit(await guarded(() => workerCommand(flags))));

  addRedisOptions(queue.command('status').description('counts, throughput, ETA and the last failures with their reasons'))
    .option('--json', 'print the status as JSON')
    .option('--failures <n>', 'how many recent failures to list', int(0), 10)
    .action(async (flags) => setExit(await guarded(() => statusCommand(flags))));

  const change = (
    name: string,
    description: string,
    body: (connection: IORedis, queueName: string) => Promise<number>,
    said: (n: number, queueName: string) => string,
  ) =>
    addRedisOptions(queue.command(name).description(description)).action(async (flags: QueueFlags) =>
      setExit(
        await guarded(() =>
          withRedis(
            flags,
            async (connection) => (
              process.stderr.write(`body-region: ${said(await body(connection, flags.queue), flags.queue)}\n`),
              ExitCode.Ok
            ),
          ),
        ),
      ),
    );
  change(
    'retry-failed',
    'put every dead-lettered series back in the queue',
    retryFailed,
    (n, q) => `${n} failed series back in queue ${q}`,
  );
  change(
    'drain',
    'remove every waiting and delayed job (running ones finish; done and failed are kept)',
    drainQueue,
    (n, q) => `removed ${n} waiting jobs from queue ${q}`,
  );
}

/** A short-lived command's Redis connection, closed after the body. */
async function withRedis(flags: RedisFlags, body: (connection: IORedis) => Promise<number>): Promise<number> {
  const connection = await connectRedis(flags);
  try {
    return await body(connection);
  } finally {
    await closeRedis(connection);
  }
}

/** CliErrors become their exit code here, as in main(). */
async function guarded(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`body-region: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

interface EnqueueFlags extends QueueFlags {
  url: string;
  all?: boolean;
  since?: string;
  study?: string[];
  out?: string;
  readBack: boolean;
  model: string;
  header?: string[];
  retries: number;
  timeout: number;
  pageSize: number;
  attempts: number;
  backoff: number;
}

async function enqueueCommand(flags: EnqueueFlags): Promise<number> {
  const chosen = [flags.all, flags.since, flags.study?.length].filter(Boolean).length;
  if (chosen !== 1)
    throw new CliError('queue enqueue needs exactly one of --all, --since <date> or --study <uid> (repeatable)', ExitCode.Usage);
  const headers = parseHeaders(flags.header);
  const modelKey = modelKeyOfDir(flags.model);
  const done = flags.out ? new JsonlResultSink(flags.out, modelKey).doneSeries() : new Set<string>();
  installXhrPolyfill();
  const connection = await connectRedis(flags);
  const log = (line: string) => flags.quiet || process.stderr.write(`body-region: ${line}\n`);
  try {
    const r = await enqueueSeries({
      connection,
      queueName: flags.queue,
      url: flags.url,
      selection: { all: flags.all, since: flags.since, studies: flags.study },
      headers,
      retries: flags.retries,
      timeoutMs: flags.timeout,
      modelKey,
      policy: { attempts: flags.attempts, backoffMs: flags.backoff },
      done,
      srAlgorithm: flags.readBack ? algorithmIdentityOf(await manifestOf(flags.model), flags.model) : undefined,
      pageSize: flags.pageSize,
      log,
    });
    process.stderr.write(
      `body-region: ${r.studies} studies, ${r.series} series: ${r.added} enqueued in ${flags.queue} on ${redactedRedisUrl(flags.redis)}, ${r.alreadyQueued} already in the queue, ${r.alreadyDone} already done${r.srDone ? ` (${r.srDone} by their SR in the archive)` : ''}, ${r.otherModality} not CT/MR\n`,
    );
    return r.series === 0 ? ExitCode.NothingFound : ExitCode.Ok;
  } finally {
    await closeRedis(connection);
  }
}

interface WorkerFlags extends QueueFlags {
  out?: string;
  stow?: boolean;
  mode: 'exhaustive' | 'fast';
  model: string;
  concurrency: number;
  frameConcurrency: number;
  url?: string;
  header?: string[];
  retries: number;
  timeout: number;
  lockMs: number;
  grace: number;
  exitWhenIdle?: boolean;
}

async function workerCommand(flags: WorkerFlags): Promise<number> {
  if (!flags.out)
    throw new CliError('queue worker needs --out <file> (JSON Lines; shared safely by the workers of a machine)', ExitCode.Usage);
  const headers = parseHeaders(flags.header);
  const modelKey = modelKeyOfDir(flags.model);
  installXhrPolyfill();
  const model = await loadModel(flags.model);
  // Workers outlive Redis restarts: wait for the first answer longer than a short-lived command.
  const connection = await connectRedis(flags, 60000);
  const log = (line: string) => flags.quiet || process.stderr.write(`body-region: ${line}\n`);
  // JSON Lines first: a result is kept there even when the archive refuses its SR.
  const srs = flags.stow ? new SrResultSink(algorithmIdentityOf(model.manifest, flags.model), log) : null;
  const jsonl = new JsonlResultSink(flags.out, modelKey);
  const sink: SeriesResultSink = srs ? new AllSinks([jsonl, srs]) : jsonl;
  try {
    const stats = await runWorker({
      connection,
      queueName: flags.queue,
      model,
      modelKey,
      mode: flags.mode,
      sink,
      concurrency: flags.concurrency,
      frameConcurrency: flags.frameConcurrency,
      url: flags.url,
      headers,
      retries: flags.retries,
      timeoutMs: flags.timeout,
      lockMs: flags.lockMs,
      graceMs: flags.grace,
      exitWhenIdle: Boolean(flags.exitWhenIdle),
      log,
    });
    process.stderr.write(`body-region: worker stopped: ${JSON.stringify(srs ? { ...stats, srs: srs.counts } : stats)}\n`);
    return stats.deadLettered > 0 ? ExitCode.SomeSeriesFailed : ExitCode.Ok;
  } finally {
    await sink.close();
    await closeRedis(connection);
    await model.dispose().catch(() => undefined);
  }
}

async function manifestOf(dir: string) {
  try {
    return await readManifest(dir);
  } catch (error) {
    throw new CliError(`model failed to load from ${dir}: ${(error as Error).message}`, ExitCode.ModelFailed);
  }
}

async function statusCommand(flags: QueueFlags & { json?: boolean; failures: number }): Promise<number> {
  return withRedis(flags, async (connection) => {
    const status = await queueStatus(connection, flags.queue, flags.failures);
    process.stdout.write(flags.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
    return ExitCode.Ok;
  });
}
