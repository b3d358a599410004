/**
 * One of our SRs (template in docs/SR.md) → the engine's SeriesResult, the algorithm that made it
 * and the instances it describes. SRs of other tools (another document title) decode to null;
 * one of ours that is malformed throws SrDecodeError (the caller treats it as absent).
 */
import {
  SERIES_RESULT_SCHEMA,
  type AnnexLTerm,
  type QcCode,
  type QcFlag,
  type ResultSegment,
  type ResultStack,
  type SeriesResult,
  type TagAgreement,
  type TagStatus,
} from '../results/schema';
import type { Orientation } from '../types';
import { PARAMETER, type AlgorithmIdentity } from './algorithmIdentity';
import { C, ENHANCED_SR_SOP_CLASS, TAG_STATUS, YES, annexLOfCode, regionOfCode, sameCode, type Code } from './srCodes';

export interface DecodedSr {
  /** The SR instance itself. */
  sopInstanceUID: string;
  seriesInstanceUID: string;
  /** ContentDate/ContentTime as ISO 8601 (UTC as written), or null. */
  createdAt: string | null;
  algorithm: AlgorithmIdentity;
  /** The source series it reports on. */
  studyInstanceUID: string;
  referencedSeriesInstanceUID: string;
  /** SOP instance UIDs of the source series when the SR was written (sorted). */
  referencedInstances: string[];
  studyAnnexL: AnnexLTerm | null;
  /** images[] is empty: the SR keeps segments, not per-image probabilities (docs/SR.md). */
  result: SeriesResult;
}

export class SrDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SrDecodeError';
  }
}

type Item = Record<string, unknown>;

/** dcmjs gives sequences as arrays (single items sometimes as objects): one shape for both. */
const list = (v: unknown): Item[] => (Array.isArray(v) ? (v as Item[]) : v && typeof v === 'object' ? [v as Item] : []);
const first = (v: unknown): Item | undefined => list(v)[0];
const str = (v: unknown): string | undefined => {
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === 'string' ? x : typeof x === 'number' ? String(x) : undefined;
};
const conceptOf = (it: Item): Code | undefined => first(it.ConceptNameCodeSequence) as Code | undefined;
const is = (it: Item, concept: Code) => sameCode(conceptOf(it), concept);

/** A content tree's items with helpers to read one concept's value. */
class Content {
  constructor(readonly items: Item[]) {}
  static of(container: Item): Content {
    return new Content(list(container.ContentSequence));
  }
  all(concept: Code): Item[] {
    return this.items.filter((it) => is(it, concept));
  }
  text(concept: Code): string | null {
    const it = this.all(concept)[0];
    return it ? (str(it.TextValue) ?? null) : null;
  }
  texts(concept: Code): string[] {
    return this.all(concept).map((it) => str(it.TextValue) ?? '');
  }
  uid(concept: Code): string | null {
    const it = this.all(concept)[0];
    return it ? (str(it.UID) ?? null) : null;
  }
  code(concept: Code): Code | undefined {
    return this.codes(concept)[0];
  }
  codes(concept: Code): Code[] {
    return this.all(concept)
      .map((it) => first(it.ConceptCodeSequence) as Code | undefined)
      .filter((c): c is Code => Boolean(c));
  }
  num(concept: Code): number | null {
    const it = this.all(concept)[0];
    const mv = it ? first(it.MeasuredValueSequence) : undefined;
    if (!mv) return null;
    const n = Number(str(mv.NumericValue));
    if (!Number.isFinite(n)) throw new SrDecodeError(`${concept.CodeMeaning}: not a number`);
    return n;
  }
  requiredNum(concept: Code): number {
    const n = this.num(concept);
    if (n === null) throw new SrDecodeError(`${concept.CodeMeaning} is missing`);
    return n;
  }
  image(concept: Code): { sopInstanceUID: string; frameNumber: number } | null {
    const it = this.all(concept)[0];
    const ref = it ? first(it.ReferencedSOPSequence) : undefined;
    const uid = ref ? str(ref.ReferencedSOPInstanceUID) : undefined;
    if (!ref || !uid) return null;
    return { sopInstanceUID: uid, frameNumber: Number(str(ref.ReferencedFrameNumber) ?? 1) };
  }
  region(concept: Code): string {
    const label = regionOfCode(this.code(concept));
    if (!label) throw new SrDecodeError(`${concept.CodeMeaning}: not one of our regions`);
    return label;
  }
  regions(concept: Code): string[] {
    return this.codes(concept).map((c) => {
      const label = regionOfCode(c);
      if (!label) throw new SrDecodeError(`${concept.CodeMeaning}: ${c.CodeValue} is not one of our regions`);
      return label;
    });
  }
}

/** Whether a dataset is one of our SRs (Enhanced SR with our document title). */
export function isOurSr(dataset: Record<string, unknown>): boolean {
  return (
    str(dataset.SOPClassUID) === ENHANCED_SR_SOP_CLASS && sameCode(first(dataset.ConceptNameCodeSequence) as Code | undefined, C.report)
  );
}

function parameters(root: Content): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of root.texts(C.algorithmParameters)) {
    const eq = p.indexOf('=');
    if (eq > 0) out.set(p.slice(0, eq), p.slice(eq + 1));
  }
  return out;
}

function decodeStack(c: Content): ResultStack {
  const gaps = c.text(C.gapsAfter);
  return {
    index: c.requiredNum(C.stackIndex),
    kind: c.text(C.stackKind) === 'single' ? 'single' : 'stack',
    orientation: (c.text(C.orientation) ?? 'unknown') as Orientation | 'unknown',
    frameCount: c.requiredNum(C.frameCount),
    spacingMm: c.num(C.spacing),
    firstMm: c.num(C.firstMm),
    lastMm: c.num(C.lastMm),
    qc: {
      reversed: sameCode(c.code(C.reversed), YES),
      irregularSpacing: sameCode(c.code(C.irregular), YES),
      gapsAfter: gaps ? gaps.split(/\s+/).map(Number) : [],
      duplicatesDropped: c.num(C.duplicates) ?? 0,
    },
  };
}

function decodeSegment(c: Content): ResultSegment {
  const firstImage = c.image(C.firstImage);
  if (!firstImage) throw new SrDecodeError('a segment has no first image');
  return {
    label: c.region(C.targetRegion),
    stackIndex: c.requiredNum(C.stackIndex),
    firstIndex: c.requiredNum(C.firstSlice),
    lastIndex: c.requiredNum(C.lastSlice),
    startMm: c.num(C.startMm),
    endMm: c.num(C.endMm),
    lengthMm: c.num(C.length),
    confidence: c.requiredNum(C.confidence),
    firstSopInstanceUID: firstImage.sopInstanceUID,
    firstFrameNumber: firstImage.frameNumber,
  };
}

function decodeTag(c: Content): TagAgreement {
  const statusCode = c.code(C.tagStatus);
  const status = (Object.keys(TAG_STATUS) as TagStatus[]).find((k) => sameCode(statusCode, TAG_STATUS[k]));
  if (!status) throw new SrDecodeError('a tag agreement has no status');
  return { value: c.text(C.tagValue), regions: c.regions(C.targetRegion), status };
}

function decodeQc(c: Content): QcFlag {
  const flag: QcFlag = {
    code: (c.text(C.qcCode) ?? '') as QcCode,
    severity: c.text(C.qcSeverity) === 'warning' ? 'warning' : 'info',
    message: c.text(C.qcMessage) ?? '',
  };
  const stackIndex = c.num(C.stackIndex);
  if (stackIndex !== null) flag.stackIndex = stackIndex;
  if (c.code(C.targetRegion)) flag.label = c.region(C.targetRegion);
  return flag;
}

function annexL(code: Code | undefined): AnnexLTerm | null {
  const found = annexLOfCode(code);
  return found ? { term: found.term, snomed: found.snomed, regions: found.regions } : null;
}

function isoOf(date: string | undefined, time: string | undefined): string | null {
  if (!date || !/^\d{8}$/.test(date)) return null;
  const t = (time ?? '000000').padEnd(6, '0');
  return `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4, 6)}Z`;
}

export function decodeSr(dataset: Record<string, unknown>): DecodedSr | null {
  if (!isOurSr(dataset)) return null;
  const root = Content.of(dataset);
  const params = parameters(root);
  const modelSha256 = params.get(PARAMETER.modelSha256);
  const modelId = params.get(PARAMETER.modelId);
  const version = root.text(C.algorithmVersion);
  if (!modelSha256 || !modelId || !version) throw new SrDecodeError('the algorithm identification is incomplete');
  const studyInstanceUID = root.uid(C.studyInstanceUid);
  const seriesInstanceUID = root.uid(C.seriesInstanceUid);
  if (!studyInstanceUID || !seriesInstanceUID) throw new SrDecodeError('the source study or series is missing');

  const evidence = list(dataset.CurrentRequestedProcedureEvidenceSequence)
    .flatMap((study) => list(study.ReferencedSeriesSequence))
    .filter((s) => str(s.SeriesInstanceUID) === seriesInstanceUID)
    .flatMap((s) => list(s.ReferencedSOPSequence))
    .map((r) => str(r.ReferencedSOPInstanceUID))
    .filter((u): u is string => Boolean(u));
  if (evidence.length === 0) throw new SrDecodeError('the SR lists no instances of the source series');

  const stacks = root
    .all(C.stack)
    .map((it) => decodeStack(Content.of(it)))
    .sort((a, b) => a.index - b.index);
  const segments = root.all(C.segment).map((it) => decodeSegment(Content.of(it)));
  const tags = root.all(C.tag).map((it) => Content.of(it));
  const tagNamed = (name: string) => {
    const found = tags.find((t) => t.text(C.tagName) === name);
    if (!found) throw new SrDecodeError(`the ${name} agreement is missing`);
    return decodeTag(found);
  };
  const bodyPartExamined = tagNamed('BodyPartExamined');
  const seriesDescription = tagNamed('SeriesDescription');
  const mainRegion = root.code(C.mainRegion) ? root.region(C.mainRegion) : null;
  const extents = root.all(C.extent).map((it) => {
    const c = Content.of(it);
    return { label: c.region(C.targetRegion), slices: c.requiredNum(C.slices), lengthMm: c.num(C.length) };
  });
  const createdAt = isoOf(str(dataset.ContentDate), str(dataset.ContentTime));
  const mode = params.get(PARAMETER.mode) === 'fast' ? 'fast' : 'exhaustive';
  const framesTotal = root.num(C.framesTotal) ?? 0;
  const framesClassified = root.num(C.framesClassified) ?? 0;

  const result: SeriesResult = {
    schema: SERIES_RESULT_SCHEMA,
    model: { id: modelId, version },
    mode,
    studyInstanceUID,
    seriesInstanceUID,
    modality: root.text(C.modality) ?? '',
    seriesDescription: seriesDescription.value,
    bodyPartExamined: bodyPartExamined.value,
    regions: extents.map((e) => e.label),
    segments,
    stacks,
    images: [],
    summary: {
      regions: extents.map((e) => e.label),
      mainRegion,
      extents,
      significantRegions: root.regions(C.significantRegion),
      annexL: annexL(root.code(C.seriesBodyPart)),
      tags: { bodyPartExamined, seriesDescription },
      qc: root.all(C.qcFlag).map((it) => decodeQc(Content.of(it))),
    },
    error: null,
    timing: {
      startedAt: createdAt ?? new Date(0).toISOString(),
      totalMs: 0,
      fetchMs: 0,
      preprocessMs: 0,
      inferMs: 0,
      decodeMs: 0,
      framesTotal,
      framesFetched: 0,
      framesClassified,
      framesFailed: root.num(C.framesFailed) ?? 0,
    },
  };
  return {
    sopInstanceUID: str(dataset.SOPInstanceUID) ?? '',
    seriesInstanceUID: str(dataset.SeriesInstanceUID) ?? '',
    createdAt,
    algorithm: {
      modelId,
      version,
      modelSha256,
      preprocessing: params.get(PARAMETER.preprocessing) ?? '',
      adapterSha256: params.get(PARAMETER.adapterSha256) ?? null,
    },
    studyInstanceUID,
    referencedSeriesInstanceUID: seriesInstanceUID,
    referencedInstances: [...new Set(evidence)].sort(),
    studyAnnexL: annexL(root.code(C.studyBodyPart)),
    result,
  };
}
