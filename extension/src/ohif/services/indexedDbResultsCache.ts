/**
 * The viewer's results cache storage: one IndexedDB object store (per origin, on this machine
 * only). Values are the engine cache's strings; the oldest entries go beyond `maxEntries`.
 * Any IndexedDB failure (private mode, quota, blocked upgrade) rejects; the engine's ResultsCache
 * turns that into a cache miss with a warning, so the viewer keeps classifying.
 */
import type { ResultsCacheStore } from '../../engine/results/cache';
import { idbDone as done, idbRequest as request, openIdb } from './idb';

const STORE = 'results';
const BY_AGE = 'savedAt';

interface Row {
  key: string;
  value: string;
  savedAt: number;
}

export interface IndexedDbStoreOptions {
  dbName?: string;
  maxEntries?: number;
  /** The IndexedDB implementation; `globalThis.indexedDB` by default. */
  factory?: IDBFactory;
}

export class IndexedDbResultsCacheStore implements ResultsCacheStore {
  private db: Promise<IDBDatabase> | null = null;
  private savedAt = 0;
  readonly dbName: string;
  private readonly maxEntries: number;

  constructor(private readonly options: IndexedDbStoreOptions = {}) {
    this.dbName = options.dbName ?? 'body-region-results';
    this.maxEntries = options.maxEntries ?? 500;
  }

  async get(key: string): Promise<string | undefined> {
    const db = await this.open();
    const row = (await request(db.transaction(STORE, 'readonly').objectStore(STORE).get(key))) as Row | undefined;
    return typeof row?.value === 'string' ? row.value : undefined;
  }

  async set(key: string, value: string): Promise<void> {
    const db = await this.open();
    const tx = db.transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    // Strictly increasing, so entries saved in the same millisecond still have an order.
    this.savedAt = Math.max(Date.now(), this.savedAt + 1);
    store.put({ key, value, savedAt: this.savedAt } satisfies Row);
    const count = await request(store.count());
    let excess = count - this.maxEntries;
    if (excess > 0) {
      const cursors = store.index(BY_AGE).openCursor();
      cursors.onsuccess = () => {
        const cursor = cursors.result;
        if (!cursor || excess-- <= 0) return;
        cursor.delete();
        cursor.continue();
      };
    }
    await done(tx);
  }

  /** Closes the connection (tests; a page simply goes away). */
  async close(): Promise<void> {
    const db = this.db;
    this.db = null;
    if (db) (await db.catch(() => null))?.close();
  }

  private open(): Promise<IDBDatabase> {
    if (!this.db) {
      const opening = openIdb(
        this.options.factory,
        this.dbName,
        (db) => db.createObjectStore(STORE, { keyPath: 'key' }).createIndex(BY_AGE, 'savedAt'),
        // Another tab upgrading the database: let it, and reopen next time.
        () => (this.db = null),
      );
      // A failed open is retried on the next call (e.g. after the user freed quota).
      opening.catch(() => {
        if (this.db === opening) this.db = null;
      });
      this.db = opening;
    }
    return this.db;
  }
}
