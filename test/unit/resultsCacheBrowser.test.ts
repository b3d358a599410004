/**
 * The viewer's results cache: the IndexedDB store (fake-indexeddb, a full in-memory IndexedDB)
 * and the CachingRunner in front of the classification runner, driven through the real
 * BodyRegionService. The inner runner stands in for the Web Worker (beside the point here; the
 * e2e tests run the real worker) and returns real classifySeries results.
 */
import { IDBFactory } from 'fake-indexeddb';
import { BodyRegionService } from '../../extension/src/ohif/services/BodyRegionService';
import type { ClassificationRunner, SeriesJob } from '../../extension/src/ohif/services/jobs';
import { CachingRunner, modelIdentityFrom } from '../../extension/src/ohif/services/cachingRunner';
import { IndexedDbResultsCacheStore } from '../../extension/src/ohif/services/indexedDbResultsCache';
import { classifySeries, type SliceClassifier } from '../../extension/src/engine/pipeline';
import { resultsCacheKey, type ModelIdentity } from '../../extension/src/engine/results/cache';
import type { SeriesResult } from '../../extension/src/engine/results/schema';
import { axialSeries } from '../helpers/frames';
import { LABEL_NAMES } from '../helpers/synthetic';
import { SyntheticPixelSource } from '../helpers/syntheticPixels';

const MODEL: ModelIdentity = { id: 'stub', version: '1.0.0', sha256: 'ab'.repeat(32) };

const stubModel: SliceClassifier = {
  labelNames: LABEL_NAMES,
  inputSize: 8,
  manifest: {
    modelId: MODEL.id,
    version: MODEL.version,
    file: 'stub.onnx',
    inputSize: 8,
    preprocessing: 'br-pre-1',
    inputName: 'input',
    outputName: 'logits',
    labels: 'labels.json',
    numClasses: LABEL_NAMES.length,
  },
  classify: async (_b, count) => {
    const out = new Float32Array(count * LABEL_NAMES.length);
    for (let i = 0; i < count; i++) out[i * LABEL_NAMES.length + LABEL_NAMES.indexOf('PELVIS')] = 1;
    return out;
  },
};

/** Stands in for the worker: counts the series it really classifies. */
class CountingRunner implements ClassificationRunner {
  calls: string[] = [];
  async classify(job: SeriesJob, onProgress: (d: number, t: number) => void): Promise<SeriesResult> {
    this.calls.push(job.seriesInstanceUID);
    const frames = axialSeries([0, 4, 8, 12], `${job.seriesInstanceUID}.sop`).map((f) => ({
      ...f,
      seriesInstanceUID: job.seriesInstanceUID,
      studyInstanceUID: job.studyInstanceUID,
    }));
    const result = await classifySeries({
      frames,
      pixels: new SyntheticPixelSource(new Map(frames.map((f) => [f.sopInstanceUID, 0]))),
      model: stubModel,
    });
    onProgress(4, 4);
    return result;
  }
}

const jobs: SeriesJob[] = ['1.2.840.1', '1.2.840.2'].map((uid, i) => ({
  studyInstanceUID: '1.2.840',
  seriesInstanceUID: uid,
  description: `s${i}`,
  modality: 'CT',
}));

function until(service: BodyRegionService): Promise<void> {
  return new Promise((resolve) => {
    const sub = service.subscribe(service.EVENTS.STUDY_DONE, () => (sub.unsubscribe(), resolve()));
  });
}

async function openStudy(runner: ClassificationRunner): Promise<BodyRegionService> {
  const service = new BodyRegionService({ runner });
  const finished = until(service);
  service.classifyStudy('1.2.840', jobs);
  await finished;
  return service;
}

describe('IndexedDbResultsCacheStore', () => {
  test('values survive a new store (a page reload) on the same database', async () => {
    const factory = new IDBFactory();
    const a = new IndexedDbResultsCacheStore({ factory });
    await a.set('k', 'v');
    await a.close();
    const b = new IndexedDbResultsCacheStore({ factory });
    expect([await b.get('k'), await b.get('other')]).toEqual(['v', undefined]);
    await b.close();
  });

  test('the oldest entries go beyond maxEntries; overwriting refreshes an entry', async () => {
    const store = new IndexedDbResultsCacheStore({ factory: new IDBFactory(), maxEntries: 3 });
    for (const k of ['a', 'b', 'c']) await store.set(k, k);
    await store.set('a', 'a2'); // a is now the newest
    await store.set('d', 'd');
    expect(await Promise.all(['a', 'b', 'c', 'd'].map((k) => store.get(k)))).toEqual(['a2', undefined, 'c', 'd']);
    await store.close();
  });

  test('without IndexedDB (some private modes) it rejects, it does not throw synchronously', async () => {
    const store = new IndexedDbResultsCacheStore({ factory: undefined });
    const saved = (globalThis as { indexedDB?: unknown }).indexedDB;
    delete (globalThis as { indexedDB?: unknown }).indexedDB;
    try {
      await expect(store.get('k')).rejects.toThrow(/IndexedDB is not available/);
    } finally {
      if (saved) (globalThis as { indexedDB?: unknown }).indexedDB = saved;
    }
  });
});

describe('CachingRunner in the bodyRegion service', () => {
  let factory: IDBFactory;
  let warnings: string[];
  beforeEach(() => {
    factory = new IDBFactory();
    warnings = [];
  });
  const cachingRunner = (
    inner: ClassificationRunner,
    model: () => Promise<ModelIdentity> = async () => MODEL,
    store = new IndexedDbResultsCacheStore({ factory }),
  ) => new CachingRunner({ inner, store, model, mode: 'exhaustive', onWarning: (m) => warnings.push(m) });

  test('reopening a study (a new page: new runner, new store, same database) classifies nothing again', async () => {
    const inner = new CountingRunner();
    const first = await openStudy(cachingRunner(inner));
    expect(inner.calls).toEqual(['1.2.840.1', '1.2.840.2']);
    const again = await openStudy(cachingRunner(inner));
    expect(inner.calls).toHaveLength(2);
    expect(again.getState().series.map((s) => [s.status, s.regions])).toEqual(first.getState().series.map((s) => [s.status, s.regions]));
    expect(again.getState().series.every((s) => s.status === 'done' && s.regions.includes('PELVIS'))).toBe(true);
    expect(again.getRawResults()).toEqual(first.getRawResults());
    expect(warnings).toEqual([]);
  });

  test('a model with another sha256 classifies again', async () => {
    const inner = new CountingRunner();
    await openStudy(cachingRunner(inner));
    await openStudy(cachingRunner(inner, async () => ({ ...MODEL, sha256: 'cd'.repeat(32) })));
    expect(inner.calls).toHaveLength(4);
  });

  test('a corrupt entry is a warning and a fresh classification, not an error in the panel', async () => {
    const inner = new CountingRunner();
    const store = new IndexedDbResultsCacheStore({ factory });
    await openStudy(cachingRunner(inner, undefined, store));
    await store.set(resultsCacheKey({ seriesInstanceUID: '1.2.840.1', model: MODEL, mode: 'exhaustive' }), '{"key":');
    const service = await openStudy(cachingRunner(inner, undefined, store));
    expect(inner.calls).toEqual(['1.2.840.1', '1.2.840.2', '1.2.840.1']);
    expect(service.getState().series.every((s) => s.status === 'done')).toBe(true);
    expect(warnings).toEqual([expect.stringContaining('ignoring corrupt results cache entry for series 1.2.840.1')]);
  });

  test('failed results are not cached: the next open tries again', async () => {
    let fail = true;
    const inner = new CountingRunner();
    const flaky: ClassificationRunner = {
      classify: async (job, onProgress) => {
        const r = await inner.classify(job, onProgress);
        return fail ? { ...r, summary: null, error: { code: 'all-frames-failed', message: 'fetch failed: HTTP 503' } } : r;
      },
    };
    const failed = await openStudy(cachingRunner(flaky));
    expect(failed.getState().series.every((s) => s.status === 'error')).toBe(true);
    fail = false;
    const ok = await openStudy(cachingRunner(flaky));
    expect(ok.getState().series.every((s) => s.status === 'done')).toBe(true);
    expect(inner.calls).toHaveLength(4);
  });

  test('no model.json (or no IndexedDB): classification goes on uncached, with a warning', async () => {
    const inner = new CountingRunner();
    const noModel = modelIdentityFrom(
      'http://127.0.0.1:9/assets/',
      (async () => new Response('not found', { status: 404 })) as unknown as typeof fetch,
    );
    await openStudy(cachingRunner(inner, noModel));
    const brokenStore = {
      get: () => Promise.reject(new Error('QuotaExceededError')),
      set: () => Promise.reject(new Error('QuotaExceededError')),
    };
    const service = await openStudy(cachingRunner(inner, undefined, brokenStore as never));
    expect(inner.calls).toHaveLength(4);
    expect(service.getState().series.every((s) => s.status === 'done')).toBe(true);
    expect(warnings.some((w) => /model\.json: HTTP 404/.test(w))).toBe(true);
    expect(warnings.some((w) => /QuotaExceededError/.test(w))).toBe(true);
  });

  test('modelIdentityFrom reads id, version and sha256 from model.json at the asset base', async () => {
    const asked: string[] = [];
    const fetchImpl = (async (url: string) => {
      asked.push(url);
      // A whole manifest: the viewer reads model.json through the engine's one parser (parseManifest).
      return new Response(JSON.stringify({ ...stubModel.manifest, modelId: 'br', version: '0.1.0', sha256: 'ABCDEF' }));
    }) as unknown as typeof fetch;
    const identity = modelIdentityFrom('http://viewer.example/body-region/', fetchImpl);
    expect(await identity()).toEqual({ id: 'br', version: '0.1.0', sha256: 'abcdef' });
    await identity();
    expect(asked).toEqual(['http://viewer.example/body-region/model.json']);
  });
});
