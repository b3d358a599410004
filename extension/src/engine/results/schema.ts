/**
 * The versioned JSON result of one series (`body-region-result/1`) and of a study. One source of
 * truth: each part is a JSON Schema (TypeBox), the TypeScript types are derived from it, and
 * `validateSeriesResult` checks a value against it (tests, CLI output, the results cache). Documented
 * field by field in RESULTS.md. Validation interprets the schema (no code generation), so it also
 * runs in the viewer under a CSP without 'unsafe-eval'.
 */
import { Kind, Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType } from '@sinclair/typebox/value';

export const SERIES_RESULT_SCHEMA = 'body-region-result/1';
export const STUDY_SUMMARY_SCHEMA = 'body-region-study/1';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Finite = Type.Number(); // TypeBox rejects NaN and ±Infinity by default
const Int = Type.Integer();
const Str = Type.String();

export const CodedConceptSchema = Type.Object({ scheme: Str, code: Str, meaning: Type.Optional(Str) });
export type CodedConcept = Static<typeof CodedConceptSchema>;

export const OrientationSchema = Type.Union([
  Type.Literal('axial'),
  Type.Literal('sagittal'),
  Type.Literal('coronal'),
  Type.Literal('oblique'),
]);
export type Orientation = Static<typeof OrientationSchema>;

export const StackQcSchema = Type.Object({
  /** The archive's order (instance number) ran against the anatomical order. */
  reversed: Type.Boolean(),
  /** Some neighbouring distances differ from the median by more than 10 % (gaps). */
  irregularSpacing: Type.Boolean(),
  /** Indices (into frames) after which a gap larger than 1.5 × median spacing follows. */
  gapsAfter: Type.Array(Int),
  /** Number of frames dropped because another frame had the same position. */
  duplicatesDropped: Int,
});
export type StackQc = Static<typeof StackQcSchema>;

const segmentFields = {
  label: Str,
  /** Indices into the stack's sorted frames, inclusive. */
  firstIndex: Int,
  lastIndex: Int,
  /** Positions along the normal (mm) of the first and last slice, when the stack has geometry. */
  startMm: Nullable(Finite),
  endMm: Nullable(Finite),
  lengthMm: Nullable(Finite),
  /** Mean posterior probability of the label over the segment's slices (0..1). */
  confidence: Finite,
  /** SOP instance UID and frame number of the first slice, for navigation. */
  firstSopInstanceUID: Str,
  firstFrameNumber: Int,
};
/** A run of consecutive slices with one region, in anatomical order. */
export const SegmentSchema = Type.Object(segmentFields);
export type Segment = Static<typeof SegmentSchema>;

export const ResultErrorCodeSchema = Type.Union([
  Type.Literal('not-an-image'),
  Type.Literal('no-frames'),
  Type.Literal('all-frames-failed'),
  Type.Literal('model-error'),
  Type.Literal('internal-error'),
]);
export type ResultErrorCode = Static<typeof ResultErrorCodeSchema>;

export const ResultErrorSchema = Type.Object({ code: ResultErrorCodeSchema, message: Str });
export type ResultError = Static<typeof ResultErrorSchema>;

export const ResultStackSchema = Type.Object({
  index: Int,
  kind: Type.Union([Type.Literal('stack'), Type.Literal('single')]),
  orientation: Type.Union([OrientationSchema, Type.Literal('unknown')]),
  frameCount: Int,
  spacingMm: Nullable(Finite),
  /** Positions (mm along the oriented normal) of the first and last slice, or null. */
  firstMm: Nullable(Finite),
  lastMm: Nullable(Finite),
  qc: StackQcSchema,
});
export type ResultStack = Static<typeof ResultStackSchema>;

export const ResultSegmentSchema = Type.Object({ ...segmentFields, stackIndex: Int });
export type ResultSegment = Static<typeof ResultSegmentSchema>;

export const ResultImageSchema = Type.Object({
  sopInstanceUID: Str,
  frameNumber: Int,
  instanceNumber: Nullable(Int),
  stackIndex: Int,
  /** Index in the stack's anatomical order. */
  sliceIndex: Int,
  positionMm: Nullable(Finite),
  /** The model's most probable label for this image, or null when it was not classified. */
  label: Nullable(Str),
  /** Label after sequence decoding (equals label for 'single' stacks); null if unknown. */
  decodedLabel: Nullable(Str),
  /** Softmax probabilities in labels.json order, 4 decimals; null when not classified. */
  probabilities: Nullable(Type.Array(Type.Number({ minimum: 0, maximum: 1 }))),
  /** Why this image could not be classified (fetch or decode failure). */
  error: Type.Optional(Str),
  /** The model's embedding of this image (int8 + scale, embeddingCodec.ts); absent when the model has none. */
  embedding: Type.Optional(Type.Object({ q: Str, scale: Finite })),
});
export type ResultImage = Static<typeof ResultImageSchema>;

export const TagStatusSchema = Type.Union([
  Type.Literal('agree'),
  Type.Literal('partial'),
  Type.Literal('disagree'),
  Type.Literal('missing'),
  Type.Literal('unrecognised'),
]);
export type TagStatus = Static<typeof TagStatusSchema>;

export const TagAgreementSchema = Type.Object({
  /** The tag's value as found in the metadata (null when absent). */
  value: Nullable(Str),
  /** Regions the tag names, after synonym normalisation. */
  regions: Type.Array(Str),
  status: TagStatusSchema,
});
export type TagAgreement = Static<typeof TagAgreementSchema>;

export const AnnexLTermSchema = Type.Object({
  /** DICOM BodyPartExamined defined term (PS3.16 Annex L), e.g. CHESTABDPELVIS. */
  term: Str,
  snomed: Nullable(CodedConceptSchema),
  /** The regions the term stands for. */
  regions: Type.Array(Str),
});
export type AnnexLTerm = Static<typeof AnnexLTermSchema>;

export const QcCodeSchema = Type.Union([
  Type.Literal('reversed-stack'),
  Type.Literal('irregular-spacing'),
  Type.Literal('gaps'),
  Type.Literal('duplicates'),
  Type.Literal('too-few-slices'),
  Type.Literal('implausible-length'),
  Type.Literal('mixed-orientations'),
  Type.Literal('no-geometry'),
  Type.Literal('frames-failed'),
  Type.Literal('low-confidence'),
  Type.Literal('tag-disagreement'),
]);
export type QcCode = Static<typeof QcCodeSchema>;

export const QcFlagSchema = Type.Object({
  code: QcCodeSchema,
  severity: Type.Union([Type.Literal('info'), Type.Literal('warning')]),
  message: Str,
  stackIndex: Type.Optional(Int),
  label: Type.Optional(Str),
});
export type QcFlag = Static<typeof QcFlagSchema>;

export const RegionExtentSchema = Type.Object({
  label: Str,
  slices: Int,
  /** Summed segment lengths (mm), or null without geometry. */
  lengthMm: Nullable(Finite),
});
export type RegionExtent = Static<typeof RegionExtentSchema>;

export const SeriesSummarySchema = Type.Object({
  /** Decoded regions present, head to foot (OTHER last). */
  regions: Type.Array(Str),
  /** Region with the longest extent in mm (most slices without geometry). */
  mainRegion: Nullable(Str),
  extents: Type.Array(RegionExtentSchema),
  /** Regions large enough to name the series (see RESULTS.md). */
  significantRegions: Type.Array(Str),
  annexL: Nullable(AnnexLTermSchema),
  tags: Type.Object({ bodyPartExamined: TagAgreementSchema, seriesDescription: TagAgreementSchema }),
  qc: Type.Array(QcFlagSchema),
});
export type SeriesSummary = Static<typeof SeriesSummarySchema>;

export const ResultTimingSchema = Type.Object({
  startedAt: Str,
  totalMs: Finite,
  fetchMs: Finite,
  preprocessMs: Finite,
  inferMs: Finite,
  decodeMs: Finite,
  framesTotal: Int,
  framesFetched: Int,
  framesClassified: Int,
  framesFailed: Int,
});
export type ResultTiming = Static<typeof ResultTimingSchema>;

export const ResultAdapterSchema = Type.Object({
  /** SiteAdapter.id: a hash of its parameters. */
  id: Str,
  /** Corrected images and series it was fitted on. */
  corrections: Int,
  series: Int,
});
export type ResultAdapter = Static<typeof ResultAdapterSchema>;

export const SeriesResultSchema = Type.Object({
  schema: Type.Literal(SERIES_RESULT_SCHEMA),
  model: Nullable(Type.Object({ id: Str, version: Str })),
  mode: Type.Union([Type.Literal('exhaustive'), Type.Literal('fast')]),
  studyInstanceUID: Str,
  seriesInstanceUID: Str,
  modality: Str,
  seriesDescription: Nullable(Str),
  bodyPartExamined: Nullable(Str),
  regions: Type.Array(Str),
  segments: Type.Array(ResultSegmentSchema),
  stacks: Type.Array(ResultStackSchema),
  images: Type.Array(ResultImageSchema),
  summary: Nullable(SeriesSummarySchema),
  error: Nullable(ResultErrorSchema),
  timing: ResultTimingSchema,
  /** The site adapter whose head produced the probabilities; absent: the model's own head. */
  adapter: Type.Optional(ResultAdapterSchema),
});
export type SeriesResult = Static<typeof SeriesResultSchema>;

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

/** `/images/2/probabilities/0` → `$.images[2].probabilities[0]`. */
function jsonPath(pointer: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  return '$' + parts.map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('');
}

/**
 * Schema errors as `path: message`, the first one per path. A non-null value that fails a
 * `Nullable(T)` is checked against T, so the message says what is wrong inside it.
 */
function schemaProblems(schema: TSchema, value: unknown, prefix = '', seen = new Set<string>()): string[] {
  const out: string[] = [];
  for (const e of Value.Errors(schema, value)) {
    const path = prefix + e.path;
    const variants = (e.schema as { anyOf?: TSchema[] }).anyOf;
    const nonNull =
      variants?.length === 2 && variants.some((v) => v[Kind] === 'Null') ? variants.find((v) => v[Kind] !== 'Null') : undefined;
    if (e.type === ValueErrorType.Union && nonNull && e.value !== null) {
      out.push(...schemaProblems(nonNull, e.value, path, seen));
    } else if (!seen.has(path)) {
      seen.add(path);
      out.push(`${jsonPath(path)}: ${e.message}`);
    }
  }
  return out;
}

/** Problems of `x` as a `body-region-result/1` value (empty when valid), each with its JSON path. */
export function validateSeriesResult(x: unknown): string[] {
  const errors = schemaProblems(SeriesResultSchema, x);
  if (errors.length) return errors;
  // Cross-field rules a JSON Schema does not express.
  const result = x as SeriesResult;
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
