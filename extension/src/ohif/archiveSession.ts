/**
 * Wires our SRs into the viewer (docs/OHIF.md, "Results in the archive"): the runner in front of
 * the cache and worker, the display sets' instances as SR evidence, the data source's root and
 * authorization for QIDO and STOW, and whether the configuration enables write-back.
 */
import { DicomWebArchive } from '../engine/fetch/dicomWebArchive';
import type { OhifHost } from './ohifTypes';
import type { BodyRegionService } from './services/BodyRegionService';
import type { ClassificationRunner, SeriesJob } from './services/jobs';
import { activeDisplaySets } from './services/displaySets';
import { algorithmIdentityFrom, ArchiveSrRunner, type SeriesEvidence } from './services/archiveSrRunner';

function evidenceOf(host: OhifHost, job: SeriesJob): SeriesEvidence | null {
  const instances = activeDisplaySets(host)
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
  host: OhifHost,
  assetBase: string,
  service: BodyRegionService,
  dataSource: { root: () => string; headers: () => Record<string, string> },
): ArchiveSrRunner {
  service.resultSources.setWriteBack(service.configuration.writeBack === true);
  return new ArchiveSrRunner({
    inner,
    archive: () => new DicomWebArchive({ url: dataSource.root(), headers: dataSource.headers }),
    algorithm: algorithmIdentityFrom(assetBase),
    evidence: (job) => evidenceOf(host, job),
    sources: service.resultSources,
    onWarning: (message) => console.warn(`[body-region] ${message}`),
  });
}

/** "Save to archive": the open study's fresh results, as SRs (only when write-back is enabled). */
export async function saveStudyToArchive(runner: ArchiveSrRunner, service: BodyRegionService): Promise<number> {
  if (!service.resultSources.getSnapshot().writeBack) return 0;
  const state = service.getState();
  const jobs: SeriesJob[] = state.series.map((s) => ({
    studyInstanceUID: state.studyInstanceUID ?? '',
    seriesInstanceUID: s.seriesInstanceUID,
    description: s.description,
    modality: s.modality,
  }));
  return runner.saveToArchive(service.getRawResults(), jobs);
}
