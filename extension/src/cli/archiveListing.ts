/** What to classify in a DICOMweb archive: studies, then their series, through paged QIDO-RS. */
import type { DicomWebArchive } from '../engine/fetch/dicomWebArchive';
import { getString, Tags } from '../engine/fetch/dicomJson';
import { searchAllPages } from '../engine/fetch/qidoPaging';

export interface SeriesRef {
  studyInstanceUID: string;
  seriesInstanceUID: string;
  modality: string;
}

export interface StudySelection {
  /** Every study the archive lists. */
  all?: boolean;
  /** Studies with a StudyDate on or after this day (YYYYMMDD). */
  since?: string;
  /** These studies (when neither all nor since). */
  studies?: string[];
}

/** StudyInstanceUIDs of the selection, each once. Named studies are not checked here. */
export async function listStudyUids(
  archive: DicomWebArchive,
  selection: StudySelection,
  signal?: AbortSignal,
  pageSize?: number,
): Promise<string[]> {
  if (!selection.all && !selection.since) return [...new Set(selection.studies ?? [])];
  const filter: Record<string, string> = selection.since ? { StudyDate: `${selection.since}-` } : {};
  const found = await searchAllPages((page) => archive.searchStudies({ ...filter, ...page }, signal), {
    pageSize,
    key: (s) => getString(s, Tags.StudyInstanceUID),
  });
  return found.map((s) => getString(s, Tags.StudyInstanceUID)!);
}

/** Every series of a study (paged too: a study may hold more series than an archive's page). */
export async function listSeriesOfStudy(
  archive: DicomWebArchive,
  studyInstanceUID: string,
  signal?: AbortSignal,
  pageSize?: number,
): Promise<SeriesRef[]> {
  const found = await searchAllPages((page) => archive.searchSeries(studyInstanceUID, page, signal), {
    pageSize,
    key: (s) => getString(s, Tags.SeriesInstanceUID),
  });
  return found.map((s) => ({
    studyInstanceUID,
    seriesInstanceUID: getString(s, Tags.SeriesInstanceUID)!,
    modality: getString(s, Tags.Modality) ?? '',
  }));
}
