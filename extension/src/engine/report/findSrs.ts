/**
 * Our SRs in an archive: QIDO for the study's SR series, their WADO-RS metadata (SR content is all
 * in the metadata; no pixels, no bulk data), decoded. Other tools' SRs are counted and ignored;
 * one of ours that cannot be read is reported, never fatal.
 */
import type { DicomWebArchive } from '../fetch/dicomWebArchive';
import { getString, Tags } from '../fetch/dicomJson';
import type { AlgorithmIdentity } from './algorithmIdentity';
import { decodeSr, type DecodedSr } from './decodeSr';
import { chooseSr, type SeriesNow, type SrChoice } from './matchSr';
import { naturalizeDicomJson } from './readSrDataset';

export interface StudySrs {
  /** Our SRs of the study, any series, any model. */
  ours: DecodedSr[];
  /** SR instances of other tools (ignored). */
  others: number;
  /** Ours but unreadable: SOP instance UID and why. */
  unreadable: Array<{ sopInstanceUID: string; reason: string }>;
}

export async function findStudySrs(archive: DicomWebArchive, studyInstanceUID: string, signal?: AbortSignal): Promise<StudySrs> {
  const found: StudySrs = { ours: [], others: 0, unreadable: [] };
  const srSeries = await archive.searchSeries(studyInstanceUID, { Modality: 'SR' }, signal);
  for (const series of srSeries) {
    const seriesInstanceUID = getString(series, Tags.SeriesInstanceUID);
    // QIDO matching on Modality is optional for an archive: check it again here.
    if (!seriesInstanceUID || getString(series, Tags.Modality) !== 'SR') continue;
    const instances = await archive.retrieveSeriesMetadata(studyInstanceUID, seriesInstanceUID, signal);
    for (const instance of instances) {
      try {
        const decoded = decodeSr(naturalizeDicomJson(instance));
        if (decoded) found.ours.push(decoded);
        else found.others++;
      } catch (error) {
        found.unreadable.push({ sopInstanceUID: getString(instance, Tags.SOPInstanceUID) ?? '?', reason: (error as Error).message });
      }
    }
  }
  return found;
}

/**
 * "Find our SR for a series": the SR that stands for the series as it is now and for this
 * algorithm (null when none), and those that are outdated. Pass `study` to reuse one QIDO per study.
 */
export async function findSeriesSr(
  archive: DicomWebArchive,
  series: SeriesNow & { studyInstanceUID: string },
  algorithm: AlgorithmIdentity,
  options: { signal?: AbortSignal; study?: StudySrs } = {},
): Promise<SrChoice> {
  const study = options.study ?? (await findStudySrs(archive, series.studyInstanceUID, options.signal));
  return chooseSr(study.ours, series, algorithm);
}
