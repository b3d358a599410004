/**
 * `body-region queue worker --stow` on a real Redis and a real Orthanc (behind a recording proxy):
 * one SR per series written on the archive of the job, with the worker's headers, even when a
 * worker is SIGKILLed in the middle; a second `enqueue` skips every series by its SR; a job run
 * again writes no second SR; an archive that refuses STOW dead-letters the series with the reason,
 * keeps the JSON Lines, and `retry-failed` writes the SRs once the archive accepts them; a passing
 * STOW fault (503) is retried.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DicomWebArchive } from '../../extension/src/engine/fetch/dicomWebArchive';
import { findStudySrs } from '../../extension/src/engine/report/findSrs';
import { algorithmIdentityOf } from '../../extension/src/cli/archiveSrs';
import { installXhrPolyfill } from '../../extension/src/cli/xhrPolyfill';
import { expectValidSr } from '../helpers/dciodvfy';
import { startFaultProxy, type FaultProxy } from '../helpers/faultProxy';
import { useArchive } from '../helpers/orthancFixture';
import { makeTinyStudy, seriesLines, spawnWorker, waitFor, within } from '../helpers/queueRun';
import { useRedis } from '../helpers/redisFixture';
import { ensureCliBuilt, runCli, runCliWithStdout } from '../helpers/runCli';
import { buildTinyModelDir, type TinyModelDir } from '../helpers/tinyModel';

const archive = useArchive();
const redis = useRedis();
let tiny: TinyModelDir;
let work: string;
let proxy: FaultProxy;
const studies: string[] = [];
const series: string[] = [];
const TOKEN_HEADER = 'X-Site-Token: queue-sr-test';

const direct = () => new DicomWebArchive({ url: archive().dicomWebUrl });
const posts = () => proxy.requests.filter((r) => r.method === 'POST');

async function storeStudy(nSeries: number): Promise<{ study: string; series: string[] }> {
  const { studyInstanceUID, series, files } = await makeTinyStudy(nSeries);
  await archive().store(files);
  return { study: studyInstanceUID, series };
}

/** Our SRs in the archive (QIDO per study), by the series they label. */
async function srsBySeries(studyUids: string[]): Promise<Map<string, string[]>> {
  const by = new Map<string, string[]>();
  for (const study of studyUids) {
    const found = await findStudySrs(direct(), study);
    for (const sr of found.ours)
      by.set(sr.referencedSeriesInstanceUID, [...(by.get(sr.referencedSeriesInstanceUID) ?? []), sr.sopInstanceUID]);
  }
  return by;
}

const enqueue = (queue: string, extra: string[]) =>
  runCli([
    'queue',
    'enqueue',
    '--url',
    `${proxy.url}/dicom-web`,
    '--redis',
    redis().url,
    '--queue',
    queue,
    '--model',
    tiny.dir,
    '-q',
    ...extra,
  ]);

const workerArgs = (queue: string, out: string, extra: string[] = []) => [
  '--redis',
  redis().url,
  '--queue',
  queue,
  '--model',
  tiny.dir,
  '--out',
  out,
  '--stow',
  '--header',
  TOKEN_HEADER,
  '--retries',
  '0',
  '--exit-when-idle',
  ...extra,
];

async function runWorkerToEnd(queue: string, out: string, extra: string[] = []): Promise<{ code: number | null | 'timeout'; log: string }> {
  const w = spawnWorker(workerArgs(queue, out, extra));
  try {
    const code = await within(w.exited, 60000);
    return { code, log: w.log() };
  } finally {
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  }
}

beforeAll(async () => {
  installXhrPolyfill();
  ensureCliBuilt();
  tiny = buildTinyModelDir(20, 16, 0, 2000);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-sr-'));
  for (let s = 0; s < 4; s++) {
    const { study, series: uids } = await storeStudy(3);
    studies.push(study);
    series.push(...uids);
  }
  proxy = await startFaultProxy(archive().orthanc.url);
}, 120000);

afterAll(async () => {
  await proxy?.stop();
  for (const dir of [work, tiny?.dir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('--stow: one SR per series even with a worker SIGKILLed mid-run; a second enqueue skips them all by their SR', async () => {
  const out = path.join(work, 'stow.jsonl');
  const enq = await enqueue('sr', ['--all']);
  expect(enq.stderr).toMatch(/12 enqueued/);
  const extra = ['--lock-ms', '2000'];
  const killed = spawnWorker(workerArgs('sr', out, extra));
  let survivor;
  try {
    await waitFor('the first SR', () => /stored on the archive/.test(killed.log()), 60000);
    killed.child.kill('SIGKILL');
    survivor = await runWorkerToEnd('sr', out, extra);
  } finally {
    if (killed.child.exitCode === null && killed.child.signalCode === null) killed.child.kill('SIGKILL');
  }
  expect(survivor.code).toBe(0);

  const srs = await srsBySeries(studies);
  expect([...srs.keys()].sort()).toEqual([...series].sort());
  for (const uids of srs.values()) expect(uids).toHaveLength(1);
  const lines = seriesLines(out);
  expect(new Set(lines.map((l) => l.seriesInstanceUID))).toEqual(new Set(series));
  expect(lines).toHaveLength(series.length);
  // STOW went to the job's archive with the worker's header, once per series.
  expect(posts()).toHaveLength(series.length);
  for (const p of posts()) expect(p.headers['x-site-token']).toBe('queue-sr-test');

  const found = await findStudySrs(direct(), studies[0]);
  const sr = found.ours[0];
  expect(sr.algorithm).toEqual(algorithmIdentityOf(tiny.manifest, tiny.dir));
  const bytes = new Uint8Array(
    await direct().retrieveInstance({
      studyInstanceUID: studies[0],
      seriesInstanceUID: sr.seriesInstanceUID,
      sopInstanceUID: sr.sopInstanceUID,
    }),
  );
  expectValidSr(bytes);

  // Another queue (no job ids there) and no --out: every series is skipped by its SR alone.
  const again = await enqueue('sr-again', ['--all']);
  expect(again.code).toBe(0);
  expect(again.stderr).toMatch(/0 enqueued .* 12 already done \(12 by their SR in the archive\)/);
}, 120000);

test('a job run again writes no second SR: skipped by the output, or classified again and found stored', async () => {
  const before = posts().length;
  // --no-read-back: enqueued although the SRs exist (as after a SIGKILL between STOW and the job's end).
  expect((await enqueue('rerun', ['--all', '--no-read-back'])).stderr).toMatch(/12 enqueued/);
  const sameOut = await runWorkerToEnd('rerun', path.join(work, 'stow.jsonl'));
  expect(sameOut.code).toBe(0);
  expect(sameOut.log.match(/already in the output, skipped/g)).toHaveLength(12);

  expect((await enqueue('rerun-fresh', ['--all', '--no-read-back'])).stderr).toMatch(/12 enqueued/);
  const freshOut = path.join(work, 'fresh.jsonl');
  const fresh = await runWorkerToEnd('rerun-fresh', freshOut);
  expect(fresh.code).toBe(0);
  expect(seriesLines(freshOut)).toHaveLength(12);
  expect(fresh.log).toMatch(/"srs":\{"written":0,"alreadyStored":12,"notStored":0\}/);
  expect(posts().length).toBe(before);
  for (const uids of (await srsBySeries(studies)).values()) expect(uids).toHaveLength(1);
}, 120000);

test('an archive that refuses STOW: dead-letter with the reason, JSON Lines kept; retry-failed stores the SRs', async () => {
  const refused = await storeStudy(2);
  const out = path.join(work, 'refused.jsonl');
  expect((await enqueue('refused', ['--study', refused.study, '--backoff', '100'])).stderr).toMatch(/2 enqueued/);
  proxy.plan = (req) => (req.method === 'POST' ? { kind: 'status', status: 403 } : { kind: 'forward' });
  try {
    const first = await runWorkerToEnd('refused', out);
    expect(first.code).toBe(2); // some series failed (dead-lettered)
    expect(first.log).toMatch(/dead-letter: sr-refused: the archive .* refused to store the SR \(HTTP 403: not allowed to write/);
  } finally {
    proxy.plan = () => ({ kind: 'forward' });
  }
  expect(
    seriesLines(out)
      .map((l) => l.seriesInstanceUID)
      .sort(),
  ).toEqual([...refused.series].sort());
  expect((await srsBySeries([refused.study])).size).toBe(0);
  const status = await runCliWithStdout(['queue', 'status', '--redis', redis().url, '--queue', 'refused', '--json']);
  const failures = JSON.parse(status.stdout).lastFailures as Array<{ reason: string }>;
  expect(failures.map((f) => f.reason)).toEqual([expect.stringMatching(/^sr-refused: /), expect.stringMatching(/^sr-refused: /)]);

  expect((await runCli(['queue', 'retry-failed', '--redis', redis().url, '--queue', 'refused'])).code).toBe(0);
  const second = await runWorkerToEnd('refused', out);
  expect(second.code).toBe(0);
  const srs = await srsBySeries([refused.study]);
  expect([...srs.keys()].sort()).toEqual([...refused.series].sort());
  for (const uids of srs.values()) expect(uids).toHaveLength(1);
  expect(seriesLines(out)).toHaveLength(2); // no second line
}, 120000);

test('a passing STOW fault (503) is retried with backoff like any archive fault: one SR, one line', async () => {
  const flaky = await storeStudy(1);
  const out = path.join(work, 'flaky.jsonl');
  expect((await enqueue('flaky', ['--study', flaky.study, '--backoff', '100'])).stderr).toMatch(/1 enqueued/);
  let refusals = 0;
  proxy.plan = (req) => (req.method === 'POST' && refusals++ === 0 ? { kind: 'status', status: 503 } : { kind: 'forward' });
  try {
    const run = await runWorkerToEnd('flaky', out);
    expect(run.code).toBe(0);
    expect(run.log).toMatch(/archive fault \(\d more tries, with backoff\): the archive .* failed to store the SR \(HTTP 503/);
  } finally {
    proxy.plan = () => ({ kind: 'forward' });
  }
  expect(seriesLines(out)).toHaveLength(1);
  expect([...(await srsBySeries([flaky.study])).values()]).toEqual([[expect.any(String)]]);
}, 60000);
