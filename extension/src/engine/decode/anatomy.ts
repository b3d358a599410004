/**
 * Anatomical knowledge shared by the decoder, the summaries, the panel and the hanging protocols:
 * which regions touch each other, their head-to-foot order, and plausible lengths along the body.
 * One table, from REGIONS.md (the shared taxonomy beside the repository: ../shared/REGIONS.md).
 */

/** Label of images that show no cross-sectional anatomy (scouts, renderings, reports). */
export const OTHER = 'OTHER';

/** Relative weight of a side branch (limb root, spine, breast, hip) against the main chain. */
export const SIDE_BRANCH_WEIGHT = 0.25;

/**
 * Pairs of regions that meet along the body (undirected: stacks run either way), with the relative
 * weight of that transition for the decoder: 1 along the head-to-foot and shoulder-to-hand chains,
 * SIDE_BRANCH_WEIGHT where a scan rarely walks from one to the other (chest → breast, pelvis → hip).
 */
export const REGION_ADJACENCY: ReadonlyArray<readonly [string, string, number]> = [
  // Trunk and legs, head to foot.
  ['HEAD', 'NECK', 1],
  ['NECK', 'CHEST', 1],
  ['CHEST', 'ABDOMEN', 1],
  ['ABDOMEN', 'PELVIS', 1],
  ['PELVIS', 'THIGH', 1],
  ['THIGH', 'KNEE', 1],
  ['KNEE', 'LOWER_LEG', 1],
  ['LOWER_LEG', 'ANKLE', 1],
  ['ANKLE', 'FOOT', 1],
  // Hip joint between pelvis and thigh.
  ['PELVIS', 'HIP', SIDE_BRANCH_WEIGHT],
  ['HIP', 'THIGH', SIDE_BRANCH_WEIGHT],
  // Arm, shoulder to hand, hanging off the neck and chest.
  ['SHOULDER', 'UPPER_ARM', 1],
  ['UPPER_ARM', 'ELBOW', 1],
  ['ELBOW', 'FOREARM', 1],
  ['FOREARM', 'WRIST', 1],
  ['WRIST', 'HAND', 1],
  ['CHEST', 'SHOULDER', SIDE_BRANCH_WEIGHT],
  ['NECK', 'SHOULDER', SIDE_BRANCH_WEIGHT],
  ['CHEST', 'BREAST', SIDE_BRANCH_WEIGHT],
  // The spine runs alongside the trunk.
  ['SPINE', 'NECK', SIDE_BRANCH_WEIGHT],
  ['SPINE', 'CHEST', SIDE_BRANCH_WEIGHT],
  ['SPINE', 'ABDOMEN', SIDE_BRANCH_WEIGHT],
  ['SPINE', 'PELVIS', SIDE_BRANCH_WEIGHT],
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
  return adjacencyWeight(a, b) > 0;
}

/** The decoder's relative weight of a step between a and b: 0 when they do not touch. */
export function adjacencyWeight(a: string, b: string): number {
  const pair = REGION_ADJACENCY.find(([x, y]) => (x === a && y === b) || (x === b && y === a));
  return pair ? pair[2] : 0;
}

/** Sorts labels head to foot; unknown labels go last, in input order. */
export function sortAnatomically(labels: Iterable<string>): string[] {
  const rank = (l: string) => {
    const i = ANATOMICAL_ORDER.indexOf(l);
    return i < 0 ? ANATOMICAL_ORDER.length : i;
  };
  return [...new Set(labels)].sort((a, b) => rank(a) - rank(b));
}
