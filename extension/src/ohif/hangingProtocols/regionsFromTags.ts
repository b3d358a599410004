/**
 * Fallback before the pixels have spoken: body regions guessed from BodyPartExamined, then from
 * SeriesDescription keywords. Used by the custom hanging-protocol attributes until results arrive.
 */
const COMBINED: Record<string, string[]> = {
  HEADNECK: ['HEAD', 'NECK'],
  NECKCHEST: ['NECK', 'CHEST'],
  CHESTABDOMEN: ['CHEST', 'ABDOMEN'],
  ABDOMENPELVIS: ['ABDOMEN', 'PELVIS'],
  CHESTABDPELVIS: ['CHEST', 'ABDOMEN', 'PELVIS'],
  NECKCHESTABDOMEN: ['NECK', 'CHEST', 'ABDOMEN'],
  NECKCHESTABDPELV: ['NECK', 'CHEST', 'ABDOMEN', 'PELVIS'],
  WHOLEBODY: ['HEAD', 'NECK', 'CHEST', 'ABDOMEN', 'PELVIS', 'THIGH'],
};

/** BodyPartExamined defined terms (and common vendor variants) → labels.json names. */
const BODY_PART: Record<string, string> = {
  HEAD: 'HEAD',
  BRAIN: 'HEAD',
  SKULL: 'HEAD',
  NECK: 'NECK',
  CSPINE: 'SPINE',
  TSPINE: 'SPINE',
  LSPINE: 'SPINE',
  SPINE: 'SPINE',
  WHOLESPINE: 'SPINE',
  CHEST: 'CHEST',
  THORAX: 'CHEST',
  LUNG: 'CHEST',
  BREAST: 'BREAST',
  ABDOMEN: 'ABDOMEN',
  LIVER: 'ABDOMEN',
  KIDNEY: 'ABDOMEN',
  PELVIS: 'PELVIS',
  PROSTATE: 'PELVIS',
  HIP: 'HIP',
  SHOULDER: 'SHOULDER',
  UPPERARM: 'UPPER_ARM',
  ARM: 'UPPER_ARM',
  ELBOW: 'ELBOW',
  FOREARM: 'FOREARM',
  WRIST: 'WRIST',
  HAND: 'HAND',
  THIGH: 'THIGH',
  FEMUR: 'THIGH',
  KNEE: 'KNEE',
  LOWERLEG: 'LOWER_LEG',
  LEG: 'LOWER_LEG',
  ANKLE: 'ANKLE',
  FOOT: 'FOOT',
};

/** Whole words of a series description → labels (order: more specific first). */
const DESCRIPTION_WORDS: Array<[RegExp, string]> = [
  [/\b(head|brain|skull|cranial|cerebr)/i, 'HEAD'],
  [/\b(neck|cervical|larynx|thyroid)/i, 'NECK'],
  [/\b(c-?spine|t-?spine|l-?spine|spine|lumbar|thoracic spine)/i, 'SPINE'],
  [/\b(chest|thorax|thoracic|lung|pulmo)/i, 'CHEST'],
  [/\bbreast/i, 'BREAST'],
  [/\b(abdomen|abd|liver|kidney|renal|pancrea)/i, 'ABDOMEN'],
  [/\b(pelvis|pelvic|prostate|bladder)/i, 'PELVIS'],
  [/\bshoulder/i, 'SHOULDER'],
  [/\belbow/i, 'ELBOW'],
  [/\bwrist/i, 'WRIST'],
  [/\bhand\b/i, 'HAND'],
  [/\bhip\b/i, 'HIP'],
  [/\b(thigh|femur)/i, 'THIGH'],
  [/\bknee/i, 'KNEE'],
  [/\bankle/i, 'ANKLE'],
  [/\bfoot|\bfeet/i, 'FOOT'],
];

export function regionsFromTags(bodyPartExamined?: string | null, seriesDescription?: string | null): string[] {
  const part = (bodyPartExamined ?? '').toUpperCase().replace(/[^A-Z]/g, '');
  if (part) {
    if (COMBINED[part]) return COMBINED[part];
    if (BODY_PART[part]) return [BODY_PART[part]];
  }
  const found: string[] = [];
  for (const [pattern, label] of DESCRIPTION_WORDS) {
    if (pattern.test(seriesDescription ?? '') && !found.includes(label)) found.push(label);
  }
  return found;
}
