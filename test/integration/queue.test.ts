/**
 * `body-region queue` end to end with a real Redis and a real Orthanc: 300+ small series, three
 * worker processes of the real CLI, one SIGKILLed halfway, one SIGTERMed. Every CT/MR series ends
 * with exactly one line (no duplicates, not even for the job the killed worker had written but
 * not acknowledged), the bad ones are dead-lettered with their reason, and the lines equal a
 * single-process `classify --all` of the same archive.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeSeries, makeStructuredReport, newUid } from '../helpers/dicomFactory';
import { useArchive } from '../helpers/orthancFixture';
import { seriesLines, spawnWorker, waitFor, within } from '../helpers/queueRun';
import { useRedis } from '../helpers/redisFixture';
import { CLI_BIN, ensureCliBuilt, runCli, runCliWithStdout } from '../helpers/runCli';
import { LABEL_NAMES } from '../helpers/synthetic';
import { buildTinyModelDir, huForLabel, type TinyModelDir } from '../helpers/tinyModel';

const STUDIES = Number(process.env.BR_QUEUE_TEST_STUDIES ?? 61);
const SERIES_PER_STUDY = 5;
const archive = useArchive();
const redis = useRedis();
let tiny: TinyModelDir;
let work: string;
const imageSeries: string[] = [];
const badSeries: string[] = [];
let srSeries = '';

/** Breaks the RLE header of each frame (segment count 200): Orthanc stores it, nobody can decode it. */
function corruptRle(file: Uint8Array): Uint8Array {
  const out = Buffer.from(file);
  const pixelData = out.lastIndexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00]));
  const item = Buffer.from([0xfe, 0xff, 0x00, 0xe0]);
  const offsetTable = out.indexOf(item, pixelData);
  const frame = out.indexOf(item, offsetTable + 8 + out.readUInt32LE(offsetTable + 4));
  out.writeUInt32LE(200, frame + 8);
  return new Uint8Array(out);
}

const CT_REGIONS = ['HEAD', 'NECK', 'CHEST', 'ABDOMEN', 'PELVIS', 'THIGH', 'KNEE'];

beforeAll(async () => {
  ensureCliBuilt();
  tiny = buildTinyModelDir(20, 16, 0, 2000);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-test-'));
  const files: Uint8Array[] = [];
  for (let s = 0; s < STUDIES; s++) {
    const studyInstanceUID = newUid();
    for (let i = 0; i < SERIES_PER_STUDY; i++) {
      const region = CT_REGIONS[(s + i) % CT_REGIONS.length];
      const mr = i === 4;
      const series = await makeSeries({
        studyInstanceUID,
        seriesNumber: i + 1,
        slices: 2,
        rows: 16,
        columns: 16,
        modality: mr ? 'MR' : 'CT',
        pixel: () => huForLabel(LABEL_NAMES.indexOf(region)),
      });
      imageSeries.push(series.seriesInstanceUID);
      files.push(...series.files);
    }
  }
  const badStudy = newUid();
  for (let i = 0; i < 2; i++) {
    const bad = await makeSeries({
      studyInstanceUID: badStudy,
      seriesNumber: 20 + i,
      slices: 2,
      rows: 16,
      columns: 16,
      transferSyntax: 'rle',
    });
    badSeries.push(bad.seriesInstanceUID);
    files.push(...bad.files.map(corruptRle));
  }
  const sr = makeStructuredReport(badStudy);
  srSeries = sr.seriesInstanceUID;
  files.push(sr.bytes);
  await archive().store(files);
}, 240000);

afterAll(() => {
  for (const dir of [work, tiny?.dir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function queueStatusJson(): Promise<any> {
  const { code, stdout } = await runCliWithStdout(['queue', 'status', '--redis', redis().url, '--json']);
  expect(code).toBe(0);
  return JSON.parse(stdout);
}

const essentials = (l: Record<string, any>) => ({
  regions: l.regions,
  segments: l.segments,
  term: l.summary?.annexL?.term ?? null,
  error: l.error?.code ?? null,
  images: l.images?.length,
});

test('three workers, one SIGKILLed and one SIGTERMed: every series once, bad ones dead-lettered, same as classify', async () => {
  const dicomWeb = archive().dicomWebUrl;
  const out = path.join(work, 'queue.jsonl');
  const enq = await runCli([
    'queue',
    'enqueue',
    '--url',
    dicomWeb,
    '--all',
    '--redis',
    redis().url,
    '--model',
    tiny.dir,
    '--out',
    out,
    '-q',
  ]);
  expect(enq.stderr).toMatch(new RegExp(`${imageSeries.length + 2} enqueued .* 0 already in the queue, 0 already done, 1 not CT/MR`));
  expect(enq.code).toBe(0);

  const args = ['--redis', redis().url, '--model', tiny.dir, '--out', out, '--concurrency', '2', '--lock-ms', '3000', '--exit-when-idle'];
  // The SIGTERMed one has no grace period: its running jobs go back to the queue (the other path,
  // finishing them, is how every worker stops once the queue is empty).
  const workers = [spawnWorker(args), spawnWorker([...args, '--grace', '0']), spawnWorker(args)];
  // The single-process reference runs meanwhile (a real CLI process too): on 2 cores that costs
  // less wall time than running it first.
  const reference = path.join(work, 'classify.jsonl');
  const single = spawn(
    process.execPath,
    [CLI_BIN, 'classify', '--url', dicomWeb, '--all', '--mode', 'fast', '--model', tiny.dir, '--out', reference, '-q'],
    { stdio: 'ignore' },
  );
  const singleCode = new Promise((resolve) => single.on('exit', resolve));
  const [killed, stopped, survivor] = workers;
  try {
    await waitFor('a third of the series', () => seriesLines(out).length >= imageSeries.length / 3, 150000);
    killed.child.kill('SIGKILL');
    await waitFor('half of the series', () => seriesLines(out).length >= imageSeries.length / 2, 150000);
    stopped.child.kill('SIGTERM');
    // 2 when it was the one that dead-lettered a bad series.
    expect([0, 2]).toContain(await stopped.exited);
    expect(stopped.log()).toMatch(/SIGTERM: finishing the current jobs \(up to 0 ms\)/);
    const code = await within(survivor.exited, 150000);
    // 2: it dead-lettered a bad series (or 0 if another worker took both).
    expect([0, 2]).toContain(code);
  } finally {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  }
  expect(await singleCode).toBe(2); // classify: the two undecodable series
  const logs = workers.map((w) => w.log()).join('\n');
  // The killed worker's job was found stalled and run again by the others.
  expect(logs).toMatch(/stalled/);

  const lines = seriesLines(out);
  const count = new Map<string, number>();
  for (const l of lines) count.set(l.seriesInstanceUID, (count.get(l.seriesInstanceUID) ?? 0) + 1);
  expect([...count.values()].filter((n) => n !== 1)).toEqual([]);
  expect(new Set(count.keys())).toEqual(new Set([...imageSeries, ...badSeries]));
  expect(count.has(srSeries)).toBe(false);

  const ref = new Map(seriesLines(reference).map((l) => [l.seriesInstanceUID, l]));
  const differences = lines.filter((l) => JSON.stringify(essentials(l)) !== JSON.stringify(essentials(ref.get(l.seriesInstanceUID)!)));
  expect(differences.map((l) => l.seriesInstanceUID)).toEqual([]);
  expect(lines.filter((l) => l.error === null).length).toBe(imageSeries.length);
  expect(lines.every((l) => l.model?.sha256 && l.model.id === 'tiny-plumbing')).toBe(true);

  const status = await queueStatusJson();
  expect(status.counts).toEqual({ waiting: 0, active: 0, delayed: 0, done: imageSeries.length, failed: 2 });
  expect(status.lastFailures.map((f: any) => f.seriesInstanceUID).sort()).toEqual([...badSeries].sort());
  for (const f of status.lastFailures)
    expect(f.reason).toMatch(/^all-frames-failed: no image could be classified: fetch failed: RLE header has 200 segments/);

  // retry-failed puts the dead-letter list back; drain removes what waits.
  const retried = await runCli(['queue', 'retry-failed', '--redis', redis().url]);
  expect(retried.stderr).toMatch(/2 failed series back in queue body-region/);
  expect((await queueStatusJson()).counts).toMatchObject({ waiting: 2, failed: 0 });
  const drained = await runCli(['queue', 'drain', '--redis', redis().url]);
  expect(drained.stderr).toMatch(/removed 2 waiting jobs/);
  expect((await queueStatusJson()).counts).toMatchObject({ waiting: 0, failed: 0, done: imageSeries.length });

  // Re-running enqueue adds nothing: every job id is known, every good series is in the output.
  const again = await runCli([
    'queue',
    'enqueue',
    '--url',
    dicomWeb,
    '--all',
    '--redis',
    redis().url,
    '--model',
    tiny.dir,
    '--out',
    out,
    '-q',
  ]);
  // (the two drained bad series are new again: their jobs were removed and they have no good line)
  expect(again.stderr).toMatch(new RegExp(`: 2 enqueued .* 0 already in the queue, ${imageSeries.length} already done`));
}, 420000);
