/**
 * Fast mode's cost and accuracy at other settings, simulated without I/O: the engine's own
 * coarseToFine runs over the probabilities that the exhaustive run computed for every slice, so
 * each setting's frame count and map are what the pipeline would get (up to 4-decimal rounding of
 * the stored probabilities). Covers the boundary margin, which classifySeries does not expose.
 */
import { coarseToFine } from '../../extension/src/engine/decode/coarseToFine';
import { compareMaps, runsOf } from './compareMaps';
import type { MapSegment } from './measure';

export interface SimulatedFastRow {
  sampleMm: number;
  boundaryMargin: number;
  framesFetched: number;
  framesFraction: number;
  equal: boolean;
  maxBoundaryShift: number | null;
  problems: string[];
}

export async function simulateFastSettings(o: {
  probabilities: Array<number[] | null>;
  positionsMm: number[];
  labelNames: string[];
  exhaustive: MapSegment[];
  sampleMm: number[];
  margins: number[];
}): Promise<SimulatedFastRow[]> {
  const n = o.probabilities.length;
  const rows: SimulatedFastRow[] = [];
  for (const sampleMm of o.sampleMm) {
    for (const boundaryMargin of o.margins) {
      const result = await coarseToFine({
        n,
        positionsMm: o.positionsMm,
        labelNames: o.labelNames,
        sampleMm,
        boundaryMargin,
        classify: async (indices) => indices.map((i) => o.probabilities[i]),
      });
      const labels = result.labels.map((l) => l ?? '?');
      const c = compareMaps(
        runsOf(labels),
        o.exhaustive.filter((s) => s.stackIndex === 0),
        1,
      );
      rows.push({
        sampleMm,
        boundaryMargin,
        framesFetched: result.attempted,
        framesFraction: result.attempted / n,
        equal: c.equal,
        maxBoundaryShift: c.maxBoundaryShift,
        problems: c.problems,
      });
    }
  }
  return rows;
}
