/**
 * A series result → one Enhanced SR instance (our template, docs/SR.md), in its own new series,
 * with the source's patient and study attributes copied and nothing else of the source touched.
 */
import * as dcmjs from 'dcmjs';
import type { AnnexLTerm, ResultSegment, ResultStack, SeriesResult, TagAgreement } from '../results/schema';
import { ALGORITHM_NAME, PARAMETER, type AlgorithmIdentity } from './algorithmIdentity';
import {
  C,
  ENHANCED_SR_SOP_CLASS,
  MM,
  NO,
  NO_UNITS,
  PRIVATE_SCHEME,
  SR_MANUFACTURER,
  SR_SERIES_DESCRIPTION,
  SR_SERIES_NUMBER,
  TAG_STATUS,
  YES,
  annexLCode,
  regionCode,
  type Code,
} from './srCodes';
import { writePart10 } from './writePart10';

export interface SourceInstance {
  sopInstanceUID: string;
  sopClassUID: string;
}

export interface EncodeSrInput {
  /** A result without error (failed series get no SR). */
  result: SeriesResult;
  /** Every instance of the source series (the SR's evidence: "same instances" is checked against it). */
  instances: SourceInstance[];
  /** Naturalized (dcmjs) attributes of one source instance: patient and study attributes are copied from it. */
  source: Record<string, unknown>;
  algorithm: AlgorithmIdentity;
  /** The study's Annex L term (summariseStudy over the study's results), when known. */
  studyAnnexL?: AnnexLTerm | null;
  /** New UIDs (generated when absent). */
  seriesInstanceUID?: string;
  sopInstanceUID?: string;
  now?: Date;
}

type Item = Record<string, unknown>;

const dcmjsData = (dcmjs as unknown as { data: { DicomMetaDictionary: { uid(): string } } }).data;
/** A new UID (2.25 + random 128 bits, PS3.5 B.2). */
export function newSrUid(): string {
  return dcmjsData.DicomMetaDictionary.uid();
}

/** Our software as a device observer (TID 1004): one fixed UID for every version. */
export const DEVICE_OBSERVER_UID = '2.25.205868420196114279411690392812364021771';

/** Patient and study attributes copied verbatim from the source (Patient, General Study modules). */
const COPIED = [
  'PatientName',
  'PatientID',
  'IssuerOfPatientID',
  'PatientBirthDate',
  'PatientSex',
  'StudyInstanceUID',
  'StudyDate',
  'StudyTime',
  'ReferringPhysicianName',
  'StudyID',
  'AccessionNumber',
  'StudyDescription',
] as const;
/** Type 2: present even when the source lacks them. */
const TYPE2 = [
  'PatientName',
  'PatientID',
  'PatientBirthDate',
  'PatientSex',
  'StudyDate',
  'StudyTime',
  'ReferringPhysicianName',
  'StudyID',
  'AccessionNumber',
];

export class SrEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SrEncodeError';
  }
}

// --- content items -------------------------------------------------------------------------
const item = (rel: string, valueType: string, concept: Code, rest: Item): Item => ({
  RelationshipType: rel,
  ValueType: valueType,
  ConceptNameCodeSequence: [concept],
  ...rest,
});
const text = (rel: string, concept: Code, value: string): Item => item(rel, 'TEXT', concept, { TextValue: value });
const code = (rel: string, concept: Code, value: Code): Item => item(rel, 'CODE', concept, { ConceptCodeSequence: [value] });
const uidref = (rel: string, concept: Code, uid: string): Item => item(rel, 'UIDREF', concept, { UID: uid });
const container = (rel: string, concept: Code, content: Item[]): Item =>
  item(rel, 'CONTAINER', concept, { ContinuityOfContent: 'SEPARATE', ContentSequence: content });
/** DS holds 16 characters: round before writing. */
const num = (concept: Code, value: number, unit: Code, decimals = 0): Item =>
  item('CONTAINS', 'NUM', concept, {
    MeasuredValueSequence: [{ MeasurementUnitsCodeSequence: [unit], NumericValue: formatDs(value, decimals) }],
  });
const yesNo = (concept: Code, value: boolean): Item => code('CONTAINS', concept, value ? YES : NO);

export function formatDs(value: number, decimals: number): string {
  const s = String(Number(value.toFixed(decimals)));
  if (s.length > 16) throw new SrEncodeError(`number ${value} does not fit a DICOM decimal string`);
  return s;
}

function imageRef(
  concept: Code,
  sopInstanceUID: string,
  frameNumber: number,
  sopClassOf: Map<string, string>,
  multiFrame: Set<string>,
): Item {
  const sopClass = sopClassOf.get(sopInstanceUID);
  if (!sopClass) throw new SrEncodeError(`image ${sopInstanceUID} is not among the series' instances`);
  const ref: Item = { ReferencedSOPClassUID: sopClass, ReferencedSOPInstanceUID: sopInstanceUID };
  if (multiFrame.has(sopInstanceUID)) ref.ReferencedFrameNumber = [frameNumber];
  return item('CONTAINS', 'IMAGE', concept, { ReferencedSOPSequence: [ref] });
}

function stackItem(stack: ResultStack): Item {
  const content = [
    num(C.stackIndex, stack.index, NO_UNITS),
    text('CONTAINS', C.stackKind, stack.kind),
    text('CONTAINS', C.orientation, stack.orientation),
    num(C.frameCount, stack.frameCount, NO_UNITS),
  ];
  if (stack.spacingMm !== null) content.push(num(C.spacing, stack.spacingMm, MM, 3));
  if (stack.firstMm !== null) content.push(num(C.firstMm, stack.firstMm, MM, 3));
  if (stack.lastMm !== null) content.push(num(C.lastMm, stack.lastMm, MM, 3));
  content.push(yesNo(C.reversed, stack.qc.reversed), yesNo(C.irregular, stack.qc.irregularSpacing));
  if (stack.qc.gapsAfter.length) content.push(text('CONTAINS', C.gapsAfter, stack.qc.gapsAfter.join(' ')));
  content.push(num(C.duplicates, stack.qc.duplicatesDropped, NO_UNITS));
  return container('CONTAINS', C.stack, content);
}

function segmentItem(
  segment: ResultSegment,
  last: { sopInstanceUID: string; frameNumber: number } | null,
  sopClassOf: Map<string, string>,
  multiFrame: Set<string>,
): Item {
  const content = [
    code('CONTAINS', C.targetRegion, regionCode(segment.label)),
    num(C.stackIndex, segment.stackIndex, NO_UNITS),
    num(C.firstSlice, segment.firstIndex, NO_UNITS),
    num(C.lastSlice, segment.lastIndex, NO_UNITS),
    imageRef(C.firstImage, segment.firstSopInstanceUID, segment.firstFrameNumber, sopClassOf, multiFrame),
  ];
  if (last) content.push(imageRef(C.lastImage, last.sopInstanceUID, last.frameNumber, sopClassOf, multiFrame));
  if (segment.startMm !== null) content.push(num(C.startMm, segment.startMm, MM, 3));
  if (segment.endMm !== null) content.push(num(C.endMm, segment.endMm, MM, 3));
  if (segment.lengthMm !== null) content.push(num(C.length, segment.lengthMm, MM, 2));
  content.push(num(C.confidence, segment.confidence, NO_UNITS, 4));
  return container('CONTAINS', C.segment, content);
}

function tagItem(name: string, tag: TagAgreement): Item {
  const content = [text('CONTAINS', C.tagName, name)];
  if (tag.value !== null && tag.value !== '') content.push(text('CONTAINS', C.tagValue, tag.value));
  content.push(code('CONTAINS', C.tagStatus, TAG_STATUS[tag.status]));
  for (const region of tag.regions) content.push(code('CONTAINS', C.targetRegion, regionCode(region)));
  return container('CONTAINS', C.tag, content);
}

/** The image that ends a segment: the stack's slice at lastIndex (its first frame in archive order). */
function lastImageOf(result: SeriesResult, segment: ResultSegment): { sopInstanceUID: string; frameNumber: number } | null {
  const image = result.images.find((im) => im.stackIndex === segment.stackIndex && im.sliceIndex === segment.lastIndex);
  return image ? { sopInstanceUID: image.sopInstanceUID, frameNumber: image.frameNumber } : null;
}

/** The naturalized SR dataset (dcmjs names), for tests and for writing. */
export function buildSrDataset(input: EncodeSrInput): Record<string, unknown> {
  const { result, algorithm } = input;
  if (result.error !== null || !result.summary)
    throw new SrEncodeError(`series ${result.seriesInstanceUID} has no result to report (${result.error?.code ?? 'no summary'})`);
  if (input.instances.length === 0) throw new SrEncodeError('the source series has no instances');
  const sourceStudy = input.source.StudyInstanceUID;
  if (sourceStudy !== undefined && sourceStudy !== result.studyInstanceUID)
    throw new SrEncodeError('source attributes are of another study');
  const summary = result.summary;
  const sopClassOf = new Map(input.instances.map((i) => [i.sopInstanceUID, i.sopClassUID]));
  const framesPer = new Map<string, number>();
  for (const im of result.images) framesPer.set(im.sopInstanceUID, Math.max(framesPer.get(im.sopInstanceUID) ?? 0, im.frameNumber));
  const multiFrame = new Set([...framesPer].filter(([, n]) => n > 1).map(([uid]) => uid));
  const now = input.now ?? new Date();
  const date = now.toISOString().slice(0, 10).replace(/-/g, '');
  const time = now.toISOString().slice(11, 19).replace(/:/g, '');

  const parameters: Array<[string, string]> = [
    [PARAMETER.modelId, algorithm.modelId],
    [PARAMETER.modelSha256, algorithm.modelSha256.toLowerCase()],
    [PARAMETER.preprocessing, algorithm.preprocessing],
    ...(algorithm.adapterSha256 ? ([[PARAMETER.adapterSha256, algorithm.adapterSha256.toLowerCase()]] as Array<[string, string]>) : []),
    [PARAMETER.mode, result.mode],
    [PARAMETER.schema, result.schema],
  ];
  const content: Item[] = [
    // TID 4019 Algorithm Identification
    text('HAS CONCEPT MOD', C.algorithmName, ALGORITHM_NAME),
    text('HAS CONCEPT MOD', C.algorithmVersion, algorithm.version),
    ...parameters.map(([k, v]) => text('HAS CONCEPT MOD', C.algorithmParameters, `${k}=${v}`)),
    // TID 1002/1004 Observer Context: a device
    code('HAS OBS CONTEXT', C.observerType, C.device),
    uidref('HAS OBS CONTEXT', C.deviceObserverUid, DEVICE_OBSERVER_UID),
    text('HAS OBS CONTEXT', C.deviceObserverName, `${ALGORITHM_NAME} ${algorithm.modelId} ${algorithm.version}`),
    // What it is about
    uidref('CONTAINS', C.studyInstanceUid, result.studyInstanceUID),
    uidref('CONTAINS', C.seriesInstanceUid, result.seriesInstanceUID),
    text('CONTAINS', C.modality, result.modality || 'OT'),
  ];
  const seriesTerm = summary.annexL ? annexLCode(summary.annexL.term, summary.annexL.snomed) : null;
  if (seriesTerm) content.push(code('CONTAINS', C.seriesBodyPart, seriesTerm));
  const studyTerm = input.studyAnnexL ? annexLCode(input.studyAnnexL.term, input.studyAnnexL.snomed) : null;
  if (studyTerm) content.push(code('CONTAINS', C.studyBodyPart, studyTerm));
  if (summary.mainRegion) content.push(code('CONTAINS', C.mainRegion, regionCode(summary.mainRegion)));
  for (const region of summary.significantRegions) content.push(code('CONTAINS', C.significantRegion, regionCode(region)));
  for (const extent of summary.extents) {
    const parts = [code('CONTAINS', C.targetRegion, regionCode(extent.label)), num(C.slices, extent.slices, NO_UNITS)];
    if (extent.lengthMm !== null) parts.push(num(C.length, extent.lengthMm, MM, 2));
    content.push(container('CONTAINS', C.extent, parts));
  }
  content.push(tagItem('BodyPartExamined', summary.tags.bodyPartExamined), tagItem('SeriesDescription', summary.tags.seriesDescription));
  for (const flag of summary.qc) {
    const parts = [
      text('CONTAINS', C.qcCode, flag.code),
      text('CONTAINS', C.qcSeverity, flag.severity),
      text('CONTAINS', C.qcMessage, flag.message),
    ];
    if (flag.stackIndex !== undefined) parts.push(num(C.stackIndex, flag.stackIndex, NO_UNITS));
    if (flag.label !== undefined) parts.push(code('CONTAINS', C.targetRegion, regionCode(flag.label)));
    content.push(container('CONTAINS', C.qcFlag, parts));
  }
  content.push(
    num(C.framesTotal, result.timing.framesTotal, NO_UNITS),
    num(C.framesClassified, result.timing.framesClassified, NO_UNITS),
    num(C.framesFailed, result.timing.framesFailed, NO_UNITS),
  );
  for (const stack of result.stacks) content.push(stackItem(stack));
  for (const segment of result.segments) content.push(segmentItem(segment, lastImageOf(result, segment), sopClassOf, multiFrame));

  const copied: Record<string, unknown> = {};
  for (const key of TYPE2) copied[key] = '';
  for (const key of COPIED) if (input.source[key] !== undefined && input.source[key] !== null) copied[key] = input.source[key];

  return {
    ...copied,
    // dcmjs writes every string as UTF-8 (names copied from a Latin-1 source were decoded when read).
    SpecificCharacterSet: 'ISO_IR 192',
    StudyInstanceUID: result.studyInstanceUID,
    // SR Document Series
    Modality: 'SR',
    SeriesInstanceUID: input.seriesInstanceUID ?? newSrUid(),
    SeriesNumber: SR_SERIES_NUMBER,
    SeriesDescription: SR_SERIES_DESCRIPTION,
    SeriesDate: date,
    SeriesTime: time,
    ReferencedPerformedProcedureStepSequence: [],
    // General Equipment
    Manufacturer: SR_MANUFACTURER,
    SoftwareVersions: `${algorithm.modelId} ${algorithm.version}`,
    // SR Document General
    InstanceNumber: 1,
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    ContentDate: date,
    ContentTime: time,
    PerformedProcedureCodeSequence: [],
    CurrentRequestedProcedureEvidenceSequence: [
      {
        StudyInstanceUID: result.studyInstanceUID,
        ReferencedSeriesSequence: [
          {
            SeriesInstanceUID: result.seriesInstanceUID,
            ReferencedSOPSequence: input.instances.map((i) => ({
              ReferencedSOPClassUID: i.sopClassUID,
              ReferencedSOPInstanceUID: i.sopInstanceUID,
            })),
          },
        ],
      },
    ],
    // SOP Common; our private coding scheme declared (PS3.3 C.12.1.1.8)
    CodingSchemeIdentificationSequence: [
      {
        CodingSchemeDesignator: PRIVATE_SCHEME,
        CodingSchemeName: 'OHIF Body Region SR codes',
        CodingSchemeResponsibleOrganization: 'OHIF Body Region project',
      },
    ],
    SOPClassUID: ENHANCED_SR_SOP_CLASS,
    SOPInstanceUID: input.sopInstanceUID ?? newSrUid(),
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    // SR Document Content: the root container
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: [C.report],
    ContinuityOfContent: 'SEPARATE',
    ContentSequence: content,
  };
}

/** The SR as a Part-10 file (explicit VR little endian). */
export function encodeSr(input: EncodeSrInput): Uint8Array {
  return writePart10(buildSrDataset(input));
}
