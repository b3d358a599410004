/**
 * Anatomical knowledge shared by the decoder, the summaries, the panel and the hanging protocols:
 * which regions touch each other, their head-to-foot order, and plausible lengths along the body.
 * One table, from /work/shared/REGIONS.md.
 */

/** Label of images that show no cross-sectional anatomy (scouts, renderings, reports). */
export const OTHER = 'OTHER';

/** Pairs of regions that meet along the body (undirected: stacks run either way). */
export const REGION_ADJACENCY: ReadonlyArray<readonly [string, string]> = [
  // Trunk and legs, head to foot.
  ['HEAD', 'NECK'],
  ['NECK', 'CHEST'],
  ['CHEST', 'ABDOMEN'],
  ['ABDOMEN', 'PELVIS'],
  ['PELVIS', 'THIGH'],
  ['THIGH', 'KNEE'],
  ['KNEE', 'LOWER_LEG'],
  ['LOWER_LEG', 'ANKLE'],
  ['ANKLE', 'FOOT'],
  // Hip joint between pelvis and thigh.
  ['PELVIS', 'HIP'],
  ['HIP', 'THIGH'],
  // Arm, shoulder to hand, hanging off the neck and chest.
  ['SHOULDER', 'UPPER_ARM'],
  ['UPPER_ARM', 'ELBOW'],
  ['ELBOW', 'FOREARM'],
  ['FOREARM', 'WRIST'],
  ['WRIST', 'HAND'],
  ['CHEST', 'SHOULDER'],
  ['NECK', 'SHOULDER'],
  ['CHEST', 'BREAST'],
  // The spine runs alongside the trunk.
  ['SPINE', 'NECK'],
  ['SPINE', 'CHEST'],
  ['SPINE', 'ABDOMEN'],
  ['SPINE', 'PELVIS'],
];

/**
 * Head-to-foot order used to list regions (summaries, panel, protocols). The arm follows the
 * shoulder it hangs from; BREAST and SPINE sit with the chest they lie in front of / behind.
 */
export const ANATOMICAL_ORDER: ReadonlyArray<string> = [
  'HEAD',
  'NECK',
  'SHOULDER',
  'UPPER_ARM',
  'ELBOW',
  'FOREARM',
  'WRIST',
  'HAND',
  'CHEST',
  'BREAST',
  'SPINE',
  'ABDOMEN',
  'PELVIS',
  'HIP',
  'THIGH',
  'KNEE',
  'LOWER_LEG',
  'ANKLE',
  'FOOT',
  OTHER,
];

/**
 * Adult extent of each region along its axis (mm): `typical` drives the decoder's switch
 * probability; `min`/`max` bound what a complete segment can plausibly measure (QC).
 * Deliberately wide: children, partial coverage and oblique stacks all shift them.
 */
export const REGION_LENGTH_MM: Readonly<Record<string, { typical: number; min: number; max: number }>> = {
  OTHER: { typical: 100, min: 0, max: Infinity },
  HEAD: { typical: 180, min: 60, max: 300 },
  NECK: { typical: 120, min: 30, max: 250 },
  CHEST: { typical: 250, min: 80, max: 400 },
  BREAST: { typical: 150, min: 30, max: 300 },
  ABDOMEN: { typical: 180, min: 40, max: 350 },
  PELVIS: { typical: 150, min: 50, max: 300 },
  SPINE: { typical: 200, min: 20, max: 800 },
  SHOULDER: { typical: 80, min: 20, max: 200 },
  UPPER_ARM: { typical: 200, min: 30, max: 400 },
  ELBOW: { typical: 70, min: 15, max: 150 },
  FOREARM: { typical: 180, min: 30, max: 350 },
  WRIST: { typical: 50, min: 10, max: 120 },
  HAND: { typical: 120, min: 20, max: 250 },
  HIP: { typical: 100, min: 20, max: 200 },
  THIGH: { typical: 300, min: 40, max: 550 },
  KNEE: { typical: 80, min: 20, max: 200 },
  LOWER_LEG: { typical: 250, min: 40, max: 500 },
  ANKLE: { typical: 80, min: 15, max: 150 },
  FOOT: { typical: 100, min: 20, max: 300 },
};

/** Regions adjacent to `label` (either direction). */
export function neighboursOf(label: string): string[] {
  const out: string[] = [];
  for (const [a, b] of REGION_ADJACENCY) {
    if (a === label) out.push(b);
    else if (b === label) out.push(a);
  }
  return out;
}

export function areAdjacent(a: string, b: string): boolean {
  return REGION_ADJACENCY.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
}

/** Sorts labels head to foot; unknown labels go last, in input order. */
export function sortAnatomically(labels: Iterable<string>): string[] {
  const rank = (l: string) => {
    const i = ANATOMICAL_ORDER.indexOf(l);
    return i < 0 ? ANATOMICAL_ORDER.length : i;
  };
  return [...new Set(labels)].sort((a, b) => rank(a) - rank(b));
}
