/** Fast vs exhaustive region maps: same regions in the same order, every boundary within a tolerance. */
import type { MapSegment } from './measure';

export interface MapComparison {
  equal: boolean;
  /** Largest distance (slices) between corresponding boundaries; null when the regions differ. */
  maxBoundaryShift: number | null;
  toleranceSlices: number;
  problems: string[];
}

export function formatMap(segments: MapSegment[]): string {
  if (!segments.length) return '(empty)';
  return segments.map((s) => `${s.stackIndex > 0 ? `[${s.stackIndex}] ` : ''}${s.label} ${s.firstIndex}-${s.lastIndex}`).join(' | ');
}

/** Region runs of a per-slice label list (e.g. the data set's reference labels). */
export function runsOf(labels: string[]): MapSegment[] {
  const out: MapSegment[] = [];
  labels.forEach((label, i) => {
    const last = out[out.length - 1];
    if (last && last.label === label) last.lastIndex = i;
    else out.push({ stackIndex: 0, label, firstIndex: i, lastIndex: i });
  });
  return out;
}

export function compareMaps(fast: MapSegment[], exhaustive: MapSegment[], toleranceSlices = 1): MapComparison {
  const problems: string[] = [];
  const key = (s: MapSegment) => `${s.stackIndex}:${s.label}`;
  const fastKeys = fast.map(key).join(' ');
  const exhaustiveKeys = exhaustive.map(key).join(' ');
  if (fastKeys !== exhaustiveKeys) {
    problems.push(`regions differ: fast [${fastKeys}] vs exhaustive [${exhaustiveKeys}]`);
    return { equal: false, maxBoundaryShift: null, toleranceSlices, problems };
  }
  let maxShift = 0;
  fast.forEach((f, i) => {
    const e = exhaustive[i];
    const shift = Math.max(Math.abs(f.firstIndex - e.firstIndex), Math.abs(f.lastIndex - e.lastIndex));
    maxShift = Math.max(maxShift, shift);
    if (shift > toleranceSlices)
      problems.push(`${f.label}: fast ${f.firstIndex}-${f.lastIndex} vs exhaustive ${e.firstIndex}-${e.lastIndex} (${shift} slices)`);
  });
  return { equal: problems.length === 0, maxBoundaryShift: maxShift, toleranceSlices, problems };
}
