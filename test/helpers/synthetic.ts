import labelsFile from '../../models/labels.json';
import { seededRandom } from '../../extension/src/evaluation/metrics/random';

export const LABEL_NAMES: string[] = labelsFile.labels.map((l) => l.name);

/** Deterministic pseudo-random numbers, the evaluation's own, so that noisy tests are reproducible. */
export { seededRandom };

/** Expands [['CHEST', 10], ['ABDOMEN', 5]] into one label per slice. */
export function runs(spec: Array<[string, number]>): string[] {
  return spec.flatMap(([label, count]) => new Array<string>(count).fill(label));
}

/**
 * Per-slice probabilities: `peak` on the true label, the rest spread evenly; with probability
 * `flipRate` a slice instead puts `peak` on a random wrong label (a classifier's mistake).
 */
export function syntheticProbabilities(
  truth: string[],
  { peak = 0.8, flipRate = 0, seed = 1 }: { peak?: number; flipRate?: number; seed?: number } = {},
): number[][] {
  const random = seededRandom(seed);
  const k = LABEL_NAMES.length;
  return truth.map((label) => {
    let winner = LABEL_NAMES.indexOf(label);
    if (winner < 0) throw new Error(`unknown label ${label}`);
    if (random() < flipRate) winner = (winner + 1 + Math.floor(random() * (k - 1))) % k;
    const row = new Array<number>(k).fill((1 - peak) / (k - 1));
    row[winner] = peak;
    return row;
  });
}
