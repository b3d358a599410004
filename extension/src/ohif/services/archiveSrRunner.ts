/**
 * The viewer's read-back and write-back of our SRs (docs/SR.md), in front of the cache and the
 * worker: a series whose current SR is in the archive is shown from it at once (no worker, no
 * frames); otherwise it is classified as before and our outdated SRs of it are noted. "Save to
 * archive" stores the study's fresh results as SRs with the data source's own authorization.
 */
import { DicomWebArchive } from '../../engine/fetch/dicomWebArchive';
import type { AlgorithmIdentity } from '../../engine/report/algorithmIdentity';
import type { SourceInstance } from '../../engine/report/encodeSr';
import { findStudySrs, type StudySrs } from '../../engine/report/findSrs';
import { chooseSr } from '../../engine/report/matchSr';
import { stowSeriesSr, SrStoreError } from '../../engine/report/stowSr';
import { summariseStudy } from '../../engine/summarise/summariseStudy';
import type { SeriesResult } from '../../engine/results/schema';
import type { ClassificationRunner, SeriesJob } from './jobs';
import type { ResultSources } from './resultSources';
import { parseManifest } from '../../engine/infer/manifest';

export interface SeriesEvidence {
  instances: SourceInstance[];
  /** Naturalized attributes of one instance (patient and study are copied into the SR). */
  source: Record<string, unknown>;
}

export interface ArchiveSrRunnerOptions {
  inner: ClassificationRunner & { hits?: number };
  /** The data source as a DICOMweb archive (its root and current authorization). */
  archive: () => DicomWebArchive;
  /** The model the worker loads, as our SRs name it; null when it cannot be known (no SR use then). */
  algorithm: () => Promise<AlgorithmIdentity | null>;
  /** The series' instances and attributes, from the viewer's metadata (no request). */
  evidence: (job: SeriesJob) => SeriesEvidence | null;
  sources: ResultSources;
  onWarning?: (message: string) => void;
}

export class ArchiveSrRunner implements ClassificationRunner {
  private study: { uid: string; srs: Promise<StudySrs | null> } | null = null;
  /** Series classified from the archive's SRs (for tests and stats). */
  readBack = 0;
  /** Delegates: the service's STUDY_DONE and cache stats read through. */
  get hits(): number | undefined {
    return this.options.inner.hits;
  }

  constructor(private readonly options: ArchiveSrRunnerOptions) {}

  async classify(job: SeriesJob, onProgress: (done: number, total: number) => void, signal: AbortSignal): Promise<SeriesResult> {
    const evidence = this.options.evidence(job);
    const algorithm = await this.options.algorithm().catch(() => null);
    const srs = algorithm && evidence ? await this.studySrs(job.studyInstanceUID) : null;
    if (signal.aborted) throw new DOMException('cancelled', 'AbortError');
    let outdated: string[] = [];
    if (srs && algorithm && evidence) {
      const choice = chooseSr(
        srs.ours,
        { seriesInstanceUID: job.seriesInstanceUID, instanceUids: evidence.instances.map((i) => i.sopInstanceUID) },
        algorithm,
      );
      if (choice.current) {
        this.readBack++;
        const n = choice.current.result.timing.framesTotal;
        onProgress(n, n);
        this.options.sources.setSeries(job.seriesInstanceUID, {
          source: 'archive',
          srSopInstanceUID: choice.current.sopInstanceUID,
          srCreatedAt: choice.current.createdAt,
          outdated: [],
        });
        return choice.current.result;
      }
      outdated = choice.outdated.map((o) => o.reason);
    }
    const hitsBefore = this.options.inner.hits ?? 0;
    const result = await this.options.inner.classify(job, onProgress, signal);
    const fromCache = (this.options.inner.hits ?? 0) > hitsBefore;
    this.options.sources.setSeries(job.seriesInstanceUID, { source: fromCache ? 'cache' : 'computed', outdated });
    return result;
  }

  /** Stores every complete result of the study not already in the archive; resolves to the count written. */
  async saveToArchive(results: SeriesResult[], jobs: SeriesJob[]): Promise<number> {
    const { sources } = this.options;
    const algorithm = await this.options.algorithm().catch(() => null);
    if (!algorithm) {
      sources.setSave({ status: 'error', message: 'The model has no sha256 in model.json: its results cannot be saved as SRs.' });
      return 0;
    }
    const complete = results.filter((r) => r.error === null && r.timing.framesFailed === 0);
    const toSave = complete.filter((r) => sources.getSnapshot().series[r.seriesInstanceUID]?.source !== 'archive');
    if (!toSave.length) {
      sources.setSave({ status: 'saved', message: 'Every result is already in the archive.' });
      return 0;
    }
    sources.setSave({ status: 'saving', message: `Saving ${toSave.length} series to the archive…` });
    const archive = this.options.archive();
    const studyAnnexL = summariseStudy(complete).annexL;
    let written = 0;
    try {
      const study = await findStudySrs(archive, toSave[0].studyInstanceUID);
      for (const result of toSave) {
        const job = jobs.find((j) => j.seriesInstanceUID === result.seriesInstanceUID);
        const evidence = job ? this.options.evidence(job) : null;
        if (!evidence) continue;
        // A site-adapted result names its adapter, so that no viewer takes it for the shipped model's.
        const identity = { ...algorithm, adapterSha256: result.adapter?.id ?? null };
        const outcome = await stowSeriesSr(archive, { result, ...evidence, algorithm: identity, studyAnnexL }, { study });
        const uid = outcome.written ? outcome.sopInstanceUID : outcome.existingSopInstanceUID;
        if (outcome.written) written++;
        sources.markSaved(result.seriesInstanceUID, uid);
      }
    } catch (error) {
      const message = error instanceof SrStoreError ? error.message : `Saving failed: ${(error as Error)?.message ?? String(error)}`;
      sources.setSave({ status: 'error', message: `${message}. The results stay in this browser.` });
      return written;
    }
    this.study = null; // the next study open reads the new SRs
    sources.setSave({ status: 'saved', message: `Saved ${written} SR${written === 1 ? '' : 's'} to the archive.` });
    return written;
  }

  private studySrs(studyInstanceUID: string): Promise<StudySrs | null> {
    if (this.study?.uid !== studyInstanceUID) {
      const srs = findStudySrs(this.options.archive(), studyInstanceUID).catch((error: unknown) => {
        this.options.onWarning?.(`could not look for body-region SRs: ${(error as Error)?.message ?? String(error)}`);
        return null;
      });
      this.study = { uid: studyInstanceUID, srs };
    }
    return this.study.srs;
  }
}

/** model.json at `assetBase` → the algorithm identity our SRs carry; null without a sha256. */
export function algorithmIdentityFrom(assetBase: string, fetchImpl: typeof fetch = fetch): () => Promise<AlgorithmIdentity | null> {
  let identity: Promise<AlgorithmIdentity | null> | null = null;
  return () => {
    identity ??= (async () => {
      const response = await fetchImpl(new URL('model.json', assetBase).href, { cache: 'no-cache' });
      if (!response.ok) throw new Error(`model.json: HTTP ${response.status}`);
      const m = parseManifest(await response.json());
      if (!m.sha256) return null;
      // No site adapter is loaded by the viewer yet: SRs written with one are outdated here.
      return {
        modelId: m.modelId,
        version: m.version,
        modelSha256: m.sha256.toLowerCase(),
        preprocessing: m.preprocessing,
        adapterSha256: null,
      };
    })().catch((error: unknown) => {
      identity = null;
      throw error;
    });
    return identity;
  };
}
