/**
 * A results cache that any key-value storage can hold (a JSON file in Node, IndexedDB in the
 * browser). Keys name the series and the exact model (id, version, sha256 of its bytes) and mode,
 * so a changed model never serves old results. Entries are re-validated when read: a corrupt or
 * foreign entry is a miss with a warning, never an error — the series is simply classified again.
 */
import { SERIES_RESULT_SCHEMA, validateSeriesResult, type SeriesResult } from './schema';

/** What the cache needs of a storage: strings in, strings out. */
export interface ResultsCacheStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

export interface ModelIdentity {
  id: string;
  version: string;
  /** sha256 of the model's bytes (hex); null when unknown (then id + version alone decide). */
  sha256: string | null;
}

export interface ResultsCacheKey {
  seriesInstanceUID: string;
  model: ModelIdentity;
  mode: 'exhaustive' | 'fast';
  /** SiteAdapter.id when results are site-adapted (adapted and plain results never mix). */
  adapter?: string | null;
}

export const RESULTS_CACHE_FORMAT = 'body-region-cache/1';

/** One string per series × model × mode; the format id lets a later layout ignore old entries. */
export function resultsCacheKey(k: ResultsCacheKey): string {
  const key = [RESULTS_CACHE_FORMAT, k.seriesInstanceUID, k.model.id, k.model.version, k.model.sha256 ?? '-', k.mode];
  if (k.adapter) key.push(`adapter:${k.adapter}`);
  return key.join('|');
}

export type CacheLookup =
  { hit: true; result: SeriesResult } | { hit: false; reason: 'absent' | 'corrupt' | 'unavailable'; detail?: string };

interface StoredEntry {
  key: string;
  result: SeriesResult;
}

/** Why a stored value cannot be served for `key` (null when it can). */
export function checkStoredEntry(value: string, key: string, k: ResultsCacheKey): string | null {
  let entry: StoredEntry;
  try {
    entry = JSON.parse(value) as StoredEntry;
  } catch (e) {
    return `not JSON (${(e as Error).message})`;
  }
  if (!entry || typeof entry !== 'object') return 'not an object';
  // The key travels with the value: an entry copied or shifted under another key is not served.
  if (entry.key !== key) return 'entry belongs to another key';
  const problems = validateSeriesResult(entry.result);
  if (problems.length)
    return `not a ${SERIES_RESULT_SCHEMA} value (${problems[0]}${problems.length > 1 ? `, +${problems.length - 1} more` : ''})`;
  const r = entry.result;
  if (r.seriesInstanceUID !== k.seriesInstanceUID) return 'result is of another series';
  if (!r.model || r.model.id !== k.model.id || r.model.version !== k.model.version) return 'result is of another model';
  if (r.mode !== k.mode) return 'result is of another mode';
  if ((r.adapter?.id ?? null) !== (k.adapter ?? null)) return 'result is of another site adapter';
  if (r.error !== null) return 'failed results are not cached';
  return null;
}

export interface ResultsCacheOptions {
  /** Called for corrupt entries and storage failures; the cache itself never throws. */
  onWarning?: (message: string) => void;
}

export class ResultsCache {
  constructor(
    private readonly store: ResultsCacheStore,
    private readonly options: ResultsCacheOptions = {},
  ) {}

  async lookup(k: ResultsCacheKey): Promise<CacheLookup> {
    const key = resultsCacheKey(k);
    let value: string | undefined;
    try {
      value = await this.store.get(key);
    } catch (e) {
      const detail = (e as Error)?.message ?? String(e);
      this.warn(`results cache unavailable, classifying again: ${detail}`);
      return { hit: false, reason: 'unavailable', detail };
    }
    if (value === undefined) return { hit: false, reason: 'absent' };
    const problem = checkStoredEntry(value, key, k);
    if (problem) {
      this.warn(`ignoring corrupt results cache entry for series ${k.seriesInstanceUID}: ${problem}`);
      return { hit: false, reason: 'corrupt', detail: problem };
    }
    return { hit: true, result: (JSON.parse(value) as StoredEntry).result };
  }

  /**
   * Stores a complete result; failed ones, and ones with images that failed, are not cached (the
   * archive or network may recover, and the next run should try them again).
   * Resolves to whether it was stored.
   */
  async save(k: ResultsCacheKey, result: SeriesResult): Promise<boolean> {
    if (result.error !== null || result.timing.framesFailed > 0 || result.seriesInstanceUID !== k.seriesInstanceUID) return false;
    const key = resultsCacheKey(k);
    try {
      await this.store.set(key, JSON.stringify({ key, result } satisfies StoredEntry));
      return true;
    } catch (e) {
      this.warn(`results cache: could not store series ${k.seriesInstanceUID}: ${(e as Error)?.message ?? String(e)}`);
      return false;
    }
  }

  private warn(message: string): void {
    this.options.onWarning?.(message);
  }
}
