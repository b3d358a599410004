/**
 * A ClassificationRunner in front of another one: a series already classified with the same model
 * (id, version, sha256 from model.json — the worker refuses model bytes that do not match it) and
 * mode comes from the results cache, without fetching a pixel. Only successful results are stored.
 * The cache never fails a classification: any cache problem means "classify again".
 */
import { ResultsCache, type ModelIdentity, type ResultsCacheKey, type ResultsCacheStore } from '../../engine/results/cache';
import type { SeriesResult } from '../../engine/results/schema';
import type { ClassificationRunner, SeriesJob } from './jobs';
import { IndexedDbResultsCacheStore } from './indexedDbResultsCache';
import { parseManifest } from '../../engine/infer/manifest';

export interface CachingRunnerOptions {
  inner: ClassificationRunner;
  store: ResultsCacheStore;
  /** The model the inner runner will use; rejecting means "no caching" (the inner runner reports). */
  model: () => Promise<ModelIdentity>;
  mode: 'exhaustive' | 'fast';
  /** Id of the site adapter the inner runner classifies with now (results are cached per adapter). */
  adapter?: () => string | null;
  onWarning?: (message: string) => void;
}

/** model.json at `assetBase` → the model's identity (fetched once per page). */
export function modelIdentityFrom(assetBase: string, fetchImpl: typeof fetch = fetch): () => Promise<ModelIdentity> {
  let identity: Promise<ModelIdentity> | null = null;
  return () => {
    if (!identity) {
      identity = (async () => {
        const response = await fetchImpl(new URL('model.json', assetBase).href, { cache: 'no-cache' });
        if (!response.ok) throw new Error(`model.json: HTTP ${response.status}`);
        const manifest = parseManifest(await response.json());
        return { id: manifest.modelId, version: manifest.version, sha256: manifest.sha256?.toLowerCase() ?? null };
      })();
      identity.catch(() => (identity = null));
    }
    return identity;
  };
}

export class CachingRunner implements ClassificationRunner {
  private readonly cache: ResultsCache;
  hits = 0;

  constructor(private readonly options: CachingRunnerOptions) {
    this.cache = new ResultsCache(options.store, { onWarning: options.onWarning });
  }

  async classify(job: SeriesJob, onProgress: (done: number, total: number) => void, signal: AbortSignal): Promise<SeriesResult> {
    const key = await this.key(job);
    if (key) {
      const found = await this.cache.lookup(key);
      if (signal.aborted) throw new DOMException('cancelled', 'AbortError');
      if (found.hit) {
        this.hits++;
        const n = found.result.images.length;
        onProgress(n, n);
        return found.result;
      }
    }
    const result = await this.options.inner.classify(job, onProgress, signal);
    if (key && !signal.aborted) await this.cache.save(key, result);
    return result;
  }

  private async key(job: SeriesJob): Promise<ResultsCacheKey | null> {
    try {
      return {
        seriesInstanceUID: job.seriesInstanceUID,
        model: await this.options.model(),
        mode: this.options.mode,
        adapter: this.options.adapter?.() ?? null,
      };
    } catch (error) {
      this.options.onWarning?.(`results cache off for this series: ${(error as Error)?.message ?? String(error)}`);
      return null;
    }
  }
}

/**
 * The viewer's runner with the IndexedDB results cache in front, unless the extension's
 * configuration says `resultsCache: false`.
 */
export function withBrowserResultsCache(
  inner: ClassificationRunner,
  assetBase: string,
  configuration: { mode?: 'exhaustive' | 'fast'; resultsCache?: boolean } = {},
  adapter?: () => string | null,
): ClassificationRunner {
  if (configuration.resultsCache === false) return inner;
  return new CachingRunner({
    inner,
    store: new IndexedDbResultsCacheStore(),
    model: modelIdentityFrom(assetBase),
    mode: configuration.mode ?? 'exhaustive',
    adapter,
    onWarning: (message) => console.warn(`[body-region] ${message}`),
  });
}
