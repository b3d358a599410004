/**
 * The panel's site corrections, wired: turns the panel's three actions on the current segment into
 * stored corrections (siteCorrections.ts, engine makeCorrection), re-fits the adapter after every
 * change and asks for the study to be classified again with it. No OHIF or React here: the viewer
 * glue (siteSession.ts) supplies the current image, the re-run and the download.
 */
import { makeCorrection } from '../../engine/adapt/correctionActions';
import type { AdapterFile } from '../../engine/adapt/adapter';
import type { Correction, CorrectionAction } from '../../engine/adapt/corrections';
import { parseHead, parseManifest, parseReplay, type ReplaySet } from '../../engine/infer/manifest';
import type { SeriesResult } from '../../engine/results/schema';
import type { LabelsFile } from '../../engine/types';
import type { CorrectionListItem, CorrectionTarget } from '../panels/CorrectionsSection';
import type { BodyRegionService } from './BodyRegionService';
import { CorrectionsStore, SiteAdaptation, type AdapterFitter, type SiteModel } from './siteCorrections';

/**
 * model.json's head beside it → the model the adapter is fitted for; null when it ships no head.
 * The replay set (≈ 1.5 MB) is fetched on the first fit only: a viewer without corrections never needs it.
 */
export async function loadSiteModel(assetBase: string, fetchImpl: typeof fetch = fetch): Promise<SiteModel | null> {
  const get = async (file: string) => {
    const response = await fetchImpl(new URL(file, assetBase).href);
    if (!response.ok) throw new Error(`${file}: HTTP ${response.status}`);
    return response;
  };
  const manifest = parseManifest(await (await get('model.json')).json());
  if (!manifest.head || !manifest.embeddingSize || !manifest.sha256) return null;
  const labels = (await (await get(manifest.labels)).json()) as LabelsFile;
  const head = parseHead(await (await get(manifest.head)).json(), manifest.numClasses, manifest.embeddingSize);
  const entry = manifest.replay;
  let replay: Promise<ReplaySet | null> | null = null;
  const loadReplay = async (): Promise<ReplaySet | null> =>
    entry
      ? parseReplay(
          new Uint8Array(await (await get(entry.file)).arrayBuffer()),
          await (await get(entry.labels)).json(),
          entry,
          manifest.numClasses,
        )
      : null;
  return {
    id: manifest.modelId,
    version: manifest.version,
    sha256: manifest.sha256.toLowerCase(),
    labelNames: labels.labels.map((l) => l.name),
    temperature: manifest.temperature ?? 1,
    head,
    // Once fetched, kept; a failed fetch is tried again at the next fit.
    replay: () =>
      (replay ??= loadReplay().catch((error: unknown) => {
        replay = null;
        throw error;
      })),
  };
}

export interface SiteControllerDeps {
  service: BodyRegionService;
  model: () => Promise<SiteModel | null>;
  store?: CorrectionsStore;
  /** Corrections are kept per site: this browser profile's viewer, unless told otherwise. */
  site?: string;
  /** The image the viewport shows now (for "boundary here"), or null. */
  currentImage: () => { sopInstanceUID: string; frameNumber: number } | null;
  /** Classifies the open study again (with the adapter now in use). */
  rerun: () => void;
  download: (fileName: string, text: string) => void;
  /** Where the adapter is fitted (the viewer: its worker); default here. */
  fit?: AdapterFitter;
  now?: () => Date;
}

export interface SiteSnapshot {
  /** False until the model's head is loaded, and for a model without one. */
  available: boolean;
  labels: string[];
  corrections: CorrectionListItem[];
  status: string | null;
  enabled: boolean;
  error: string | null;
}

const UNAVAILABLE: SiteSnapshot = { available: false, labels: [], corrections: [], status: null, enabled: true, error: null };

export class SiteController {
  private snapshot: SiteSnapshot = UNAVAILABLE;
  private readonly listeners = new Set<() => void>();
  private readonly store: CorrectionsStore;
  private readonly site: string;
  private adaptation: SiteAdaptation | null = null;
  private model: SiteModel | null = null;
  private ready: Promise<void> | null = null;
  private nextId = 0;
  /** The open study's results before the latest change: their embeddings are re-decoded, not recomputed. */
  private earlier = new Map<string, SeriesResult>();

  constructor(private readonly deps: SiteControllerDeps) {
    this.store = deps.store ?? new CorrectionsStore();
    this.site = deps.site ?? 'this-viewer';
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): SiteSnapshot => this.snapshot;

  /** Loads the model's head and the stored corrections, and fits the adapter (once). */
  start(): Promise<void> {
    this.ready ??= (async () => {
      try {
        this.model = await this.deps.model();
        if (!this.model) return;
        this.adaptation = new SiteAdaptation(this.store, this.site, this.model, this.deps.fit);
        await this.adaptation.refit();
        await this.publish(null);
      } catch (error) {
        // No corrections on this page (the classification reports a broken model itself).
        console.warn(`[body-region] site corrections unavailable: ${(error as Error)?.message ?? String(error)}`);
      }
    })();
    return this.ready;
  }

  /** The adapter the runner classifies with now, or null. */
  adapterFile(): AdapterFile | null {
    return this.adaptation?.current?.file ?? null;
  }

  adapterId(): string | null {
    return this.adaptation?.current?.id ?? null;
  }

  /** "site-adapted (N corrections)" while an adapter is in use, else null. */
  adapterStatus(): string | null {
    return this.adaptation?.status ?? null;
  }

  /** The series' result from before the latest change (with embeddings), or null. */
  earlierResult(seriesInstanceUID: string): SeriesResult | null {
    return this.earlier.get(seriesInstanceUID) ?? null;
  }

  /** The panel's current segment as a correction target, or null. */
  target(): CorrectionTarget | null {
    const found = this.cursorSegment();
    if (!found) return null;
    return {
      seriesDescription: found.description,
      label: found.segment.label,
      canMoveBoundary: this.boundaryMove(found) !== null,
    };
  }

  setRegion(label: string): Promise<void> {
    const found = this.cursorSegment();
    if (!found) return Promise.resolve();
    const { segment } = found;
    return this.correct(found.result, {
      kind: 'set-segment',
      stackIndex: segment.stackIndex,
      firstIndex: segment.firstIndex,
      lastIndex: segment.lastIndex,
      from: segment.label,
      to: label,
    });
  }

  moveBoundary(): Promise<void> {
    const found = this.cursorSegment();
    const action = found && this.boundaryMove(found);
    return found && action ? this.correct(found.result, action) : Promise.resolve();
  }

  markOther(): Promise<void> {
    const found = this.cursorSegment();
    return found ? this.correct(found.result, { kind: 'mark-other' }) : Promise.resolve();
  }

  undo = (): Promise<void> => this.change(() => this.store.undo(this.site));
  reset = (): Promise<void> => this.change(() => this.store.reset(this.site));

  setEnabled = (enabled: boolean): Promise<void> =>
    this.change(async () => {
      if (this.adaptation) this.adaptation.enabled = enabled;
    });

  async exportFile(): Promise<void> {
    if (!this.model) return;
    const { id, version, sha256 } = this.model;
    const file = await this.store.export(this.site, { id, version, sha256 }, this.now());
    this.deps.download(`body-region-corrections-${file.exportedAt.slice(0, 10)}.json`, JSON.stringify(file));
  }

  importText = (text: string): Promise<void> =>
    this.change(async () => {
      if (!this.model) return;
      await this.store.import(this.site, JSON.parse(text), this.model.sha256);
    });

  private async correct(result: SeriesResult, action: CorrectionAction): Promise<void> {
    const correction = makeCorrection(result, action, `${this.now().getTime()}-${this.nextId++}`, this.now().toISOString());
    if (!correction.images.length) {
      this.publishError(new Error('this series kept no embeddings to learn from'));
      return;
    }
    await this.change(() => this.store.add(this.site, correction));
  }

  /** Applies a change to the corrections, re-fits and re-classifies the study with the new adapter. */
  private async change(apply: () => Promise<unknown>): Promise<void> {
    await this.start();
    if (!this.adaptation) return;
    try {
      await apply();
      await this.adaptation.refit();
      await this.publish(null);
      this.earlier = new Map(this.deps.service.getRawResults().map((r) => [r.seriesInstanceUID, r]));
      this.deps.rerun();
    } catch (error) {
      this.publishError(error);
    }
  }

  private cursorSegment() {
    const state = this.deps.service.getState();
    const cursor = state.cursor;
    if (!cursor) return null;
    const view = state.series.find((s) => s.seriesInstanceUID === cursor.seriesInstanceUID);
    const shown = view?.segments[cursor.segmentIndex];
    const result = this.deps.service.getRawResults().find((r) => r.seriesInstanceUID === cursor.seriesInstanceUID);
    if (!view || !shown || !result?.segments) return null;
    // The panel shows the main stack's segments: find the result's segment it came from.
    const segment = result.segments.find(
      (s) => s.label === shown.label && s.firstIndex === shown.firstIndex && s.lastIndex === shown.lastIndex,
    );
    return segment ? { result, segment, description: view.description || view.modality } : null;
  }

  /** "Boundary here": the segment's label extended to the current slice (same stack, outside the segment). */
  private boundaryMove(found: NonNullable<ReturnType<SiteController['cursorSegment']>>): CorrectionAction | null {
    const image = this.deps.currentImage();
    const at =
      image &&
      found.result.images.find((im) => im.sopInstanceUID === image.sopInstanceUID && (im.frameNumber ?? 1) === (image.frameNumber ?? 1));
    const { segment } = found;
    if (!at || at.stackIndex !== segment.stackIndex) return null;
    if (at.sliceIndex > segment.lastIndex)
      return {
        kind: 'move-boundary',
        stackIndex: segment.stackIndex,
        fromIndex: segment.lastIndex + 1,
        toIndex: at.sliceIndex,
        label: segment.label,
      };
    if (at.sliceIndex < segment.firstIndex)
      return {
        kind: 'move-boundary',
        stackIndex: segment.stackIndex,
        fromIndex: segment.firstIndex - 1,
        toIndex: at.sliceIndex,
        label: segment.label,
      };
    return null;
  }

  private async publish(error: string | null): Promise<void> {
    const list = this.adaptation ? await this.store.list(this.site) : [];
    this.snapshot = {
      available: !!this.adaptation,
      labels: this.model?.labelNames ?? [],
      corrections: list.map((c) => ({ id: c.id, text: describe(c) })),
      status: this.adaptation?.status ?? null,
      enabled: this.adaptation?.enabled ?? true,
      error,
    };
    for (const listener of this.listeners) listener();
  }

  private publishError(error: unknown): void {
    this.snapshot = { ...this.snapshot, error: (error as Error)?.message ?? String(error) };
    for (const listener of this.listeners) listener();
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}

/** One line of the panel's list, e.g. "set-segment CHEST → ABDOMEN (12 images)". */
function describe(c: Correction): string {
  const a = c.action;
  const what =
    a.kind === 'set-segment' ? `${a.from} → ${a.to}` : a.kind === 'move-boundary' ? `${a.label} boundary moved` : 'series marked OTHER';
  return `${what} (${c.images.length} image${c.images.length === 1 ? '' : 's'})`;
}
