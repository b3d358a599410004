/**
 * The `body-region` CLI end to end: classify (DICOMweb, real Orthanc) and classify-files, with the
 * plumbing-only tiny model (it labels a uniform CT image by its HU value, so the expected regions are
 * known). main() is called in-process; one test spawns the real bin/body-region.js.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ensureCliBuilt, runCli } from '../helpers/runCli';
import { validateSeriesResult } from '../../extension/src/engine/results/schema';
import { freePort } from '../../extension/src/node/orthanc';
import { makeSeries, makeStructuredReport, newUid, BuiltSeries } from '../helpers/dicomFactory';
import { startFaultProxy } from '../helpers/faultProxy';
import { useArchive } from '../helpers/orthancFixture';
import { buildTinyModelDir, huForLabel, TinyModelDir, REPO } from '../helpers/tinyModel';

const LABELS: string[] = JSON.parse(fs.readFileSync(path.join(REPO, 'models/labels.json'), 'utf8')).labels.map(
  (l: { name?: string } | string) => (typeof l === 'string' ? l : l.name),
);
const hu = (label: string) => huForLabel(LABELS.indexOf(label));

const archive = useArchive();
let tiny: TinyModelDir;
let work: string;
const studyInstanceUID = newUid();
let chest: BuiltSeries;
let abdomen: BuiltSeries;
let sr: ReturnType<typeof makeStructuredReport>;

function readLines(file: string): Array<Record<string, any>> {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

beforeAll(async () => {
  tiny = buildTinyModelDir(20, 16, 0, 2000);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-test-'));
  chest = await makeSeries({
    studyInstanceUID,
    seriesNumber: 1,
    slices: 6,
    rows: 32,
    columns: 32,
    reverseInstanceNumbers: true,
    pixel: () => hu('CHEST'),
    bodyPartExamined: 'CHEST',
  });
  abdomen = await makeSeries({ studyInstanceUID, seriesNumber: 2, slices: 5, rows: 32, columns: 32, pixel: () => hu('ABDOMEN') });
  sr = makeStructuredReport(studyInstanceUID);
  await archive().store([...chest.files, ...abdomen.files, sr.bytes]);
}, 120000);

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(tiny.dir, { recursive: true, force: true });
});

describe('body-region classify (DICOMweb)', () => {
  it('writes one valid result line per series and a study summary, reports the SR without failing', async () => {
    const out = path.join(work, 'archive.jsonl');
    const { code, stderr } = await runCli([
      'classify',
      '--url',
      archive().dicomWebUrl,
      '--study',
      studyInstanceUID,
      '--out',
      out,
      '--model',
      tiny.dir,
    ]);
    expect(code).toBe(0);
    const lines = readLines(out);
    const series = lines.filter((l) => l.schema === 'body-region-result/1');
    expect(series).toHaveLength(3);
    const bySeries = new Map(series.map((l) => [l.seriesInstanceUID, l]));
    const c = bySeries.get(chest.seriesInstanceUID)!;
    expect(validateSeriesResult(c)).toEqual([]);
    expect(c.error).toBeNull();
    expect(c.regions).toEqual(['CHEST']);
    expect(c.images).toHaveLength(6);
    expect(c.summary.annexL.term).toBe('CHEST');
    expect(bySeries.get(abdomen.seriesInstanceUID)!.regions).toEqual(['ABDOMEN']);
    expect(bySeries.get(sr.seriesInstanceUID)!.error.code).toBe('not-an-image');
    const study = lines.filter((l) => l.schema === 'body-region-study/1');
    expect(study).toHaveLength(1);
    expect(study[0].studyInstanceUID).toBe(studyInstanceUID);
    expect(study[0].annexL.term).toBe('CHESTABDOMEN');
    expect(stderr).not.toMatch(/Test\^Phantom|PHANTOM-1/);
  });

  it('resumes: a second run skips the series already in the output', async () => {
    const out = path.join(work, 'archive.jsonl');
    const before = readLines(out).length;
    const { code, stderr } = await runCli([
      'classify',
      '--url',
      archive().dicomWebUrl,
      '--study',
      studyInstanceUID,
      '--out',
      out,
      '--model',
      tiny.dir,
    ]);
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    // The SR had an error line, so it is tried again; the two image series are skipped.
    expect((stderr.match(/already in the output, skipped/g) ?? []).length).toBe(2);
    const after = readLines(out);
    expect(after.filter((l) => l.schema === 'body-region-result/1' && l.seriesInstanceUID === chest.seriesInstanceUID)).toHaveLength(1);
    expect(after.length).toBe(before + 2); // the SR again and a fresh study summary
  });

  it('sends the --header to the archive and never prints its value', async () => {
    const proxy = await startFaultProxy(archive().orthanc.url);
    try {
      const secret = 'Bearer s3cr3t-token-value';
      const { code, stderr } = await runCli([
        'classify',
        '--url',
        `${proxy.url}/dicom-web`,
        '--study',
        studyInstanceUID,
        '--model',
        tiny.dir,
        '--header',
        `Authorization: ${secret}`,
        '--out',
        path.join(work, 'auth.jsonl'),
      ]);
      expect(code).toBe(0);
      expect(proxy.requests.length).toBeGreaterThan(10);
      expect(proxy.requests.every((r) => r.headers.authorization === secret)).toBe(true);
      expect(stderr).not.toContain('s3cr3t');
    } finally {
      await proxy.stop();
    }
  });

  it('exit code 2 when a series fails, naming the series and the reason; the other series are still classified', async () => {
    const proxy = await startFaultProxy(archive().orthanc.url);
    // Frames of the abdomen series are gone (404), everything else works.
    proxy.plan = (req) =>
      req.url?.includes(abdomen.seriesInstanceUID) && req.url.includes('/frames/') ? { kind: 'status', status: 404 } : { kind: 'forward' };
    try {
      const out = path.join(work, 'failing.jsonl');
      const { code, stderr } = await runCli([
        'classify',
        '--url',
        `${proxy.url}/dicom-web`,
        '--study',
        studyInstanceUID,
        '--model',
        tiny.dir,
        '--out',
        out,
        '--retries',
        '0',
      ]);
      expect(code).toBe(2);
      expect(stderr).toContain(`series ${abdomen.seriesInstanceUID} failed`);
      const lines = readLines(out).filter((l) => l.schema === 'body-region-result/1');
      expect(lines.find((l) => l.seriesInstanceUID === abdomen.seriesInstanceUID)!.error.code).toBe('all-frames-failed');
      expect(lines.find((l) => l.seriesInstanceUID === chest.seriesInstanceUID)!.regions).toEqual(['CHEST']);
    } finally {
      await proxy.stop();
    }
  });

  it('rides out a flaky archive (503s, resets, slow answers, a hang) with the same results as a clean run', async () => {
    const proxy = await startFaultProxy(archive().orthanc.url);
    // Deterministic faults on about half of the requests; never twice in a row for one request.
    const faults = [
      { kind: 'status', status: 503 },
      { kind: 'reset' },
      { kind: 'delay', ms: 150 },
      { kind: 'forward' },
      { kind: 'status', status: 502 },
      { kind: 'hang' },
      { kind: 'forward' },
    ] as const;
    let previousFaulted = false;
    proxy.plan = (_req, i) => {
      const fault = previousFaulted ? faults[3] : faults[i % faults.length];
      previousFaulted = fault.kind !== 'forward' && fault.kind !== 'delay';
      return fault;
    };
    try {
      const out = path.join(work, 'flaky.jsonl');
      const { code, stderr } = await runCli([
        'classify',
        '--url',
        `${proxy.url}/dicom-web`,
        '--study',
        studyInstanceUID,
        '--model',
        tiny.dir,
        '--out',
        out,
        '--timeout',
        '1000',
        '--retries',
        '4',
      ]);
      expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
      expect(stderr).toMatch(/retrying/);
      expect(proxy.requests.filter((r) => r.fault !== 'forward' && r.fault !== 'delay').length).toBeGreaterThan(5);
      const regions = readLines(out)
        .filter((l) => l.schema === 'body-region-result/1' && l.error === null)
        .map((l) => `${l.seriesInstanceUID}:${l.regions.join('+')}:${l.images.length}`)
        .sort();
      expect(regions).toEqual([`${abdomen.seriesInstanceUID}:ABDOMEN:5`, `${chest.seriesInstanceUID}:CHEST:6`].sort());
    } finally {
      await proxy.stop();
    }
  });

  it('exit code 3 when the archive cannot be reached', async () => {
    const port = await freePort();
    const { code, stderr } = await runCli([
      'classify',
      '--url',
      `http://127.0.0.1:${port}/dicom-web`,
      '--study',
      studyInstanceUID,
      '--model',
      tiny.dir,
      '--retries',
      '0',
      '-q',
    ]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/unreachable/);
  });

  it('exit code 3 with a hint when the archive refuses the authorization', async () => {
    const proxy = await startFaultProxy(archive().orthanc.url);
    proxy.plan = (req) => (req.headers.authorization === 'Bearer good' ? { kind: 'forward' } : { kind: 'status', status: 401 });
    try {
      const bad = await runCli([
        'classify',
        '--url',
        `${proxy.url}/dicom-web`,
        '--study',
        studyInstanceUID,
        '--model',
        tiny.dir,
        '--header',
        'Authorization: Bearer wrong',
        '-q',
      ]);
      expect(bad.code).toBe(3);
      expect(bad.stderr).toMatch(/HTTP 401 \(authorization refused: check --header\)/);
      expect(bad.stderr).not.toContain('wrong');
      const good = await runCli([
        'classify',
        '--url',
        `${proxy.url}/dicom-web`,
        '--study',
        studyInstanceUID,
        '--model',
        tiny.dir,
        '--header',
        'Authorization: Bearer good',
        '-q',
        '--out',
        path.join(work, 'authok.jsonl'),
      ]);
      expect(good.code).toBe(0);
    } finally {
      await proxy.stop();
    }
  });

  it('exit code 4 when the model cannot be loaded', async () => {
    const { code, stderr } = await runCli([
      'classify',
      '--url',
      archive().dicomWebUrl,
      '--study',
      studyInstanceUID,
      '--model',
      path.join(work, 'no-model-here'),
    ]);
    expect(code).toBe(4);
    expect(stderr).toMatch(/model failed to load/);
  });

  it('delegates evaluate (its --help answers with exit code 0)', async () => {
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect((await runCli(['evaluate', '--help'])).code).toBe(0);
      expect(stdout.mock.calls.map((c) => String(c[0])).join('')).toContain('--data');
    } finally {
      stdout.mockRestore();
    }
  });

  it('exit code 1 for usage errors, 0 for --help', async () => {
    expect((await runCli(['classify', '--url', archive().dicomWebUrl, '--model', tiny.dir])).code).toBe(1);
    expect((await runCli(['classify', '--study', 'x'])).code).toBe(1);
    expect((await runCli(['classify', '--url', 'x', '--all', '--concurrency', 'zero'])).code).toBe(1);
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect((await runCli(['classify', '--help'])).code).toBe(0);
      expect((await runCli(['classify-files', '--help'])).code).toBe(0);
      expect(stdout.mock.calls.map((c) => String(c[0])).join('')).toContain('--study');
    } finally {
      stdout.mockRestore();
    }
  });

  it('--series limits the run to the series named', async () => {
    const out = path.join(work, 'one-series.jsonl');
    const { code } = await runCli([
      'classify',
      '--url',
      archive().dicomWebUrl,
      '--study',
      studyInstanceUID,
      '--series',
      abdomen.seriesInstanceUID,
      '--out',
      out,
      '--model',
      tiny.dir,
      '-q',
    ]);
    expect(code).toBe(0);
    const series = readLines(out).filter((l) => l.schema === 'body-region-result/1');
    expect(series.map((l) => l.seriesInstanceUID)).toEqual([abdomen.seriesInstanceUID]);
  });

  it('--all classifies every study of the archive', async () => {
    const out = path.join(work, 'all.jsonl');
    const { code } = await runCli([
      'classify',
      '--url',
      archive().dicomWebUrl,
      '--all',
      '--out',
      out,
      '--model',
      tiny.dir,
      '--mode',
      'fast',
      '-q',
    ]);
    expect(code).toBe(0);
    const series = readLines(out).filter((l) => l.schema === 'body-region-result/1');
    expect(series.map((l) => l.seriesInstanceUID)).toEqual(expect.arrayContaining([chest.seriesInstanceUID, abdomen.seriesInstanceUID]));
    expect(series.every((l) => l.mode === 'fast')).toBe(true);
  });
});

describe('body-region classify-files', () => {
  it('groups files by series and classifies each, skipping non-DICOM files', async () => {
    const folder = path.join(work, 'files');
    fs.mkdirSync(path.join(folder, 'nested'), { recursive: true });
    chest.files.forEach((f, i) => fs.writeFileSync(path.join(folder, `c${i}.dcm`), f));
    abdomen.files.forEach((f, i) => fs.writeFileSync(path.join(folder, 'nested', `a${i}`), f));
    fs.writeFileSync(path.join(folder, 'README.txt'), 'not dicom');
    const out = path.join(work, 'files.jsonl');
    const { code, stderr } = await runCli(['classify-files', folder, '--out', out, '--model', tiny.dir]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/skipped 1 files that are not DICOM/);
    const series = readLines(out).filter((l) => l.schema === 'body-region-result/1');
    expect(series).toHaveLength(2);
    for (const l of series) expect(validateSeriesResult(l)).toEqual([]);
    expect(series.find((l) => l.seriesInstanceUID === chest.seriesInstanceUID)!.regions).toEqual(['CHEST']);
    expect(series.find((l) => l.seriesInstanceUID === abdomen.seriesInstanceUID)!.regions).toEqual(['ABDOMEN']);
  });

  it('exit code 5 when there is nothing to classify', async () => {
    const empty = fs.mkdtempSync(path.join(work, 'empty-'));
    expect((await runCli(['classify-files', empty, '--model', tiny.dir, '-q'])).code).toBe(5);
  });
});

describe('bin/body-region.js', () => {
  it('runs as a real process against the archive (builds build/node first when missing or stale)', async () => {
    ensureCliBuilt();
    const out = path.join(work, 'bin.jsonl');
    const child = spawn(
      process.execPath,
      [
        path.join(REPO, 'bin/body-region.js'),
        'classify',
        '--url',
        archive().dicomWebUrl,
        '--study',
        studyInstanceUID,
        '--out',
        out,
        '--model',
        tiny.dir,
      ],
      {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    const series = readLines(out).filter((l) => l.schema === 'body-region-result/1' && l.error === null);
    expect(series.map((l) => l.regions[0]).sort()).toEqual(['ABDOMEN', 'CHEST']);
  }, 180000);
});

describe('interrupting', () => {
  it('Ctrl-C aborts the requests in flight, exits 130, and a rerun resumes', async () => {
    ensureCliBuilt();
    const proxy = await startFaultProxy(archive().orthanc.url);
    // Slow frames: the run is still busy when the signal comes.
    proxy.plan = (req) => (req.url?.includes('/frames/') ? { kind: 'delay', ms: 400 } : { kind: 'forward' });
    const out = path.join(work, 'interrupted.jsonl');
    try {
      const child = spawn(
        process.execPath,
        [
          path.join(REPO, 'bin/body-region.js'),
          'classify',
          '--url',
          `${proxy.url}/dicom-web`,
          '--study',
          studyInstanceUID,
          '--out',
          out,
          '--model',
          tiny.dir,
          '--concurrency',
          '1',
        ],
        {
          cwd: REPO,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      // Wait until frames are being fetched, then interrupt.
      const deadline = Date.now() + 30000;
      while (!proxy.requests.some((r) => r.path.includes('/frames/')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const t0 = Date.now();
      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(130);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(stderr).toMatch(/interrupted/);
    } finally {
      await proxy.stop();
    }
    const { code } = await runCli([
      'classify',
      '--url',
      archive().dicomWebUrl,
      '--study',
      studyInstanceUID,
      '--out',
      out,
      '--model',
      tiny.dir,
      '-q',
    ]);
    expect(code).toBe(0);
    const ok = readLines(out).filter((l) => l.schema === 'body-region-result/1' && l.error === null);
    expect(new Set(ok.map((l) => l.seriesInstanceUID))).toEqual(new Set([chest.seriesInstanceUID, abdomen.seriesInstanceUID]));
  }, 120000);
});
