/**
 * `classify`'s SR read-back and `--stow` write-back (docs/SR.md, docs/CLI.md). Per study: one
 * QIDO for our SRs. Per series: its metadata (no pixels) says which instances it has now; our SR
 * for those instances and the loaded model is used instead of classifying; outdated ones are
 * reported. With --stow, new results are written as SRs once the study's series are done (the SR
 * names the study's Annex L term too). A refusing archive stops the writing, never the run.
 */
import * as path from 'path';
import type { DicomWebArchive } from '../engine/fetch/dicomWebArchive';
import type { ModelManifest } from '../engine/infer/BodyRegionModel';
import { sha256OfFile } from './resultsCacheFile';
import { describeError } from '../engine/fetch/dicomWebArchive';
import type { DicomJsonDataset } from '../engine/fetch/dicomJson';
import { getString, Tags } from '../engine/fetch/dicomJson';
import { AbortError } from '../engine/fetch/retry';
import type { AlgorithmIdentity } from '../engine/report/algorithmIdentity';
import type { SourceInstance } from '../engine/report/encodeSr';
import { findStudySrs, type StudySrs } from '../engine/report/findSrs';
import { chooseSr } from '../engine/report/matchSr';
import { naturalizeDicomJson } from '../engine/report/readSrDataset';
import { SrStoreError, stowSeriesSr } from '../engine/report/stowSr';
import { summariseStudy } from '../engine/pipeline';
import type { SeriesResult } from '../engine/results/schema';

/** The loaded model as our SRs name it: the sha256 of the ONNX bytes actually loaded. */
export function algorithmIdentityOf(manifest: ModelManifest, modelDir: string, adapterSha256: string | null = null): AlgorithmIdentity {
  return {
    modelId: manifest.modelId,
    version: manifest.version,
    modelSha256: sha256OfFile(path.join(modelDir, manifest.file)),
    preprocessing: manifest.preprocessing,
    adapterSha256,
  };
}

export interface SeriesKey {
  studyInstanceUID: string;
  seriesInstanceUID: string;
}

interface Pending {
  result: SeriesResult;
  instances: SourceInstance[];
  source: Record<string, unknown>;
}

export interface ArchiveSrOptions {
  archive: DicomWebArchive;
  algorithm: AlgorithmIdentity;
  /** Look for our SRs before classifying (default on; `--no-read-back`). */
  readBack: boolean;
  /** `--stow`: write new results as SRs. */
  stow: boolean;
  signal: AbortSignal;
  note(message: string): void;
  warn(message: string): void;
}

export class ArchiveSrs {
  private readonly studies = new Map<string, StudySrs>();
  private readonly metadata = new Map<string, DicomJsonDataset[]>();
  private readonly pending = new Map<string, Pending[]>();
  private refusal: string | null = null;
  readonly counts = { readBack: 0, outdated: 0, written: 0, alreadyStored: 0, notStored: 0 };

  constructor(private readonly opts: ArchiveSrOptions) {}

  /** Metadata fetched for the read-back, for the classification to reuse (taken once). */
  takeMetadata(series: SeriesKey): DicomJsonDataset[] | undefined {
    const found = this.metadata.get(series.seriesInstanceUID);
    this.metadata.delete(series.seriesInstanceUID);
    return found;
  }

  /** Our current SR's result for the series, or null (then it is classified as usual). */
  async readBack(series: SeriesKey): Promise<SeriesResult | null> {
    if (!this.opts.readBack && !this.opts.stow) return null;
    const metadata = await this.seriesMetadata(series);
    const study = await this.studySrs(series.studyInstanceUID);
    if (!metadata || !study) return null;
    const choice = chooseSr(
      study.ours,
      { seriesInstanceUID: series.seriesInstanceUID, instanceUids: instancesOf(metadata).map((i) => i.sopInstanceUID) },
      this.opts.algorithm,
    );
    if (this.opts.readBack && choice.current) {
      this.counts.readBack++;
      return choice.current.result;
    }
    for (const { sr, reason } of choice.outdated) {
      this.counts.outdated++;
      this.opts.note(`series ${series.seriesInstanceUID}: archive SR ${sr.sopInstanceUID} is outdated (${reason}); classifying again`);
    }
    return null;
  }

  /** Queues a fresh result for --stow (complete results only: a partial one would be reused as if whole). */
  afterClassified(result: SeriesResult, metadata: DicomJsonDataset[] | undefined): void {
    if (!this.opts.stow || result.error !== null || !metadata?.length) return;
    if (result.timing.framesFailed > 0) {
      this.opts.warn(`series ${result.seriesInstanceUID}: ${result.timing.framesFailed} images failed, no SR written for it`);
      return;
    }
    const list = this.pending.get(result.studyInstanceUID) ?? [];
    list.push({ result, ...srEvidenceOf(metadata) });
    this.pending.set(result.studyInstanceUID, list);
  }

  /** Writes the study's queued SRs, with the study's Annex L term from all its results. */
  async flushStudy(studyInstanceUID: string, studyResults: SeriesResult[]): Promise<void> {
    const queued = this.pending.get(studyInstanceUID) ?? [];
    this.pending.delete(studyInstanceUID);
    if (queued.length === 0) return;
    if (this.refusal) {
      this.counts.notStored += queued.length;
      return;
    }
    const studyAnnexL = summariseStudy(studyResults).annexL;
    const study = await this.studySrs(studyInstanceUID);
    for (const [i, p] of queued.entries()) {
      try {
        const outcome = await stowSeriesSr(
          this.opts.archive,
          { ...p, algorithm: this.opts.algorithm, studyAnnexL },
          { signal: this.opts.signal, study: study ?? undefined },
        );
        if (outcome.written) {
          this.counts.written++;
          this.opts.note(`series ${p.result.seriesInstanceUID}: SR ${outcome.sopInstanceUID} stored on the archive`);
        } else {
          this.counts.alreadyStored++;
          this.opts.note(
            `series ${p.result.seriesInstanceUID}: the archive already has our SR ${outcome.existingSopInstanceUID}, not written again`,
          );
        }
      } catch (error) {
        if (error instanceof AbortError || !(error instanceof SrStoreError)) throw error;
        // The archive said no: the same would happen to every other SR of this run.
        this.refusal = error.message;
        this.counts.notStored += queued.length - i;
        process.stderr.write(`body-region: ${error.message}; no more SRs are written in this run (the results are in the output)\n`);
        return;
      }
    }
  }

  /** Why writing stopped (null when every SR asked for was stored or already there). */
  get storeRefusal(): string | null {
    return this.refusal;
  }

  private async seriesMetadata(series: SeriesKey): Promise<DicomJsonDataset[] | null> {
    try {
      const metadata = await this.opts.archive.retrieveSeriesMetadata(series.studyInstanceUID, series.seriesInstanceUID, this.opts.signal);
      this.metadata.set(series.seriesInstanceUID, metadata);
      return metadata;
    } catch (error) {
      if (error instanceof AbortError) throw error;
      return null; // the classification fetches it again and reports the failure
    }
  }

  private async studySrs(studyInstanceUID: string): Promise<StudySrs | null> {
    const known = this.studies.get(studyInstanceUID);
    if (known) return known;
    try {
      const found = await findStudySrs(this.opts.archive, studyInstanceUID, this.opts.signal);
      for (const u of found.unreadable) this.opts.warn(`ignoring unreadable body-region SR ${u.sopInstanceUID}: ${u.reason}`);
      this.studies.set(studyInstanceUID, found);
      return found;
    } catch (error) {
      if (error instanceof AbortError) throw error;
      this.opts.warn(`could not look for SRs in study ${studyInstanceUID}: ${describeError(error)}`);
      return null;
    }
  }
}

/** What an SR of the series copies from its metadata: every instance, and one instance's attributes (no pixels). */
export function srEvidenceOf(metadata: DicomJsonDataset[]): { instances: SourceInstance[]; source: Record<string, unknown> } {
  const { PixelData: _pixels, ...source } = naturalizeDicomJson(metadata[0]);
  return { instances: instancesOf(metadata), source };
}

/** Every instance the series metadata lists (the SR's evidence). */
export function instancesOf(metadata: DicomJsonDataset[]): SourceInstance[] {
  return metadata
    .map((d) => ({ sopInstanceUID: getString(d, Tags.SOPInstanceUID) ?? '', sopClassUID: getString(d, Tags.SOPClassUID) ?? '' }))
    .filter((i) => i.sopInstanceUID && i.sopClassUID);
}
