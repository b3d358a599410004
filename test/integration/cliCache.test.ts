/**
 * `body-region classify --cache`: against a real Orthanc (behind a recording proxy that counts the
 * frame requests), a second run serves every series from the cache and asks the archive for no
 * pixels; a model with other bytes (same id and version) misses; a corrupt cache file is ignored
 * with a warning; without --cache nothing is written.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from '../helpers/runCli';
import { sha256OfFile } from '../../extension/src/cli/resultsCacheFile';
import { makeSeries, newUid, BuiltSeries } from '../helpers/dicomFactory';
import { startFaultProxy, FaultProxy } from '../helpers/faultProxy';
import { useArchive } from '../helpers/orthancFixture';
import { buildTinyModelDir, huForLabel, TinyModelDir, REPO } from '../helpers/tinyModel';

const LABELS: string[] = JSON.parse(fs.readFileSync(path.join(REPO, 'models/labels.json'), 'utf8')).labels.map(
  (l: { name: string }) => l.name,
);
const hu = (label: string) => huForLabel(LABELS.indexOf(label));

const archive = useArchive();
const studyInstanceUID = newUid();
let tiny: TinyModelDir;
let otherTiny: TinyModelDir;
let work: string;
let proxy: FaultProxy;
let chest: BuiltSeries;
let pelvis: BuiltSeries;

/** Pixel requests (frames, or whole instances as the fallback) since the last call. */
let seen = 0;
function pixelRequestsSinceLastCall(): number {
  const fresh = proxy.requests.slice(seen);
  seen = proxy.requests.length;
  return fresh.filter((r) => /\/frames\/|\/instances\/[^/]+$/.test(r.path.split('?')[0])).length;
}

function results(file: string): Array<Record<string, any>> {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((l) => l.schema === 'body-region-result/1');
}

const classify = (out: string, cache: string[], model = tiny.dir) =>
  runCli(['classify', '--url', `${proxy.url}/dicom-web`, '--study', studyInstanceUID, '--model', model, '--out', out, ...cache]);

beforeAll(async () => {
  tiny = buildTinyModelDir(20, 16, 0, 2000);
  // Same id and version, other weights (sharper; same labels): only the bytes tell them apart.
  otherTiny = buildTinyModelDir(20, 16, 0, 2500);
  expect([otherTiny.manifest.modelId, otherTiny.manifest.version]).toEqual([tiny.manifest.modelId, tiny.manifest.version]);
  expect(sha256OfFile(path.join(otherTiny.dir, 'tiny.onnx'))).not.toBe(sha256OfFile(path.join(tiny.dir, 'tiny.onnx')));
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-cache-'));
  chest = await makeSeries({ studyInstanceUID, seriesNumber: 1, slices: 6, rows: 32, columns: 32, pixel: () => hu('CHEST') });
  pelvis = await makeSeries({ studyInstanceUID, seriesNumber: 2, slices: 5, rows: 32, columns: 32, pixel: () => hu('PELVIS') });
  await archive().store([...chest.files, ...pelvis.files]);
  proxy = await startFaultProxy(archive().orthanc.url);
}, 120000);

afterAll(async () => {
  await proxy?.stop();
  for (const dir of [work, tiny?.dir, otherTiny?.dir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('classify --cache', () => {
  test('a second run hits the cache: same results, no pixel requests to the archive', async () => {
    const cacheFile = path.join(work, 'hit', 'results.json');
    const first = await classify(path.join(work, 'first.jsonl'), ['--cache', cacheFile]);
    expect(first.code).toBe(0);
    expect(pixelRequestsSinceLastCall()).toBe(11);
    expect(first.stderr).not.toMatch(/from the results cache/);

    const second = await classify(path.join(work, 'second.jsonl'), ['--cache', cacheFile]);
    expect(second.code).toBe(0);
    expect(pixelRequestsSinceLastCall()).toBe(0);
    expect(second.stderr.match(/from the results cache/g)).toHaveLength(2);
    const byUid = (rs: Array<Record<string, any>>) => Object.fromEntries(rs.map((r) => [r.seriesInstanceUID, r]));
    expect(byUid(results(path.join(work, 'second.jsonl')))).toEqual(byUid(results(path.join(work, 'first.jsonl'))));
    expect(
      results(path.join(work, 'second.jsonl'))
        .map((r) => r.regions.join('+'))
        .sort(),
    ).toEqual(['CHEST', 'PELVIS']);
  });

  test('a model with other bytes (same id and version) misses; both models then hit', async () => {
    const cacheFile = path.join(work, 'model', 'results.json');
    await classify(path.join(work, 'm1.jsonl'), ['--cache', cacheFile]);
    expect(pixelRequestsSinceLastCall()).toBe(11);
    expect((await classify(path.join(work, 'm2.jsonl'), ['--cache', cacheFile], otherTiny.dir)).code).toBe(0);
    expect(pixelRequestsSinceLastCall()).toBe(11);
    await classify(path.join(work, 'm3.jsonl'), ['--cache', cacheFile], otherTiny.dir);
    await classify(path.join(work, 'm4.jsonl'), ['--cache', cacheFile]);
    expect(pixelRequestsSinceLastCall()).toBe(0);
  });

  test('fast mode does not reuse exhaustive results', async () => {
    const cacheFile = path.join(work, 'mode', 'results.json');
    await classify(path.join(work, 'e.jsonl'), ['--cache', cacheFile]);
    pixelRequestsSinceLastCall();
    await classify(path.join(work, 'f.jsonl'), ['--cache', cacheFile, '--mode', 'fast']);
    expect(pixelRequestsSinceLastCall()).toBeGreaterThan(0);
    expect(results(path.join(work, 'f.jsonl')).every((r) => r.mode === 'fast')).toBe(true);
  });

  test('a corrupt cache file is ignored with a warning, the run succeeds and rewrites it', async () => {
    const cacheFile = path.join(work, 'corrupt', 'results.json');
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
    fs.writeFileSync(cacheFile, '{"schema":"body-region-cache-file/1","entries":{"body-region-cache/1|');
    const { code, stderr } = await classify(path.join(work, 'c.jsonl'), ['--cache', cacheFile]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/warning: results cache .*results\.json is corrupt, ignoring it/);
    expect(pixelRequestsSinceLastCall()).toBe(11);
    expect(Object.keys(JSON.parse(fs.readFileSync(cacheFile, 'utf8')).entries)).toHaveLength(2);
  });

  test('a corrupt entry is re-classified, the others still hit', async () => {
    const cacheFile = path.join(work, 'entry', 'results.json');
    await classify(path.join(work, 'x1.jsonl'), ['--cache', cacheFile]);
    pixelRequestsSinceLastCall();
    const data = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
    const chestKey = Object.keys(data.entries).find((k) => k.includes(chest.seriesInstanceUID))!;
    data.entries[chestKey] = data.entries[chestKey].replace('"regions":["CHEST"]', '"regions":"CHEST"');
    fs.writeFileSync(cacheFile, JSON.stringify(data));
    const { code, stderr } = await classify(path.join(work, 'x2.jsonl'), ['--cache', cacheFile]);
    expect(code).toBe(0);
    expect(stderr).toContain(`ignoring corrupt results cache entry for series ${chest.seriesInstanceUID}`);
    expect(pixelRequestsSinceLastCall()).toBe(6);
  });

  test('without --cache nothing is written; a bare --cache uses $XDG_CACHE_HOME/body-region/results.json', async () => {
    const xdg = path.join(work, 'xdg');
    fs.mkdirSync(xdg);
    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = xdg;
    try {
      expect((await classify(path.join(work, 'n1.jsonl'), [])).code).toBe(0);
      expect((await classify(path.join(work, 'n2.jsonl'), ['--no-cache'])).code).toBe(0);
      expect(fs.readdirSync(xdg)).toEqual([]);
      expect((await classify(path.join(work, 'n3.jsonl'), ['--cache'])).code).toBe(0);
      const file = path.join(xdg, 'body-region', 'results.json');
      expect(Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')).entries)).toHaveLength(2);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });
});
