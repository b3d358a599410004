import type { FrameMeta, Orientation, Stack, StackQc } from '../types';
import { cross, dot, median, normalise, type Vec3 } from './vector';

/** Frames whose normals differ by less than this angle belong to the same stack. */
const PARALLEL_COS = Math.cos((2 * Math.PI) / 180);
/** A normal within this angle of a patient axis names the orientation; beyond it is oblique. */
const ORIENTATION_COS = Math.cos((35 * Math.PI) / 180);
/** Two frames closer than this along the normal share a position (duplicates). */
const DUPLICATE_TOLERANCE_MM = 0.01;
/** A step larger than this multiple of the median spacing is a gap. */
export const GAP_FACTOR = 1.5;
/** Steps differing from the median by more than this fraction make the spacing irregular. */
export const IRREGULAR_FRACTION = 0.1;

const AXIS_ORIENTATION: Orientation[] = ['sagittal', 'coronal', 'axial'];

interface Located {
  frame: FrameMeta;
  /** Position in the archive's order (instance number, frame number, then input order). */
  archiveRank: number;
  normal: Vec3;
}

function frameNormal(frame: FrameMeta): Vec3 | null {
  const iop = frame.imageOrientationPatient;
  const ipp = frame.imagePositionPatient;
  if (!iop || !ipp || iop.length < 6 || ipp.length < 3) return null;
  if (![...iop, ...ipp].every(Number.isFinite)) return null;
  const row = normalise([iop[0], iop[1], iop[2]]);
  const col = normalise([iop[3], iop[4], iop[5]]);
  if (!row || !col) return null;
  return normalise(cross(row, col));
}

/** The patient axis (0 = x, 1 = y, 2 = z) the normal runs along, and the orientation it names. */
export function orientationOf(normal: Vec3): { axis: number; orientation: Orientation } {
  let axis = 0;
  for (let i = 1; i < 3; i++) if (Math.abs(normal[i]) > Math.abs(normal[axis])) axis = i;
  const orientation = Math.abs(normal[axis]) >= ORIENTATION_COS ? AXIS_ORIENTATION[axis] : 'oblique';
  return { axis, orientation };
}

function archiveOrder(frames: FrameMeta[]): Map<FrameMeta, number> {
  const indexed = frames.map((frame, index) => ({ frame, index }));
  indexed.sort((a, b) => {
    const ia = a.frame.instanceNumber;
    const ib = b.frame.instanceNumber;
    if (ia !== undefined && ib !== undefined && ia !== ib) return ia - ib;
    if (a.frame.sopInstanceUID === b.frame.sopInstanceUID) return a.frame.frameNumber - b.frame.frameNumber;
    return a.index - b.index;
  });
  return new Map(indexed.map((entry, rank) => [entry.frame, rank]));
}

function singleStack(frame: FrameMeta, orientation: Orientation | 'unknown'): Stack {
  return {
    kind: 'single',
    orientation,
    frames: [frame],
    positionsMm: [],
    spacingMm: null,
    qc: { reversed: false, irregularSpacing: false, gapsAfter: [], duplicatesDropped: 0 },
  };
}

function buildOneStack(group: Located[]): Stack {
  const { axis, orientation } = orientationOf(group[0].normal);
  // Orient the normal so that it points along the positive patient axis (LPS: left, posterior,
  // superior): increasing position then means inferior → superior for axial stacks.
  const n = group[0].normal;
  const sign = n[axis] < 0 ? -1 : 1;
  const normal: Vec3 = [n[0] * sign, n[1] * sign, n[2] * sign];
  const located = group.map((g) => ({ ...g, position: dot(g.frame.imagePositionPatient as Vec3, normal) }));
  located.sort((a, b) => a.position - b.position || a.archiveRank - b.archiveRank);

  // Keep the first frame (in archive order) of each position.
  const kept: typeof located = [];
  const duplicates: Array<{ frame: FrameMeta; keptIndex: number }> = [];
  for (const item of located) {
    const last = kept[kept.length - 1];
    if (last && Math.abs(item.position - last.position) <= DUPLICATE_TOLERANCE_MM) {
      const keptIndex = kept.length - 1;
      if (item.archiveRank < last.archiveRank) {
        kept[keptIndex] = item;
        duplicates.push({ frame: last.frame, keptIndex });
      } else {
        duplicates.push({ frame: item.frame, keptIndex });
      }
      continue;
    }
    kept.push(item);
  }
  const duplicatesDropped = duplicates.length;

  if (kept.length < 2) {
    const single = singleStack(kept[0].frame, orientation);
    single.qc.duplicatesDropped = duplicatesDropped;
    if (duplicatesDropped) single.duplicates = duplicates;
    return single;
  }

  const positionsMm = kept.map((k) => k.position);
  const steps = positionsMm.slice(1).map((p, i) => p - positionsMm[i]);
  const spacingMm = median(steps);
  const gapsAfter: number[] = [];
  steps.forEach((step, i) => {
    if (step > GAP_FACTOR * spacingMm) gapsAfter.push(i);
  });
  const irregularSpacing = steps.some((step) => Math.abs(step - spacingMm) > IRREGULAR_FRACTION * spacingMm);
  // Reversed: the archive's first frame lies anatomically after its last one.
  let firstRank = 0;
  let lastRank = 0;
  kept.forEach((k, i) => {
    if (k.archiveRank < kept[firstRank].archiveRank) firstRank = i;
    if (k.archiveRank > kept[lastRank].archiveRank) lastRank = i;
  });
  const qc: StackQc = { reversed: firstRank > lastRank, irregularSpacing, gapsAfter, duplicatesDropped };
  const stack: Stack = { kind: 'stack', orientation, frames: kept.map((k) => k.frame), positionsMm, spacingMm, qc };
  if (duplicatesDropped) stack.duplicates = duplicates;
  return stack;
}

/**
 * Splits a series' frames into geometric stacks: parallel frames sorted along their normal in
 * anatomical order (axial: inferior → superior), plus one 'single' stack per frame that has no
 * usable geometry or no parallel partner. Enhanced multi-frame instances arrive as one FrameMeta
 * per frame with its own position, so they are stacked like single-frame instances.
 * Stacks appear in the archive order of their first frame.
 */
export function buildStacks(frames: FrameMeta[]): Stack[] {
  const rank = archiveOrder(frames);
  const byArchive = [...frames].sort((a, b) => (rank.get(a) as number) - (rank.get(b) as number));
  const groups: Located[][] = [];
  const stacksInOrder: Array<{ rank: number; build: () => Stack }> = [];
  for (const frame of byArchive) {
    const normal = frameNormal(frame);
    const archiveRank = rank.get(frame) as number;
    if (!normal) {
      stacksInOrder.push({ rank: archiveRank, build: () => singleStack(frame, 'unknown') });
      continue;
    }
    // A flipped normal (e.g. row cosines negated) still describes the same plane.
    let group = groups.find((g) => Math.abs(dot(g[0].normal, normal)) >= PARALLEL_COS);
    if (!group) {
      group = [];
      groups.push(group);
      const captured = group;
      stacksInOrder.push({ rank: archiveRank, build: () => buildOneStack(captured) });
    }
    group.push({ frame, archiveRank, normal });
  }
  return stacksInOrder.sort((a, b) => a.rank - b.rank).map((s) => s.build());
}
