/**
 * Non-adjacent confusions: an image whose predicted region is neither its true region nor
 * anatomically next to it (e.g. HEAD predicted for a KNEE slice). Such errors cannot be explained by
 * an uncertain boundary, so they are counted on their own.
 */

export type AdjacencyTest = (a: string, b: string) => boolean;

export interface ConfusionPairCount {
  truth: string;
  predicted: string;
  images: number;
}

export interface NonAdjacentSummary {
  images: number;
  pairs: ConfusionPairCount[];
}

export function nonAdjacentConfusions(
  items: readonly { truth: string; predicted: string }[],
  areAdjacent: AdjacencyTest,
): NonAdjacentSummary {
  const counts = new Map<string, ConfusionPairCount>();
  let images = 0;
  for (const { truth, predicted } of items) {
    if (truth === predicted || areAdjacent(truth, predicted)) continue;
    images += 1;
    const key = `${truth}\u0000${predicted}`;
    const entry = counts.get(key);
    if (entry) entry.images += 1;
    else counts.set(key, { truth, predicted, images: 1 });
  }
  const pairs = [...counts.values()].sort((a, b) => b.images - a.images || a.truth.localeCompare(b.truth));
  return { images, pairs };
}

/** Builds a symmetric adjacency test from a list of neighbouring pairs. */
export function adjacencyFromPairs(pairs: readonly (readonly [string, string])[]): AdjacencyTest {
  const set = new Set<string>();
  for (const [a, b] of pairs) {
    set.add(`${a}\u0000${b}`);
    set.add(`${b}\u0000${a}`);
  }
  return (a, b) => set.has(`${a}\u0000${b}`);
}
