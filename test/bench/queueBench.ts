/**
 * `npm run bench:queue [-- --series N --slices K --workers 1,2,4 --json file]`: series/s of the
 * single-process CLI (`classify --all --mode fast`) against 1, 2 and 4 `queue worker` processes on
 * the same synthetic archive (a real loopback Orthanc) and a real Redis, in the same run, with the
 * queue's overhead per job. Wall times include each process's start-up (model load, ~1 s) and the
 * workers' idle check (≤ 1 s); the "steady" column counts from a worker's first job to its last.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command, InvalidArgumentError } from 'commander';
import { startOrthanc } from '../../extension/src/node/orthanc';
import { makeSeries, newUid } from '../helpers/dicomFactory';
import { stowRs } from '../helpers/orthancFixture';
import { startRedis } from '../helpers/redisFixture';
import { DEFAULT_MODEL_DIR, REPO_ROOT } from './paths';

const CLI = path.join(REPO_ROOT, 'bin/body-region.js');
const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

interface Run {
  label: string;
  processes: number;
  wallSeconds: number;
  seriesPerSecond: number;
  /** Series/s from the first job's start to the last job's end (workers only). */
  steadySeriesPerSecond: number | null;
}

function run(args: string[]): Promise<{ code: number | null; stderr: string; seconds: number }> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr, seconds: Number(process.hrtime.bigint() - t0) / 1e9 }));
  });
}

interface WorkerStats {
  jobs: number;
  busyMs: number;
  spanMs: number;
}
const statsOf = (stderr: string): WorkerStats => JSON.parse(/worker stopped: (\{.*\})/.exec(stderr)?.[1] ?? 'null');

async function main(): Promise<void> {
  const flags = new Command('bench:queue')
    .option('--series <n>', 'series in the archive', positiveInt, 60)
    .option('--slices <n>', 'images per series (64×64 CT)', positiveInt, 6)
    .option('--workers <list>', 'worker process counts to run', '1,2,4')
    .option('--model <dir>', 'model folder', DEFAULT_MODEL_DIR)
    .option('--json <file>', 'also write the results as JSON')
    .parse(process.argv)
    .opts<{ series: number; slices: number; workers: string; model: string; json?: string }>();
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const workerCounts = flags.workers.split(',').map(positiveInt);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-queue-'));
  const orthanc = await startOrthanc();
  const redis = await startRedis();
  const loadStart = os.loadavg();
  try {
    log(`making and storing ${flags.series} series of ${flags.slices} images…`);
    const files: Uint8Array[] = [];
    let study = newUid();
    for (let i = 0; i < flags.series; i++) {
      if (i % 5 === 0) study = newUid();
      files.push(
        ...(await makeSeries({ studyInstanceUID: study, seriesNumber: (i % 5) + 1, slices: flags.slices, rows: 64, columns: 64 })).files,
      );
    }
    await stowRs(orthanc.dicomWebUrl, files);

    const runs: Run[] = [];
    log('single-process CLI: classify --all --mode fast…');
    const single = await run([
      'classify',
      '--url',
      orthanc.dicomWebUrl,
      '--all',
      '--mode',
      'fast',
      '--model',
      flags.model,
      '--out',
      path.join(work, 'single.jsonl'),
      '-q',
    ]);
    if (single.code !== 0) throw new Error(`classify failed (${single.code}): ${single.stderr.slice(-500)}`);
    runs.push({
      label: 'classify (1 process)',
      processes: 1,
      wallSeconds: single.seconds,
      seriesPerSecond: flags.series / single.seconds,
      steadySeriesPerSecond: null,
    });

    let overheadMs: number | null = null;
    let enqueueSeconds = 0;
    for (const n of workerCounts) {
      const queue = `bench-${n}`;
      const redisArgs = ['--redis', redis.url, '--queue', queue];
      const enq = await run(['queue', 'enqueue', '--url', orthanc.dicomWebUrl, '--all', '--model', flags.model, ...redisArgs, '-q']);
      if (enq.code !== 0) throw new Error(`enqueue failed: ${enq.stderr.slice(-500)}`);
      enqueueSeconds = enq.seconds;
      log(`${n} worker process(es)…`);
      const t0 = Date.now();
      const outs = await Promise.all(
        Array.from({ length: n }, () =>
          run(['queue', 'worker', ...redisArgs, '--model', flags.model, '--out', path.join(work, `w${n}.jsonl`), '--exit-when-idle', '-q']),
        ),
      );
      const wall = (Date.now() - t0) / 1000;
      const stats = outs.map((o) => statsOf(o.stderr));
      if (outs.some((o) => o.code !== 0) || stats.some((s) => !s))
        throw new Error(`a worker failed: ${outs.map((o) => o.stderr.slice(-300)).join('\n')}`);
      const jobs = stats.reduce((a, s) => a + s.jobs, 0);
      if (jobs !== flags.series) throw new Error(`workers ran ${jobs} jobs for ${flags.series} series`);
      const steady = jobs / (Math.max(...stats.map((s) => s.spanMs)) / 1000);
      runs.push({
        label: `queue, ${n} worker${n > 1 ? 's' : ''}`,
        processes: n,
        wallSeconds: wall,
        seriesPerSecond: flags.series / wall,
        steadySeriesPerSecond: steady,
      });
      // One worker, one job at a time: time between jobs not spent classifying = the queue's cost per job.
      if (n === 1) overheadMs = (stats[0].spanMs - stats[0].busyMs) / stats[0].jobs;
    }

    const machine = `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, load ${loadStart.map((l) => l.toFixed(1)).join(' ')} → ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`;
    const lines = [
      `bench:queue — ${flags.series} series × ${flags.slices} images (64×64 CT), fast mode, ${new Date().toISOString()}`,
      `machine: ${machine}, Node ${process.version}`,
      '',
      '| run | processes | wall s | series/s (wall) | series/s (steady) |',
      '|---|---:|---:|---:|---:|',
      ...runs.map(
        (r) =>
          `| ${r.label} | ${r.processes} | ${r.wallSeconds.toFixed(1)} | ${r.seriesPerSecond.toFixed(2)} | ${r.steadySeriesPerSecond === null ? '–' : r.steadySeriesPerSecond.toFixed(2)} |`,
      ),
      '',
      `queue overhead per job (1 worker, between jobs, not classifying): ${overheadMs === null ? 'n/a' : `${overheadMs.toFixed(1)} ms`}`,
      `enqueue: ${flags.series} series in ${enqueueSeconds.toFixed(1)} s (QIDO paging + Redis, process start included)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (flags.json)
      fs.writeFileSync(
        flags.json,
        JSON.stringify({ series: flags.series, slices: flags.slices, machine, runs, overheadMs, enqueueSeconds }, null, 2),
      );
  } finally {
    await redis.stop();
    await orthanc.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench:queue: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
