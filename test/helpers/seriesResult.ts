/**
 * A valid engine SeriesResult (schema body-region-result/1) from the few fields a viewer test cares
 * about; no stacks or images (the panel then scales the bar to the segments).
 */
import { failedSeriesResult } from '../../extension/src/engine/results/failedResult';
import type { ResultSegment, SeriesResult, SeriesSummary, TagAgreement } from '../../extension/src/engine/results/schema';

export interface SeriesResultFields {
  seriesInstanceUID: string;
  studyInstanceUID?: string;
  segments?: Array<Partial<ResultSegment> & { label: string; firstIndex: number; lastIndex: number }>;
  /** Summary fields; null: no summary. Absent: one derived from the segments. */
  summary?: Partial<SeriesSummary> | null;
  error?: SeriesResult['error'];
}

const missingTag: TagAgreement = { value: null, regions: [], status: 'missing' };

export function seriesResult(fields: SeriesResultFields): SeriesResult {
  const base = failedSeriesResult(
    { studyInstanceUID: fields.studyInstanceUID ?? 'study', seriesInstanceUID: fields.seriesInstanceUID, modality: 'CT' },
    null,
    'exhaustive',
    { code: 'all-frames-failed', message: '' },
  );
  if (fields.error) return { ...base, error: fields.error };
  const segments: ResultSegment[] = (fields.segments ?? []).map((s) => ({
    startMm: null,
    endMm: null,
    lengthMm: null,
    confidence: 1,
    firstSopInstanceUID: '',
    firstFrameNumber: 1,
    stackIndex: 0,
    ...s,
  }));
  const regions = [...new Set(segments.map((s) => s.label))];
  const summary: SeriesSummary | null =
    fields.summary === null
      ? null
      : {
          regions,
          mainRegion: regions[0] ?? null,
          extents: [],
          significantRegions: regions,
          annexL: null,
          tags: { bodyPartExamined: missingTag, seriesDescription: missingTag },
          qc: [],
          ...fields.summary,
        };
  return {
    ...base,
    regions,
    segments,
    images: [],
    summary,
    error: null,
  };
}
