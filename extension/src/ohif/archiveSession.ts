/**
 * Wires our SRs into the viewer (docs/OHIF.md, "Results in the archive"): the runner in front of
 * the cache and worker, the display sets' instances as SR evidence, the data source's root and
 * authorization for QIDO and STOW, and whether the app config enables write-back.
 */
import { DicomWebArchive } from '../engine/fetch/dicomWebArchive';
import type { OhifContext } from './ohifTypes';
import { runtime } from './runtime';
import type { ClassificationRunner, SeriesJob } from './services/BodyRegionService';
import { activeDisplaySets } from './services/displaySets';
import { algorithmIdentityFrom, ArchiveSrRunner, type SeriesEvidence } from './services/archiveSrRunner';
import { ResultSources } from './services/resultSources';

export const resultSources = new ResultSources();
let archiveRunner: ArchiveSrRunner | null = null;

/**
 * Write-back is off unless the app config says `bodyRegion: { writeBack: true }` (or, in a source
 * build, the extension configuration `writeBack: true`).
 */
export function writeBackEnabled(ctx: OhifContext): boolean {
  const appConfig = ctx.appConfig ?? (globalThis as { config?: Record<string, unknown> }).config;
  const fromApp = (appConfig?.bodyRegion as { writeBack?: unknown } | undefined)?.writeBack;
  return fromApp === true || runtime.configuration.writeBack === true;
}

function evidenceOf(ctx: OhifContext, job: SeriesJob): SeriesEvidence | null {
  const instances = activeDisplaySets(ctx)
    .filter((ds) => ds.SeriesInstanceUID === job.seriesInstanceUID)
    .flatMap((ds) => ds.instances ?? []);
  const unique = new Map<string, string>();
  for (const i of instances)
    if (typeof i.SOPInstanceUID === 'string' && typeof i.SOPClassUID === 'string') unique.set(i.SOPInstanceUID, i.SOPClassUID);
  if (!unique.size) return null;
  return { instances: [...unique].map(([sopInstanceUID, sopClassUID]) => ({ sopInstanceUID, sopClassUID })), source: instances[0] };
}

export function withArchiveSrs(
  inner: ClassificationRunner,
  ctx: OhifContext,
  assetBase: string,
  dataSource: { root: () => string; headers: () => Record<string, string> },
): ClassificationRunner {
  resultSources.setWriteBack(writeBackEnabled(ctx));
  archiveRunner = new ArchiveSrRunner({
    inner,
    archive: () => new DicomWebArchive({ url: dataSource.root(), headers: dataSource.headers }),
    algorithm: algorithmIdentityFrom(assetBase),
    evidence: (job) => evidenceOf(ctx, job),
    sources: resultSources,
    onWarning: (message) => console.warn(`[body-region] ${message}`),
  });
  return archiveRunner;
}

/** "Save to archive": the open study's fresh results, as SRs (only when write-back is enabled). */
export async function saveStudyToArchive(): Promise<number> {
  if (!archiveRunner || !resultSources.getSnapshot().writeBack) return 0;
  const state = runtime.service.getState();
  const jobs: SeriesJob[] = state.series.map((s) => ({
    studyInstanceUID: state.studyInstanceUID ?? '',
    seriesInstanceUID: s.seriesInstanceUID,
    description: s.description,
    modality: s.modality,
  }));
  return archiveRunner.saveToArchive(runtime.service.getRawResults(), jobs);
}

export function archiveStats(): { readBack: number } {
  return { readBack: archiveRunner?.readBack ?? 0 };
}
