/** The result of a series that could not be classified: the one shape the pipeline, CLI and viewer share. */
import { SERIES_RESULT_SCHEMA, type ResultError, type ResultTiming, type SeriesResult } from './schema';

export interface SeriesIdentity {
  studyInstanceUID: string;
  seriesInstanceUID: string;
  modality: string;
  seriesDescription?: string | null;
  bodyPartExamined?: string | null;
}

export function emptyTiming(framesTotal = 0): ResultTiming {
  return {
    startedAt: new Date().toISOString(),
    totalMs: 0,
    fetchMs: 0,
    preprocessMs: 0,
    inferMs: 0,
    decodeMs: 0,
    framesTotal,
    framesFetched: 0,
    framesClassified: 0,
    framesFailed: 0,
  };
}

export function failedSeriesResult(
  id: SeriesIdentity,
  model: SeriesResult['model'],
  mode: SeriesResult['mode'],
  error: ResultError,
  timing: ResultTiming = emptyTiming(),
): SeriesResult {
  return {
    schema: SERIES_RESULT_SCHEMA,
    model,
    mode,
    studyInstanceUID: id.studyInstanceUID,
    seriesInstanceUID: id.seriesInstanceUID,
    modality: id.modality,
    seriesDescription: id.seriesDescription ?? null,
    bodyPartExamined: id.bodyPartExamined ?? null,
    regions: [],
    segments: [],
    stacks: [],
    images: [],
    summary: null,
    error,
    timing,
  };
}
