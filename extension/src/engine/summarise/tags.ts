import type { TagAgreement } from '../results/schema';
import { sortAnatomically } from '../decode/anatomy';
import { COMBINED_TERMS, REGION_TERMS } from './dicomTerms';

const CAP = ['CHEST', 'ABDOMEN', 'PELVIS'];

/**
 * Words (upper case, separators removed) that name regions, beyond the defined terms themselves.
 * Deliberately modest: common English abbreviations seen in BodyPartExamined and SeriesDescription.
 */
const SYNONYMS: Record<string, string[]> = {
  BRAIN: ['HEAD'],
  SKULL: ['HEAD'],
  CRANIUM: ['HEAD'],
  SINUS: ['HEAD'],
  SINUSES: ['HEAD'],
  ORBIT: ['HEAD'],
  ORBITS: ['HEAD'],
  IAC: ['HEAD'],
  THORAX: ['CHEST'],
  THX: ['CHEST'],
  LUNG: ['CHEST'],
  LUNGS: ['CHEST'],
  THORACIC: ['CHEST'],
  ABD: ['ABDOMEN'],
  ABDO: ['ABDOMEN'],
  LIVER: ['ABDOMEN'],
  ABDPELVIS: ['ABDOMEN', 'PELVIS'],
  ABDPEL: ['ABDOMEN', 'PELVIS'],
  ABDOMENPELVIS: ['ABDOMEN', 'PELVIS'],
  PELV: ['PELVIS'],
  PROSTATE: ['PELVIS'],
  CAP: CAP,
  TAP: CAP,
  CHESTABDOMENPELVIS: CAP,
  THORAXABDOMENPELVIS: CAP,
  TORSO: CAP,
  TRUNK: CAP,
  CSPINE: ['SPINE'],
  TSPINE: ['SPINE'],
  LSPINE: ['SPINE'],
  LSSPINE: ['SPINE'],
  CERVICAL: ['SPINE'],
  LUMBAR: ['SPINE'],
  SACRUM: ['SPINE'],
  WB: ['HEAD', 'NECK', 'CHEST', 'ABDOMEN', 'PELVIS', 'THIGH'],
  HUMERUS: ['UPPER_ARM'],
  FEMUR: ['THIGH'],
  TIBIA: ['LOWER_LEG'],
  LEG: ['LOWER_LEG'],
  CALF: ['LOWER_LEG'],
  MAMMA: ['BREAST'],
  BREASTS: ['BREAST'],
};

const DICTIONARY: Map<string, string[]> = (() => {
  const map = new Map<string, string[]>();
  for (const [label, term] of Object.entries(REGION_TERMS)) {
    if (term) {
      map.set(term.bodyPartExamined, [label]);
      map.set(label.replace(/_/g, ''), [label]);
    }
  }
  for (const c of COMBINED_TERMS) map.set(c.bodyPartExamined, c.regions);
  for (const [word, regions] of Object.entries(SYNONYMS)) map.set(word, regions);
  return map;
})();

/**
 * Regions a BodyPartExamined value or a SeriesDescription names, head to foot. Words are matched
 * alone and joined with their neighbours ("ABDOMEN_PELVIS", "C/A/P", "WHOLE BODY", "C-SPINE").
 */
export function regionsFromText(text: string | null | undefined): string[] {
  if (!text) return [];
  const words = text
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter(Boolean);
  const found = new Set<string>();
  const claimed = new Array<boolean>(words.length).fill(false);
  // Longest joins first, so that "ABDOMEN PELVIS" is one term and "C A P" is CAP, not nothing.
  for (let width = Math.min(4, words.length); width >= 1; width--) {
    for (let i = 0; i + width <= words.length; i++) {
      if (claimed.slice(i, i + width).some(Boolean)) continue;
      const regions = DICTIONARY.get(words.slice(i, i + width).join(''));
      if (!regions) continue;
      regions.forEach((r) => found.add(r));
      for (let j = i; j < i + width; j++) claimed[j] = true;
    }
  }
  return sortAnatomically(found);
}

/** Trunk regions a spine study normally shows: a SPINE tag is compatible with them. */
const SPINE_NEIGHBOURS = new Set(['NECK', 'CHEST', 'ABDOMEN', 'PELVIS']);

/** How a tag compares with the regions the pixels show. */
export function compareTag(value: string | null | undefined, decoded: string[]): TagAgreement {
  const text = value?.trim() ? value.trim() : null;
  if (!text) return { value: null, regions: [], status: 'missing' };
  const regions = regionsFromText(text);
  if (regions.length === 0) return { value: text, regions, status: 'unrecognised' };
  const shown = new Set(decoded.filter((r) => r !== 'OTHER'));
  const named = new Set(regions);
  const overlap = regions.filter((r) => shown.has(r));
  let status: TagAgreement['status'];
  if (overlap.length === named.size && named.size === shown.size) status = 'agree';
  else if (overlap.length > 0) status = 'partial';
  else if (named.has('SPINE') && [...shown].some((r) => SPINE_NEIGHBOURS.has(r))) status = 'partial';
  else status = 'disagree';
  return { value: text, regions, status };
}
