/**
 * A site's corrections in the viewer: stored per site in IndexedDB (on this machine only), listed,
 * undone, reset, exported and imported as `body-region-corrections/1`, and turned into the site
 * adapter (engine `fitAdapter`) after each change. No OHIF or React here: the panel and the worker
 * wiring use it (services/siteController.ts).
 */
import { fitAdapter, SiteAdapter, type AdapterFile, type FitAdapterInput } from '../../engine/adapt/adapter';
import { correctionsFile } from '../../engine/adapt/correctionActions';
import { correctedEmbeddings, parseCorrections, type Correction, type CorrectionsFile } from '../../engine/adapt/corrections';
import { correctionSet } from '../../engine/adapt/trainingSet';
import type { LinearHead, ReplaySet } from '../../engine/infer/manifest';
import { idbDone, idbRequest, openIdb } from './idb';

const STORE = 'corrections';
const BY_SITE = 'site';

interface Row {
  id: string;
  site: string;
  /** Insertion order (undo removes the latest). */
  seq: number;
  correction: Correction;
}

export class CorrectionsStore {
  private db: Promise<IDBDatabase> | null = null;
  private seq = 0;

  constructor(private readonly options: { dbName?: string; factory?: IDBFactory } = {}) {}

  async add(site: string, correction: Correction): Promise<void> {
    const db = await this.open();
    const tx = db.transaction(STORE, 'readwrite');
    this.seq = Math.max(Date.now(), this.seq + 1);
    tx.objectStore(STORE).put({ id: correction.id, site, seq: this.seq, correction } satisfies Row);
    await idbDone(tx);
  }

  /** The site's corrections, oldest first. */
  async list(site: string): Promise<Correction[]> {
    const db = await this.open();
    const rows = (await idbRequest(db.transaction(STORE, 'readonly').objectStore(STORE).index(BY_SITE).getAll(site))) as Row[];
    return rows.sort((a, b) => a.seq - b.seq).map((r) => r.correction);
  }

  async remove(id: string): Promise<void> {
    const db = await this.open();
    const tx = db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).delete(id);
    await idbDone(tx);
  }

  /** Undoes the site's latest correction; returns it (null when there was none). */
  async undo(site: string): Promise<Correction | null> {
    const all = await this.list(site);
    const last = all[all.length - 1];
    if (!last) return null;
    await this.remove(last.id);
    return last;
  }

  /** Forgets every correction of the site. */
  async reset(site: string): Promise<void> {
    for (const c of await this.list(site)) await this.remove(c.id);
  }

  async export(site: string, model: CorrectionsFile['model'], now = new Date()): Promise<CorrectionsFile> {
    return correctionsFile(model, await this.list(site), now.toISOString());
  }

  /** Adds an export's corrections (same ids replace); refuses one made with another model. */
  async import(site: string, value: unknown, modelSha256: string): Promise<number> {
    const file = parseCorrections(value);
    if (file.model.sha256 !== modelSha256)
      throw new Error(`these corrections were made with another model (sha256 ${file.model.sha256.slice(0, 12)}…)`);
    for (const c of file.corrections) await this.add(site, c);
    return file.corrections.length;
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = null;
    if (db) (await db.catch(() => null))?.close();
  }

  private open(): Promise<IDBDatabase> {
    if (!this.db) {
      const opening = openIdb(
        this.options.factory,
        this.options.dbName ?? 'body-region-corrections',
        (db) => db.createObjectStore(STORE, { keyPath: 'id' }).createIndex(BY_SITE, 'site'),
        () => (this.db = null),
      );
      opening.catch(() => {
        if (this.db === opening) this.db = null;
      });
      this.db = opening;
    }
    return this.db;
  }
}

export interface SiteModel {
  id: string;
  version: string;
  sha256: string;
  labelNames: string[];
  temperature: number;
  head: LinearHead;
  /** The model's replay set, fetched on the first fit (null: the model ships none). */
  replay: () => Promise<ReplaySet | null>;
}

/** Fits an adapter: here by default; the viewer hands it to its worker (off the main thread). */
export type AdapterFitter = (input: FitAdapterInput) => Promise<AdapterFile>;

/** The adapter of a site's corrections (null without any, or when switched off), and the panel's words for it. */
export class SiteAdaptation {
  enabled = true;
  private adapter: SiteAdapter | null = null;
  private corrections = 0;

  constructor(
    private readonly store: CorrectionsStore,
    private readonly site: string,
    private readonly model: SiteModel,
    private readonly fit: AdapterFitter = async (input) => fitAdapter(input),
  ) {}

  /** Re-fits from the stored corrections (after each correction, undo, import or reset). */
  async refit(): Promise<SiteAdapter | null> {
    const corrections = await this.store.list(this.site);
    this.corrections = corrections.length;
    const items = correctedEmbeddings(
      { schema: 'body-region-corrections/1', model: this.model, exportedAt: '', corrections },
      this.model.labelNames,
    );
    this.adapter =
      items.length === 0
        ? null
        : new SiteAdapter(
            await this.fit({
              head: this.model.head,
              temperature: this.model.temperature,
              replay: await this.model.replay(),
              corrections: correctionSet(items, this.model.head.dim),
              labels: this.model.labelNames,
              baseModel: { id: this.model.id, version: this.model.version, sha256: this.model.sha256 },
            }),
          );
    return this.current;
  }

  /** The adapter to classify with: none when switched off. */
  get current(): SiteAdapter | null {
    return this.enabled ? this.adapter : null;
  }

  /** "site-adapted (N corrections)" while an adapter is in use, else null. */
  get status(): string | null {
    const a = this.current;
    if (!a) return null;
    const n = this.corrections;
    return `site-adapted (${n} correction${n === 1 ? '' : 's'})`;
  }
}
