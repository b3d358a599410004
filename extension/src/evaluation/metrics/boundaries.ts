/**
 * Region boundaries along a stack and their errors in mm. A boundary lies halfway between two
 * neighbouring slices whose labels differ; it is identified by its ordered label pair
 * (label below → label above, in the stack's anatomical order).
 */

export interface Boundary {
  from: string;
  to: string;
  positionMm: number;
}

export function boundariesOf(labels: readonly string[], positionsMm: readonly number[]): Boundary[] {
  if (labels.length !== positionsMm.length) {
    throw new Error(`labels (${labels.length}) and positions (${positionsMm.length}) differ in length`);
  }
  const out: Boundary[] = [];
  for (let i = 1; i < labels.length; i++) {
    if (labels[i] !== labels[i - 1]) {
      out.push({ from: labels[i - 1], to: labels[i], positionMm: (positionsMm[i - 1] + positionsMm[i]) / 2 });
    }
  }
  return out;
}

export interface BoundaryMatch {
  /** Distance (mm) from each true boundary to the nearest predicted one of the same label pair. */
  errorsMm: number[];
  /** True boundaries with no predicted boundary of the same label pair. */
  missed: Boundary[];
  /** Predicted boundaries whose label pair has no true boundary. */
  spurious: Boundary[];
}

export function matchBoundaries(truth: readonly Boundary[], predicted: readonly Boundary[]): BoundaryMatch {
  const key = (b: Boundary) => `${b.from}\u0000${b.to}`;
  const errorsMm: number[] = [];
  const missed: Boundary[] = [];
  for (const t of truth) {
    let best: number | null = null;
    for (const p of predicted) {
      if (key(p) !== key(t)) continue;
      const d = Math.abs(p.positionMm - t.positionMm);
      if (best === null || d < best) best = d;
    }
    if (best === null) missed.push(t);
    else errorsMm.push(best);
  }
  const trueKeys = new Set(truth.map(key));
  const spurious = predicted.filter((p) => !trueKeys.has(key(p)));
  return { errorsMm, missed, spurious };
}
