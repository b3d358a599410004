/**
 * The versioned JSON result of one series (`body-region-result/1`) and of a study. Documented field
 * by field in RESULTS.md; `validateSeriesResult` checks a value against it (tests, CLI output).
 */
import type { CodedConcept, Orientation, Segment, StackQc } from '../types';
import type { EncodedEmbedding } from './embeddingCodec';

export const SERIES_RESULT_SCHEMA = 'body-region-result/1';
export const STUDY_SUMMARY_SCHEMA = 'body-region-study/1';

export type ResultErrorCode =
  | 'not-an-image'
  | 'no-frames'
  | 'all-frames-failed'
  | 'model-error'
  | 'internal-error';

export interface ResultError {
  code: ResultErrorCode;
  message: string;
}

export interface ResultStack {
  index: number;
  kind: 'stack' | 'single';
  orientation: Orientation | 'unknown';
  frameCount: number;
  spacingMm: number | null;
  /** Positions (mm along the oriented normal) of the first and last slice, or null. */
  firstMm: number | null;
  lastMm: number | null;
  qc: StackQc;
}

export interface ResultSegment extends Segment {
  stackIndex: number;
}

export interface ResultImage {
  sopInstanceUID: string;
  frameNumber: number;
  instanceNumber: number | null;
  stackIndex: number;
  /** Index in the stack's anatomical order. */
  sliceIndex: number;
  positionMm: number | null;
  /** The model's most probable label for this image, or null when it was not classified. */
  label: string | null;
  /** Label after sequence decoding (equals label for 'single' stacks); null if unknown. */
  decodedLabel: string | null;
  /** Softmax probabilities in labels.json order, 4 decimals; null when not classified. */
  probabilities: number[] | null;
  /** Why this image could not be classified (fetch or decode failure). */
  error?: string;
  /** The model's embedding of this image (int8 + scale, embeddingCodec.ts); absent when the model has none. */
  embedding?: EncodedEmbedding;
}

export type TagStatus = 'agree' | 'partial' | 'disagree' | 'missing' | 'unrecognised';

export interface TagAgreement {
  /** The tag's value as found in the metadata (null when absent). */
  value: string | null;
  /** Regions the tag names, after synonym normalisation. */
  regions: string[];
  status: TagStatus;
}

export interface AnnexLTerm {
  /** DICOM BodyPartExamined defined term (PS3.16 Annex L), e.g. CHESTABDPELVIS. */
  term: string;
  snomed: CodedConcept | null;
  /** The regions the term stands for. */
  regions: string[];
}

export type QcCode =
  | 'reversed-stack'
  | 'irregular-spacing'
  | 'gaps'
  | 'duplicates'
  | 'too-few-slices'
  | 'implausible-length'
  | 'mixed-orientations'
  | 'no-geometry'
  | 'frames-failed'
  | 'low-confidence'
  | 'tag-disagreement';

export interface QcFlag {
  code: QcCode;
  severity: 'info' | 'warning';
  message: string;
  stackIndex?: number;
  label?: string;
}

export interface RegionExtent {
  label: string;
  slices: number;
  /** Summed segment lengths (mm), or null without geometry. */
  lengthMm: number | null;
}

export interface SeriesSummary {
  /** Decoded regions present, head to foot (OTHER last). */
  regions: string[];
  /** Region with the longest extent in mm (most slices without geometry). */
  mainRegion: string | null;
  extents: RegionExtent[];
  /** Regions large enough to name the series (see RESULTS.md). */
  significantRegions: string[];
  annexL: AnnexLTerm | null;
  tags: { bodyPartExamined: TagAgreement; seriesDescription: TagAgreement };
  qc: QcFlag[];
}

export interface ResultTiming {
  startedAt: string;
  totalMs: number;
  fetchMs: number;
  preprocessMs: number;
  inferMs: number;
  decodeMs: number;
  framesTotal: number;
  framesFetched: number;
  framesClassified: number;
  framesFailed: number;
}

export interface SeriesResult {
  schema: typeof SERIES_RESULT_SCHEMA;
  model: { id: string; version: string } | null;
  mode: 'exhaustive' | 'fast';
  studyInstanceUID: string;
  seriesInstanceUID: string;
  modality: string;
  seriesDescription: string | null;
  bodyPartExamined: string | null;
  regions: string[];
  segments: ResultSegment[];
  stacks: ResultStack[];
  images: ResultImage[];
  summary: SeriesSummary | null;
  error: ResultError | null;
  timing: ResultTiming;
  /** The site adapter whose head produced the probabilities; absent: the model's own head. */
  adapter?: ResultAdapter;
}

export interface ResultAdapter {
  /** SiteAdapter.id: a hash of its parameters. */
  id: string;
  /** Corrected images and series it was fitted on. */
  corrections: number;
  series: number;
}

export interface StudySummary {
  schema: typeof STUDY_SUMMARY_SCHEMA;
  studyInstanceUID: string | null;
  regions: string[];
  annexL: AnnexLTerm | null;
  series: Array<{
    seriesInstanceUID: string;
    modality: string;
    seriesDescription: string | null;
    regions: string[];
    mainRegion: string | null;
    annexL: string | null;
    error: ResultErrorCode | null;
  }>;
  seriesWithErrors: number;
  tagDisagreements: number;
}

// ---------------------------------------------------------------------------------------------
// Validation (hand-written: the schema is small and the engine must not grow dependencies).

type Check = (value: unknown, path: string, errors: string[]) => void;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str: Check = (v, p, e) => void (typeof v !== 'string' && e.push(`${p}: expected string`));
const num: Check = (v, p, e) => void ((typeof v !== 'number' || !Number.isFinite(v)) && e.push(`${p}: expected finite number`));
const int: Check = (v, p, e) => void (!Number.isInteger(v) && e.push(`${p}: expected integer`));
const bool: Check = (v, p, e) => void (typeof v !== 'boolean' && e.push(`${p}: expected boolean`));
const nullable = (c: Check): Check => (v, p, e) => void (v !== null && c(v, p, e));
const optional = (c: Check): Check => (v, p, e) => void (v !== undefined && c(v, p, e));
const oneOf = (...values: unknown[]): Check => (v, p, e) =>
  void (!values.includes(v) && e.push(`${p}: expected one of ${values.join(', ')}, got ${JSON.stringify(v)}`));
const arrayOf = (c: Check): Check => (v, p, e) => {
  if (!Array.isArray(v)) return void e.push(`${p}: expected array`);
  v.forEach((item, i) => c(item, `${p}[${i}]`, e));
};
const object = (shape: Record<string, Check>): Check => (v, p, e) => {
  if (!isObject(v)) return void e.push(`${p}: expected object`);
  for (const [key, check] of Object.entries(shape)) check(v[key], `${p}.${key}`, e);
};

const coded = object({ scheme: str, code: str, meaning: optional(str) });
const stackQc = object({ reversed: bool, irregularSpacing: bool, gapsAfter: arrayOf(int), duplicatesDropped: int });
const annexL = object({ term: str, snomed: nullable(coded), regions: arrayOf(str) });
const tag = object({ value: nullable(str), regions: arrayOf(str), status: oneOf('agree', 'partial', 'disagree', 'missing', 'unrecognised') });
const probabilities: Check = (v, p, e) => {
  arrayOf(num)(v, p, e);
  if (Array.isArray(v) && v.some((x) => typeof x === 'number' && (x < 0 || x > 1))) e.push(`${p}: probabilities outside 0..1`);
};

const seriesResultShape = object({
  schema: oneOf(SERIES_RESULT_SCHEMA),
  model: nullable(object({ id: str, version: str })),
  mode: oneOf('exhaustive', 'fast'),
  studyInstanceUID: str,
  seriesInstanceUID: str,
  modality: str,
  seriesDescription: nullable(str),
  bodyPartExamined: nullable(str),
  regions: arrayOf(str),
  segments: arrayOf(
    object({
      label: str,
      stackIndex: int,
      firstIndex: int,
      lastIndex: int,
      startMm: nullable(num),
      endMm: nullable(num),
      lengthMm: nullable(num),
      confidence: num,
      firstSopInstanceUID: str,
      firstFrameNumber: int,
    }),
  ),
  stacks: arrayOf(
    object({
      index: int,
      kind: oneOf('stack', 'single'),
      orientation: oneOf('axial', 'sagittal', 'coronal', 'oblique', 'unknown'),
      frameCount: int,
      spacingMm: nullable(num),
      firstMm: nullable(num),
      lastMm: nullable(num),
      qc: stackQc,
    }),
  ),
  images: arrayOf(
    object({
      sopInstanceUID: str,
      frameNumber: int,
      instanceNumber: nullable(int),
      stackIndex: int,
      sliceIndex: int,
      positionMm: nullable(num),
      label: nullable(str),
      decodedLabel: nullable(str),
      probabilities: nullable(probabilities),
      error: optional(str),
      embedding: optional(object({ q: str, scale: num })),
    }),
  ),
  summary: nullable(
    object({
      regions: arrayOf(str),
      mainRegion: nullable(str),
      extents: arrayOf(object({ label: str, slices: int, lengthMm: nullable(num) })),
      significantRegions: arrayOf(str),
      annexL: nullable(annexL),
      tags: object({ bodyPartExamined: tag, seriesDescription: tag }),
      qc: arrayOf(
        object({ code: str, severity: oneOf('info', 'warning'), message: str, stackIndex: optional(int), label: optional(str) }),
      ),
    }),
  ),
  error: nullable(
    object({ code: oneOf('not-an-image', 'no-frames', 'all-frames-failed', 'model-error', 'internal-error'), message: str }),
  ),
  timing: object({
    startedAt: str,
    totalMs: num,
    fetchMs: num,
    preprocessMs: num,
    inferMs: num,
    decodeMs: num,
    framesTotal: int,
    framesFetched: int,
    framesClassified: int,
    framesFailed: int,
  }),
  adapter: optional(object({ id: str, corrections: int, series: int })),
});

/** Problems of `x` as a `body-region-result/1` value (empty when valid), each with its JSON path. */
export function validateSeriesResult(x: unknown): string[] {
  const errors: string[] = [];
  seriesResultShape(x, '$', errors);
  if (errors.length || !isObject(x)) return errors;
  // Cross-field rules the shape cannot express.
  const result = x as unknown as SeriesResult;
  if (result.error === null && result.summary === null) errors.push('$.summary: required when error is null');
  result.segments.forEach((s, i) => {
    if (s.stackIndex >= result.stacks.length) errors.push(`$.segments[${i}].stackIndex: no such stack`);
    if (s.lastIndex < s.firstIndex) errors.push(`$.segments[${i}]: lastIndex before firstIndex`);
  });
  result.images.forEach((im, i) => {
    if (im.stackIndex >= result.stacks.length) errors.push(`$.images[${i}].stackIndex: no such stack`);
  });
  return errors;
}
