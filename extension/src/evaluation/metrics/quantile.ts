/**
 * Quantile with linear interpolation between order statistics (the common "type 7" definition,
 * numpy's default): position h = (n - 1) q, value = v[floor h] + (h - floor h)(v[floor h + 1] - v[floor h]).
 */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  if (q < 0 || q > 1) throw new Error(`quantile ${q} outside [0, 1]`);
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export function median(values: readonly number[]): number | null {
  return quantile(values, 0.5);
}
