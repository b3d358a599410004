/** Small 3-vector helpers for slice geometry (patient coordinates, mm). */
export type Vec3 = [number, number, number];

export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

export function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

export function normalise(a: Vec3): Vec3 | null {
  const len = Math.hypot(a[0], a[1], a[2]);
  if (!(len > 1e-6) || !Number.isFinite(len)) return null;
  return [a[0] / len, a[1] / len, a[2] / len];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
