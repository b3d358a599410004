import { quantile } from './quantile';
import { randomIndex, seededRandom } from './random';

export interface Interval {
  low: number;
  high: number;
}

export interface BootstrapOptions {
  /** Number of resamples (e.g. 1000). */
  reps: number;
  seed: number;
  /** Coverage of the percentile interval, 0.95 by default. */
  level?: number;
}

/**
 * Percentile bootstrap over groups (subjects): each replicate draws as many groups as there are,
 * with replacement, and evaluates every statistic on the drawn sample. Images of one subject are
 * correlated, so resampling subjects rather than images gives honest intervals.
 * A statistic may be undefined on a replicate (null, e.g. recall of a class that was not drawn);
 * its interval uses the replicates where it is defined, and is null if there are none.
 */
export function bootstrapIntervals<G>(
  groups: readonly G[],
  statistics: (sample: readonly G[]) => (number | null)[],
  options: BootstrapOptions,
): (Interval | null)[] {
  if (groups.length === 0) return [];
  const level = options.level ?? 0.95;
  const random = seededRandom(options.seed);
  const draws: number[][] = [];
  const sample: G[] = new Array<G>(groups.length);
  for (let rep = 0; rep < options.reps; rep++) {
    for (let i = 0; i < groups.length; i++) sample[i] = groups[randomIndex(random, groups.length)];
    const values = statistics(sample);
    values.forEach((v, k) => {
      if (!draws[k]) draws[k] = [];
      if (v !== null && Number.isFinite(v)) draws[k].push(v);
    });
  }
  const tail = (1 - level) / 2;
  return draws.map((values) => {
    const low = quantile(values, tail);
    const high = quantile(values, 1 - tail);
    return low === null || high === null ? null : { low, high };
  });
}
