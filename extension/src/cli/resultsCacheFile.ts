/**
 * The CLI's results cache: one JSON file (`{schema, entries: {key: value}}`), read once, written
 * atomically (temp file + rename) so an interrupted run never leaves half a file. A file that
 * cannot be read or parsed is ignored with a warning and replaced on the next write.
 * Only the user can read it (0600): results carry UIDs and series descriptions.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ResultsCache, type ModelIdentity, type ResultsCacheStore } from '../engine/results/cache';
import type { SeriesResult } from '../engine/results/schema';

export const CACHE_FILE_SCHEMA = 'body-region-cache-file/1';

/** `$XDG_CACHE_HOME/body-region/results.json`, else `~/.cache/body-region/results.json`. */
export function defaultCacheFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'body-region', 'results.json');
}

/** sha256 (hex) of a file's bytes: the model's identity in cache keys, whatever model.json claims. */
export function sha256OfFile(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

export interface FileStoreOptions {
  /** Oldest entries are dropped beyond this many (the file is rewritten whole on each flush). */
  maxEntries?: number;
  /** At most one write per this many ms while setting; `flush()` writes the rest. */
  writeIntervalMs?: number;
  onWarning?: (message: string) => void;
}

type Entries = Map<string, string>;

export class FileResultsCacheStore implements ResultsCacheStore {
  private entries: Entries | null = null;
  private dirty = false;
  private lastWrite = 0;
  private readonly maxEntries: number;
  private readonly writeIntervalMs: number;

  constructor(
    readonly file: string,
    private readonly options: FileStoreOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 2000;
    this.writeIntervalMs = options.writeIntervalMs ?? 2000;
  }

  async get(key: string): Promise<string | undefined> {
    return this.load().get(key);
  }

  async set(key: string, value: string): Promise<void> {
    const entries = this.load();
    entries.delete(key); // re-insert: insertion order is age order
    entries.set(key, value);
    this.dirty = true;
    if (Date.now() - this.lastWrite >= this.writeIntervalMs) this.flush();
  }

  /** Writes pending entries, merged with what another process may have written meanwhile. */
  flush(): void {
    if (!this.dirty || !this.entries) return;
    const merged = this.readFile(false) ?? new Map<string, string>();
    for (const [k, v] of this.entries) {
      merged.delete(k);
      merged.set(k, v);
    }
    const kept = [...merged].slice(-this.maxEntries);
    this.entries = new Map(kept);
    const text = JSON.stringify({ schema: CACHE_FILE_SCHEMA, entries: Object.fromEntries(kept) });
    const dir = path.dirname(this.file);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temp = path.join(dir, `.${path.basename(this.file)}.${process.pid}.${Date.now()}.tmp`);
    try {
      fs.writeFileSync(temp, text, { mode: 0o600 });
      fs.renameSync(temp, this.file);
    } catch (e) {
      fs.rmSync(temp, { force: true });
      throw e;
    }
    this.dirty = false;
    this.lastWrite = Date.now();
  }

  private load(): Entries {
    if (!this.entries) this.entries = this.readFile(true) ?? new Map();
    return this.entries;
  }

  /** The file's entries; null when it is absent or unusable (warned about when `warn`). */
  private readFile(warn: boolean): Entries | null {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && warn)
        this.warn(`results cache ${this.file} unreadable, ignoring it: ${(e as Error).message}`);
      return null;
    }
    try {
      const parsed = JSON.parse(text) as { schema?: unknown; entries?: unknown };
      if (
        parsed?.schema !== CACHE_FILE_SCHEMA ||
        typeof parsed.entries !== 'object' ||
        parsed.entries === null ||
        Array.isArray(parsed.entries)
      ) {
        throw new Error(`not a ${CACHE_FILE_SCHEMA} file`);
      }
      const entries: Entries = new Map();
      for (const [k, v] of Object.entries(parsed.entries as Record<string, unknown>)) if (typeof v === 'string') entries.set(k, v);
      return entries;
    } catch (e) {
      if (warn) this.warn(`results cache ${this.file} is corrupt, ignoring it (it will be replaced): ${(e as Error).message}`);
      return null;
    }
  }

  private warn(message: string): void {
    this.options.onWarning?.(message);
  }
}

/** The cache as the CLI uses it: one model and mode per run, warnings to stderr. */
export class CliResultsCache {
  private readonly cache: ResultsCache;
  hits = 0;

  constructor(
    private readonly store: FileResultsCacheStore,
    private readonly model: ModelIdentity,
    private readonly mode: 'exhaustive' | 'fast',
    warn: (message: string) => void,
    private readonly adapter: string | null = null,
  ) {
    this.cache = new ResultsCache(store, { onWarning: warn });
  }

  /** The cached result of a series, or null (absent, corrupt, or of another model or mode). */
  async lookup(seriesInstanceUID: string): Promise<SeriesResult | null> {
    const found = await this.cache.lookup({ seriesInstanceUID, model: this.model, mode: this.mode, adapter: this.adapter });
    if (!found.hit) return null;
    this.hits++;
    return found.result;
  }

  async save(result: SeriesResult): Promise<void> {
    await this.cache.save(
      { seriesInstanceUID: result.seriesInstanceUID, model: this.model, mode: this.mode, adapter: this.adapter },
      result,
    );
  }

  /** Writes what is pending; a cache that cannot be written is a warning, not a failed run. */
  close(warn: (message: string) => void): void {
    try {
      this.store.flush();
    } catch (e) {
      warn(`results cache ${this.store.file} could not be written: ${(e as Error).message}`);
    }
  }
}

/**
 * `--cache [file]` → the cache of this run, or null without `--cache` (or with `--no-cache`).
 * The model's identity is the sha256 of the ONNX bytes actually loaded (BodyRegionModel.sha256).
 */
export function openCliResultsCache(
  flag: string | boolean | undefined,
  model: { manifest: { modelId: string; version: string }; sha256: string | null },
  mode: 'exhaustive' | 'fast',
  warn: (message: string) => void,
  adapter: string | null = null,
): CliResultsCache | null {
  if (!flag) return null;
  const file = typeof flag === 'string' ? path.resolve(flag) : defaultCacheFile();
  const identity: ModelIdentity = { id: model.manifest.modelId, version: model.manifest.version, sha256: model.sha256 };
  return new CliResultsCache(new FileResultsCacheStore(file, { onWarning: warn }), identity, mode, warn, adapter);
}
