/**
 * Names a radiologist reads, for the taxonomy's region labels (../shared/REGIONS.md, models/labels.json)
 * and the DICOM Annex L terms the summaries use ("Head and neck", not HEADNECK). The raw term stays
 * available as a tooltip. These are the defaults of the `bodyRegion.regionNames` and
 * `bodyRegion.termNames` customizations (appearance.ts).
 */
export const REGION_NAMES: Readonly<Record<string, string>> = {
  OTHER: 'Other',
  HEAD: 'Head',
  NECK: 'Neck',
  CHEST: 'Chest',
  BREAST: 'Breast',
  ABDOMEN: 'Abdomen',
  PELVIS: 'Pelvis',
  SPINE: 'Spine',
  SHOULDER: 'Shoulder',
  UPPER_ARM: 'Upper arm',
  ELBOW: 'Elbow',
  FOREARM: 'Forearm',
  WRIST: 'Wrist',
  HAND: 'Hand',
  HIP: 'Hip',
  THIGH: 'Thigh',
  KNEE: 'Knee',
  LOWER_LEG: 'Lower leg',
  ANKLE: 'Ankle',
  FOOT: 'Foot',
};

/** Annex L terms that are not a region label spelled the same (combined trunk terms, UPPERARM…). */
export const TERM_NAMES: Readonly<Record<string, string>> = {
  UPPERARM: 'Upper arm',
  LOWERLEG: 'Lower leg',
  HEADNECK: 'Head and neck',
  NECKCHEST: 'Neck and chest',
  CHESTABDOMEN: 'Chest and abdomen',
  ABDOMENPELVIS: 'Abdomen and pelvis',
  CHESTABDPELVIS: 'Chest, abdomen and pelvis',
  NECKCHESTABDOMEN: 'Neck, chest and abdomen',
  NECKCHESTABDPELV: 'Neck, chest, abdomen and pelvis',
  WHOLEBODY: 'Whole body',
};

/** "Upper arm" for UPPER_ARM; an unknown label in sentence case. */
export function regionName(label: string, names: Readonly<Record<string, string>> = REGION_NAMES): string {
  return names[label] ?? sentenceCase(label.replace(/_/g, ' '));
}

/** "Chest, abdomen and pelvis" for CHESTABDPELVIS; a single-region term as its region. */
export function annexLName(
  term: string,
  terms: Readonly<Record<string, string>> = TERM_NAMES,
  names: Readonly<Record<string, string>> = REGION_NAMES,
): string {
  return terms[term] ?? names[term] ?? sentenceCase(term);
}

function sentenceCase(text: string): string {
  const lower = text.toLowerCase();
  return lower.charAt(0).toUpperCase() + lower.slice(1);
}
