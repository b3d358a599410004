/**
 * The results cache (engine, storage-agnostic) and its JSON-file store (CLI). The classifier here is
 * a stub: what matters is that real `classifySeries` results go in and come out unchanged, and that
 * anything else — another model, another mode, a damaged entry — is a miss, never an error.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { classifySeries, type SliceClassifier } from '../../extension/src/engine/pipeline';
import { ResultsCache, resultsCacheKey, type ResultsCacheKey, type ResultsCacheStore } from '../../extension/src/engine/results/cache';
import type { SeriesResult } from '../../extension/src/engine/results/schema';
import { CACHE_FILE_SCHEMA, defaultCacheFile, FileResultsCacheStore } from '../../extension/src/cli/resultsCacheFile';
import { axialSeries } from '../helpers/frames';
import { LABEL_NAMES } from '../helpers/synthetic';
import { SyntheticPixelSource } from '../helpers/syntheticPixels';

/** Always says CHEST. */
const stubModel: SliceClassifier = {
  labelNames: LABEL_NAMES,
  inputSize: 8,
  manifest: {
    modelId: 'stub',
    version: '1.0.0',
    file: 'stub.onnx',
    inputSize: 8,
    preprocessing: 'br-pre-1',
    inputName: 'input',
    outputName: 'logits',
    labels: 'labels.json',
    numClasses: LABEL_NAMES.length,
  },
  classify: async (_batch, count) => {
    const out = new Float32Array(count * LABEL_NAMES.length);
    for (let i = 0; i < count; i++) out[i * LABEL_NAMES.length + LABEL_NAMES.indexOf('CHEST')] = 1;
    return out;
  },
};

async function realResult(seriesInstanceUID: string): Promise<SeriesResult> {
  const frames = axialSeries([0, 5, 10, 15, 20, 25], `${seriesInstanceUID}.sop`).map((f) => ({ ...f, seriesInstanceUID }));
  const pixels = new SyntheticPixelSource(new Map(frames.map((f) => [f.sopInstanceUID, 0])));
  return classifySeries({ frames, pixels, model: stubModel });
}

class MemoryStore implements ResultsCacheStore {
  readonly map = new Map<string, string>();
  async get(key: string) {
    return this.map.get(key);
  }
  async set(key: string, value: string) {
    this.map.set(key, value);
  }
}

const model = { id: 'stub', version: '1.0.0', sha256: 'a'.repeat(64) };
const keyOf = (seriesInstanceUID: string, over: Partial<ResultsCacheKey> = {}): ResultsCacheKey => ({
  seriesInstanceUID,
  model,
  mode: 'exhaustive',
  ...over,
});

describe('ResultsCache (engine)', () => {
  let result: SeriesResult;
  beforeAll(async () => {
    result = await realResult('1.2.3.100');
    expect(result.error).toBeNull();
  });

  test('keys differ for every part: series, model id, version, sha256, mode', () => {
    const base = keyOf('1.2.3.100');
    const variants = [
      base,
      { ...base, seriesInstanceUID: '1.2.3.101' },
      { ...base, model: { ...model, id: 'other' } },
      { ...base, model: { ...model, version: '1.0.1' } },
      { ...base, model: { ...model, sha256: 'b'.repeat(64) } },
      { ...base, model: { ...model, sha256: null } },
      { ...base, mode: 'fast' as const },
    ];
    expect(new Set(variants.map(resultsCacheKey)).size).toBe(variants.length);
  });

  test('a saved result comes back identical; a changed model, sha or mode misses', async () => {
    const store = new MemoryStore();
    const cache = new ResultsCache(store);
    expect(await cache.lookup(keyOf(result.seriesInstanceUID))).toEqual({ hit: false, reason: 'absent' });
    expect(await cache.save(keyOf(result.seriesInstanceUID), result)).toBe(true);
    expect(await cache.lookup(keyOf(result.seriesInstanceUID))).toEqual({ hit: true, result });
    expect((await cache.lookup(keyOf(result.seriesInstanceUID, { model: { ...model, sha256: 'c'.repeat(64) } }))).hit).toBe(false);
    expect((await cache.lookup(keyOf(result.seriesInstanceUID, { mode: 'fast' }))).hit).toBe(false);
  });

  test('failed results are not cached', async () => {
    const cache = new ResultsCache(new MemoryStore());
    const failed: SeriesResult = { ...result, summary: null, error: { code: 'all-frames-failed', message: 'fetch failed: HTTP 503' } };
    expect(await cache.save(keyOf(result.seriesInstanceUID), failed)).toBe(false);
    expect((await cache.lookup(keyOf(result.seriesInstanceUID))).hit).toBe(false);
  });

  test('results with failed images are not cached (a rerun tries those images again)', async () => {
    const cache = new ResultsCache(new MemoryStore());
    const partial: SeriesResult = { ...result, timing: { ...result.timing, framesFailed: 1 } };
    expect(await cache.save(keyOf(result.seriesInstanceUID), partial)).toBe(false);
    expect((await cache.lookup(keyOf(result.seriesInstanceUID))).hit).toBe(false);
  });

  test.each([
    ['not JSON', () => '{"key": "trunc'],
    ['JSON but not an entry', () => '42'],
    ['an entry of another key', (key: string) => JSON.stringify({ key: `${key}x`, result: 0 })],
    ['a result that fails validation', (key: string, r: SeriesResult) => JSON.stringify({ key, result: { ...r, images: 'none' } })],
    ['a result of another series', (key: string, r: SeriesResult) => JSON.stringify({ key, result: { ...r, seriesInstanceUID: '9.9' } })],
    [
      'a result of another model',
      (key: string, r: SeriesResult) => JSON.stringify({ key, result: { ...r, model: { id: 'x', version: '1.0.0' } } }),
    ],
  ])('a corrupt entry (%s) is a miss with a warning', async (_name, corrupt) => {
    const store = new MemoryStore();
    const warnings: string[] = [];
    const cache = new ResultsCache(store, { onWarning: (m) => warnings.push(m) });
    const k = keyOf(result.seriesInstanceUID);
    store.map.set(resultsCacheKey(k), corrupt(resultsCacheKey(k), result));
    const found = await cache.lookup(k);
    expect(found).toMatchObject({ hit: false, reason: 'corrupt' });
    expect(warnings).toEqual([expect.stringContaining(`ignoring corrupt results cache entry for series ${result.seriesInstanceUID}`)]);
    // The next save replaces it.
    await cache.save(k, result);
    expect(await cache.lookup(k)).toEqual({ hit: true, result });
  });

  test('a store that throws is a miss (lookup) or a warning (save), never an error', async () => {
    const warnings: string[] = [];
    const broken: ResultsCacheStore = {
      get: () => Promise.reject(new Error('QuotaExceededError')),
      set: () => Promise.reject(new Error('disk full')),
    };
    const cache = new ResultsCache(broken, { onWarning: (m) => warnings.push(m) });
    expect(await cache.lookup(keyOf(result.seriesInstanceUID))).toMatchObject({ hit: false, reason: 'unavailable' });
    expect(await cache.save(keyOf(result.seriesInstanceUID), result)).toBe(false);
    expect(warnings.join('\n')).toMatch(/QuotaExceededError[\s\S]*disk full/);
  });
});

describe('FileResultsCacheStore (CLI)', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'results-cache-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('entries survive a new process (a new store on the same file); the file is 0600 and left without temp files', async () => {
    const file = path.join(dir, 'sub', 'results.json');
    const a = new FileResultsCacheStore(file);
    await a.set('k1', 'v1');
    await a.set('k2', 'v2');
    a.flush();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['results.json']);
    const b = new FileResultsCacheStore(file);
    expect([await b.get('k1'), await b.get('k2'), await b.get('k3')]).toEqual(['v1', 'v2', undefined]);
  });

  test('writes are batched: at most one write per interval while setting, the rest on flush', async () => {
    const file = path.join(dir, 'results.json');
    const store = new FileResultsCacheStore(file, { writeIntervalMs: 60_000 });
    await store.set('k1', 'v1'); // first set writes at once
    await store.set('k2', 'v2');
    expect(Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')).entries)).toEqual(['k1']);
    store.flush();
    expect(Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')).entries)).toEqual(['k1', 'k2']);
  });

  test('two stores on one file merge their entries instead of overwriting each other', async () => {
    const file = path.join(dir, 'results.json');
    const a = new FileResultsCacheStore(file);
    const b = new FileResultsCacheStore(file);
    await a.get('x');
    await b.get('x'); // both loaded the empty file
    await a.set('from-a', '1');
    a.flush();
    await b.set('from-b', '2');
    b.flush();
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).entries).toEqual({ 'from-a': '1', 'from-b': '2' });
  });

  test('the oldest entries go beyond maxEntries', async () => {
    const file = path.join(dir, 'results.json');
    const store = new FileResultsCacheStore(file, { maxEntries: 2, writeIntervalMs: 60_000 });
    for (const k of ['a', 'b', 'c']) await store.set(k, k);
    store.flush();
    expect(Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')).entries)).toEqual(['b', 'c']);
  });

  test.each([
    ['half-written JSON', '{"schema": "body-region-cache-file/1", "entries": {"k": "v'],
    ['another format', JSON.stringify({ schema: 'something-else', entries: {} })],
    ['entries not an object', JSON.stringify({ schema: CACHE_FILE_SCHEMA, entries: ['k', 'v'] })],
    ['binary garbage', '\u0000\u0001\u0002'],
  ])('a corrupt file (%s) is ignored with a warning and replaced by the next write', async (_name, content) => {
    const file = path.join(dir, 'results.json');
    fs.writeFileSync(file, content);
    const warnings: string[] = [];
    const store = new FileResultsCacheStore(file, { onWarning: (m) => warnings.push(m) });
    expect(await store.get('k')).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/results cache .* is corrupt, ignoring it/)]);
    await store.set('k', 'v');
    store.flush();
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ schema: CACHE_FILE_SCHEMA, entries: { k: 'v' } });
  });

  test('the default file honours XDG_CACHE_HOME, else ~/.cache', () => {
    expect(defaultCacheFile({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/body-region/results.json');
    expect(defaultCacheFile({})).toBe(path.join(os.homedir(), '.cache/body-region/results.json'));
    expect(defaultCacheFile({ XDG_CACHE_HOME: 'relative' })).toBe(path.join(os.homedir(), '.cache/body-region/results.json'));
  });
});
