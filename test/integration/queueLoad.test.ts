/**
 * Load case of `body-region queue`: the archive answers slowly and now and then fails (the fault
 * proxy), Redis needs a password (from the environment and a file, never argv) and is restarted in
 * the middle of the run. The run finishes and nothing is lost: every series labelled exactly once.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startFaultProxy, type FaultProxy } from '../helpers/faultProxy';
import { useArchive } from '../helpers/orthancFixture';
import { makeTinyStudy, seriesLines, spawnWorker, waitFor, within } from '../helpers/queueRun';
import { useRedis } from '../helpers/redisFixture';
import { ensureCliBuilt, runCli, runCliWithStdout } from '../helpers/runCli';
import { buildTinyModelDir, type TinyModelDir } from '../helpers/tinyModel';

const PASSWORD = `pw-${process.pid}-${Date.now()}`;
const archive = useArchive();
const redis = useRedis({ appendOnly: true, password: PASSWORD });
let tiny: TinyModelDir;
let work: string;
let proxy: FaultProxy;
const series: string[] = [];
/** Series whose metadata fails twice before it is served: more than one worker attempt's retries. */
const flaky = new Map<string, number>();

beforeAll(async () => {
  ensureCliBuilt();
  tiny = buildTinyModelDir(20, 16, 0, 2000);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-load-'));
  const files: Uint8Array[] = [];
  for (let s = 0; s < 8; s++) {
    const study = await makeTinyStudy(5);
    series.push(...study.series);
    files.push(...study.files);
  }
  await archive().store(files);
  for (const uid of series.slice(0, 3)) flaky.set(uid, 0);
  proxy = await startFaultProxy(archive().orthanc.url);
  proxy.plan = (req, index) => {
    const url = req.url ?? '';
    if (url.endsWith('/metadata')) {
      const uid = [...flaky.keys()].find((u) => url.includes(u));
      if (uid && flaky.get(uid)! < 2) {
        flaky.set(uid, flaky.get(uid)! + 1);
        return { kind: 'status', status: 503 };
      }
    }
    // A slow archive, and every 11th answer a passing 502 (the per-request retry absorbs it).
    if (index % 11 === 5) return { kind: 'status', status: 502 };
    return { kind: 'delay', ms: 40 };
  };
}, 180000);

afterAll(async () => {
  await proxy?.stop();
  for (const dir of [work, tiny?.dir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('slow, flaky archive and a Redis restart mid-run: finishes, every series once, nothing lost', async () => {
  const passwordFile = path.join(work, 'redis-password');
  fs.writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  const out = path.join(work, 'load.jsonl');
  const dicomWeb = `${proxy.url}/dicom-web`;
  // Without the password Redis refuses, with a message that says where the password goes.
  const refused = await runCli(['queue', 'status', '--redis', redis().url]);
  expect(refused.code).toBe(3);
  expect(refused.stderr).toMatch(/NOAUTH.*BODY_REGION_REDIS_PASSWORD/);
  const enq = await runCli([
    'queue',
    'enqueue',
    '--url',
    dicomWeb,
    '--all',
    '--redis',
    redis().url,
    '--redis-password-file',
    passwordFile,
    '--model',
    tiny.dir,
    '--backoff',
    '300',
    '-q',
  ]);
  expect(enq.stderr).toMatch(/40 enqueued/);

  const env = { ...process.env, BODY_REGION_REDIS_PASSWORD: PASSWORD };
  const args = [
    '--redis',
    redis().url,
    '--model',
    tiny.dir,
    '--out',
    out,
    '--concurrency',
    '2',
    '--retries',
    '1',
    '--lock-ms',
    '3000',
    '--exit-when-idle',
  ];
  const workers = [spawnWorker(args, env), spawnWorker(args, env)];
  try {
    await waitFor('a third of the series', () => seriesLines(out).length >= 13, 120000);
    const atRestart = seriesLines(out).length;
    await redis().restart(1500);
    expect(atRestart).toBeLessThan(series.length / 2);
    const codes = await within(Promise.all(workers.map((w) => w.exited)), 150000);
    expect(codes).toEqual([0, 0]);
  } finally {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  }
  const logs = workers.map((w) => w.log()).join('\n');
  expect(logs).toMatch(/archive fault \(\d more tries, with backoff\): series metadata could not be fetched: HTTP 503/);
  expect(logs).not.toContain(PASSWORD);

  const lines = seriesLines(out);
  expect(lines.length).toBe(series.length);
  expect(new Set(lines.map((l) => l.seriesInstanceUID))).toEqual(new Set(series));
  expect(lines.filter((l) => l.error !== null)).toEqual([]);
  for (const l of lines) expect(l.regions.length).toBe(1);

  process.env.BODY_REGION_REDIS_PASSWORD = PASSWORD;
  let status;
  try {
    const { code, stdout } = await runCliWithStdout(['queue', 'status', '--redis', redis().url, '--json']);
    expect(code).toBe(0);
    status = JSON.parse(stdout);
  } finally {
    delete process.env.BODY_REGION_REDIS_PASSWORD;
  }
  expect(status.counts).toEqual({ waiting: 0, active: 0, delayed: 0, done: series.length, failed: 0 });
}, 300000);

test('SIGTERM with no grace period hands the running jobs back untouched; status tells what is left', async () => {
  const out = path.join(work, 'release.jsonl');
  const env = { ...process.env, BODY_REGION_REDIS_PASSWORD: PASSWORD };
  const queueArgs = ['--redis', redis().url, '--queue', 'release'];
  process.env.BODY_REGION_REDIS_PASSWORD = PASSWORD;
  try {
    const enq = await runCli(['queue', 'enqueue', '--url', `${proxy.url}/dicom-web`, '--all', ...queueArgs, '--model', tiny.dir, '-q']);
    expect(enq.stderr).toMatch(/40 enqueued in release/);
    // Slow archive (40 ms a request): when the first line is written, the other job is half-way.
    const worker = spawnWorker([...queueArgs, '--model', tiny.dir, '--out', out, '--concurrency', '2', '--grace', '0'], env);
    try {
      await waitFor('the first line', () => seriesLines(out).length >= 1, 120000);
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    } finally {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    }
    expect(worker.log()).toMatch(/released back to the queue/);
    const written = seriesLines(out).length;
    const status = await runCliWithStdout(['queue', 'status', ...queueArgs]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(
      `queue release: waiting ${40 - written}, active 0, delayed (retry backoff) 0, done ${written}, failed 0`,
    );
    expect(status.stdout).toMatch(/throughput: .*; ETA /);
  } finally {
    delete process.env.BODY_REGION_REDIS_PASSWORD;
  }
}, 180000);
