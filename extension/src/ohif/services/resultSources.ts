/**
 * Where each series' result came from (our SR in the archive, this browser's cache, or computed
 * now), our outdated SRs of it, and the state of "Save to archive". A small store with its own
 * listeners, so the panel section that shows it stays apart from the main panel.
 */
export type ResultSource = 'archive' | 'cache' | 'computed';

export interface SeriesSource {
  source: ResultSource;
  /** The SR the result was read from, or the SR it was saved as. */
  srSopInstanceUID?: string;
  /** When that SR was written (ISO), for 'archive'. */
  srCreatedAt?: string | null;
  /** Our SRs of this series that no longer stand for it, with why. */
  outdated: string[];
  /** Saved to the archive in this session. */
  saved?: boolean;
  /** "site-adapted (N corrections)" when a site adapter shaped the result. */
  adapted?: string;
}

export interface SaveState {
  status: 'idle' | 'saving' | 'saved' | 'error';
  message: string | null;
}

export interface SourcesSnapshot {
  series: Record<string, SeriesSource>;
  save: SaveState;
  /** Write-back enabled by the app config (`bodyRegion.writeBack`). */
  writeBack: boolean;
}

export class ResultSources {
  private snapshot: SourcesSnapshot = { series: {}, save: { status: 'idle', message: null }, writeBack: false };
  private readonly listeners = new Set<() => void>();

  getSnapshot(): SourcesSnapshot {
    return this.snapshot;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setWriteBack(enabled: boolean): void {
    this.update({ writeBack: enabled });
  }

  setSeries(seriesInstanceUID: string, source: SeriesSource): void {
    this.update({ series: { ...this.snapshot.series, [seriesInstanceUID]: source } });
  }

  markSaved(seriesInstanceUID: string, srSopInstanceUID: string): void {
    const known = this.snapshot.series[seriesInstanceUID];
    if (known) this.setSeries(seriesInstanceUID, { ...known, saved: true, srSopInstanceUID, outdated: [] });
  }

  setSave(save: SaveState): void {
    this.update({ save });
  }

  /** A new study: forget the old one's sources (write-back stays as configured). */
  reset(): void {
    this.update({ series: {}, save: { status: 'idle', message: null } });
  }

  private update(patch: Partial<SourcesSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const listener of this.listeners) listener();
  }
}
