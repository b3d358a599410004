/** Accuracy of images grouped by a property (manufacturer, orientation, slice thickness, source...). */

export interface ScoredImage {
  subject: string;
  truth: number;
  raw: number;
  decoded: number;
}

export interface BreakdownRow {
  key: string;
  images: number;
  subjects: number;
  series: number;
  accuracy: number;
  accuracyDecoded: number;
}

export function breakdown<T extends ScoredImage & { seriesId: string }>(images: readonly T[], keyOf: (image: T) => string): BreakdownRow[] {
  const groups = new Map<string, T[]>();
  for (const image of images) {
    const key = keyOf(image);
    const list = groups.get(key);
    if (list) list.push(image);
    else groups.set(key, [image]);
  }
  return [...groups.entries()]
    .map(([key, list]) => ({
      key,
      images: list.length,
      subjects: new Set(list.map((i) => i.subject)).size,
      series: new Set(list.map((i) => i.seriesId)).size,
      accuracy: list.filter((i) => i.raw === i.truth).length / list.length,
      accuracyDecoded: list.filter((i) => i.decoded === i.truth).length / list.length,
    }))
    .sort((a, b) => b.images - a.images || a.key.localeCompare(b.key));
}

/** Slice-thickness buckets of the report: ≤1.5, ≤3, ≤5, >5 mm, or unknown. */
export function thicknessBucket(sliceMm: number | null): string {
  if (sliceMm === null || !Number.isFinite(sliceMm) || sliceMm <= 0) return 'unknown';
  if (sliceMm <= 1.5) return '<=1.5 mm';
  if (sliceMm <= 3) return '<=3 mm';
  if (sliceMm <= 5) return '<=5 mm';
  return '>5 mm';
}

/** Manufacturer names vary in spelling ("GE", "GE MEDICAL SYSTEMS"): group by vendor. */
export function vendorOf(manufacturer: string): string {
  const m = manufacturer.trim().toUpperCase();
  if (m === '') return 'unknown';
  if (m.startsWith('GE')) return 'GE';
  if (m.startsWith('PHILIPS')) return 'Philips';
  if (m.startsWith('SIEMENS')) return 'Siemens';
  if (m.startsWith('TOSHIBA') || m.startsWith('CANON')) return 'Canon/Toshiba';
  if (m.startsWith('HITACHI') || m.startsWith('FUJIFILM')) return 'Hitachi/Fujifilm';
  return manufacturer.trim();
}
