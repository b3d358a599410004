import type { SeriesResult, StudySummary } from '../results/schema';
import { STUDY_SUMMARY_SCHEMA } from '../results/schema';
import { sortAnatomically } from '../decode/anatomy';
import { annexLTerm } from './annexL';

/**
 * Study summary over its series' results: all regions seen, the DICOM term for the regions that
 * name at least one series, one line per series, and counts of errors and tag disagreements.
 */
export function summariseStudy(results: SeriesResult[]): StudySummary {
  const regions = sortAnatomically(results.flatMap((r) => r.summary?.regions ?? []));
  const significant = sortAnatomically(results.flatMap((r) => r.summary?.significantRegions ?? []));
  const studyUIDs = new Set(results.map((r) => r.studyInstanceUID));
  return {
    schema: STUDY_SUMMARY_SCHEMA,
    studyInstanceUID: studyUIDs.size === 1 ? [...studyUIDs][0] : null,
    regions,
    annexL: annexLTerm(significant),
    series: results.map((r) => ({
      seriesInstanceUID: r.seriesInstanceUID,
      modality: r.modality,
      seriesDescription: r.seriesDescription,
      regions: r.summary?.regions ?? [],
      mainRegion: r.summary?.mainRegion ?? null,
      annexL: r.summary?.annexL?.term ?? null,
      error: r.error?.code ?? null,
    })),
    seriesWithErrors: results.filter((r) => r.error !== null).length,
    tagDisagreements: results.filter(
      (r) => r.summary?.tags.bodyPartExamined.status === 'disagree' || r.summary?.tags.seriesDescription.status === 'disagree',
    ).length,
  };
}
