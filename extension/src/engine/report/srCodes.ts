/**
 * The coded concepts of our SR template (docs/SR.md). DICOM (DCM), SNOMED CT (SCT) and UCUM codes
 * where the standard has one; our private scheme (99BODYRGN, PS3.16 8.2: "99" prefix) for what it
 * lacks. Code values stay within 16 characters (VR SH).
 */
import type { CodedConcept } from '../types';
import { COMBINED_TERMS, REGION_TERMS } from '../summarise/dicomTerms';

export interface Code {
  CodeValue: string;
  CodingSchemeDesignator: string;
  CodeMeaning: string;
}

export const PRIVATE_SCHEME = '99BODYRGN';
const dcm = (CodeValue: string, CodeMeaning: string): Code => ({ CodeValue, CodingSchemeDesignator: 'DCM', CodeMeaning });
const own = (CodeValue: string, CodeMeaning: string): Code => ({ CodeValue, CodingSchemeDesignator: PRIVATE_SCHEME, CodeMeaning });

/** Enhanced SR Storage: the least capable SR IOD that holds our content (docs/SR.md says why). */
export const ENHANCED_SR_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.88.22';
export const SR_SERIES_DESCRIPTION = 'Body regions';
/** Our SRs' series number (high, out of the way of acquisitions). */
export const SR_SERIES_NUMBER = 9701;
export const SR_MANUFACTURER = 'OHIF Body Region';

export const C = {
  /** Document title: what tells our SRs apart from other tools'. */
  report: own('REPORT', 'Body region report'),
  // TID 4019 Algorithm Identification
  algorithmName: dcm('111001', 'Algorithm Name'),
  algorithmVersion: dcm('111003', 'Algorithm Version'),
  algorithmParameters: dcm('111002', 'Algorithm Parameters'),
  // TID 1002 Observer Context (device)
  observerType: dcm('121005', 'Observer Type'),
  device: dcm('121007', 'Device'),
  deviceObserverUid: dcm('121012', 'Device Observer UID'),
  deviceObserverName: dcm('121013', 'Device Observer Name'),
  // What the report is about
  studyInstanceUid: dcm('110180', 'Study Instance UID'),
  seriesInstanceUid: dcm('112002', 'Series Instance UID'),
  modality: dcm('121139', 'Modality'),
  targetRegion: dcm('123014', 'Target Region'),
  seriesBodyPart: own('SERIESPART', 'Series body part (Annex L)'),
  studyBodyPart: own('STUDYPART', 'Study body part (Annex L)'),
  mainRegion: own('MAINREGION', 'Main region'),
  significantRegion: own('SIGNIFREGION', 'Significant region'),
  otherRegion: own('OTHER', 'Other (no body region)'),
  // Segments
  segment: own('SEGMENT', 'Region segment'),
  stackIndex: own('STACKINDEX', 'Stack index'),
  firstSlice: own('FIRSTSLICE', 'First slice index'),
  lastSlice: own('LASTSLICE', 'Last slice index'),
  firstImage: own('FIRSTIMAGE', 'First image'),
  lastImage: own('LASTIMAGE', 'Last image'),
  startMm: own('STARTMM', 'First slice position'),
  endMm: own('ENDMM', 'Last slice position'),
  length: { CodeValue: '410668003', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Length' } as Code,
  confidence: own('CONFIDENCE', 'Confidence'),
  // Stacks
  stack: own('STACK', 'Image stack'),
  stackKind: own('STACKKIND', 'Stack kind'),
  orientation: own('ORIENTATION', 'Stack orientation'),
  frameCount: own('FRAMECOUNT', 'Number of frames'),
  spacing: own('SPACING', 'Slice spacing'),
  firstMm: own('FIRSTMM', 'First position'),
  lastMm: own('LASTMM', 'Last position'),
  reversed: own('REVERSED', 'Reversed archive order'),
  irregular: own('IRREGULAR', 'Irregular spacing'),
  gapsAfter: own('GAPSAFTER', 'Gaps after slices'),
  duplicates: own('DUPLICATES', 'Duplicates dropped'),
  // Summary
  extent: own('EXTENT', 'Region extent'),
  slices: own('SLICES', 'Number of slices'),
  tag: own('TAG', 'Tag agreement'),
  tagName: own('TAGNAME', 'DICOM attribute'),
  tagValue: own('TAGVALUE', 'Attribute value'),
  tagStatus: own('TAGSTATUS', 'Agreement'),
  qcFlag: own('QCFLAG', 'Quality flag'),
  qcCode: own('QCCODE', 'Quality flag code'),
  qcSeverity: own('QCSEVERITY', 'Severity'),
  qcMessage: own('QCMESSAGE', 'Message'),
  framesTotal: own('FRAMESTOTAL', 'Frames in the series'),
  framesClassified: own('FRAMESCLASSIFIED', 'Frames classified'),
  framesFailed: own('FRAMESFAILED', 'Frames failed'),
} as const;

export const YES: Code = { CodeValue: '373066001', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Yes' };
export const NO: Code = { CodeValue: '373067005', CodingSchemeDesignator: 'SCT', CodeMeaning: 'No' };

export const TAG_STATUS: Record<string, Code> = {
  agree: own('AGREE', 'Agrees with the pixels'),
  partial: own('PARTIAL', 'Partly agrees with the pixels'),
  disagree: own('DISAGREE', 'Disagrees with the pixels'),
  missing: own('MISSING', 'Attribute missing'),
  unrecognised: own('UNRECOGNISED', 'Names no region'),
};

export const MM: Code = { CodeValue: 'mm', CodingSchemeDesignator: 'UCUM', CodeMeaning: 'millimeter' };
export const NO_UNITS: Code = { CodeValue: '1', CodingSchemeDesignator: 'UCUM', CodeMeaning: 'no units' };

/** Meanings of the combined Annex L terms (PS3.16 CID 4031). */
const COMBINED_MEANINGS: Record<string, string> = {
  HEADNECK: 'Head and Neck',
  NECKCHEST: 'Neck and Chest',
  CHESTABDOMEN: 'Chest and Abdomen',
  ABDOMENPELVIS: 'Abdomen and Pelvis',
  CHESTABDPELVIS: 'Chest, Abdomen and Pelvis',
  NECKCHESTABDOMEN: 'Neck, Chest and Abdomen',
  NECKCHESTABDPELV: 'Neck, Chest, Abdomen and Pelvis',
  WHOLEBODY: 'Entire body',
};

export function toCode(c: CodedConcept, fallbackMeaning: string): Code {
  const scheme = c.scheme === 'SNOMED' ? 'SCT' : c.scheme;
  return { CodeValue: c.code, CodingSchemeDesignator: scheme, CodeMeaning: c.meaning ?? fallbackMeaning };
}

/** A region label (labels.json name) as a coded concept; OTHER gets our private code. */
export function regionCode(label: string): Code {
  const term = REGION_TERMS[label];
  if (!term) return C.otherRegion;
  return toCode(term.snomed, label);
}

/** The region label a code stands for, or null when it is none of ours. */
export function regionOfCode(code: Code | undefined): string | null {
  if (!code) return null;
  if (sameCode(code, C.otherRegion)) return 'OTHER';
  for (const [label, term] of Object.entries(REGION_TERMS)) {
    if (term && term.snomed.code === code.CodeValue && isSnomed(code)) return label;
  }
  return null;
}

/** An Annex L BodyPartExamined term as a SNOMED code (its meaning from CID 4031). */
export function annexLCode(term: string, snomed: CodedConcept | null): Code | null {
  if (!snomed) return null;
  const single = Object.values(REGION_TERMS).find((t) => t?.bodyPartExamined === term);
  return toCode(snomed, COMBINED_MEANINGS[term] ?? single?.snomed.meaning ?? term);
}

/** The Annex L term (and the regions it stands for) of a SNOMED code, or null. */
export function annexLOfCode(code: Code | undefined): { term: string; snomed: CodedConcept; regions: string[] } | null {
  if (!code || !isSnomed(code)) return null;
  const combined = COMBINED_TERMS.find((t) => t.snomed.code === code.CodeValue);
  if (combined) return { term: combined.bodyPartExamined, snomed: combined.snomed, regions: [...combined.regions] };
  for (const [label, term] of Object.entries(REGION_TERMS)) {
    if (term && term.snomed.code === code.CodeValue) return { term: term.bodyPartExamined, snomed: term.snomed, regions: [label] };
  }
  return null;
}

export function sameCode(a: Code | undefined, b: Code): boolean {
  return Boolean(a) && a!.CodeValue === b.CodeValue && a!.CodingSchemeDesignator === b.CodingSchemeDesignator;
}

function isSnomed(code: Code): boolean {
  return code.CodingSchemeDesignator === 'SCT' || code.CodingSchemeDesignator === 'SRT' || code.CodingSchemeDesignator === 'SNOMED';
}
