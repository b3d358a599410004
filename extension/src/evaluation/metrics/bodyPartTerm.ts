/**
 * The DICOM BodyPartExamined term (PS3.16 Annex L) that names a set of regions, from
 * models/labels.json: one region → its own term; several → the combined term whose regions are
 * exactly that set (e.g. CHEST + ABDOMEN → CHESTABDOMEN), WHOLEBODY for head to at least the thighs.
 * Used to compare a series' BodyPartExamined tag and the model's regions with the truth.
 */

export interface LabelsFileLike {
  labels: { name: string; bodyPartExamined: string | null }[];
  combinations: { bodyPartExamined: string; regions: string[]; rule?: string }[];
}

export function bodyPartTermOf(regions: Iterable<string>, labels: LabelsFileLike): string | null {
  const set = new Set([...regions].filter((r) => r !== 'OTHER'));
  if (set.size === 0) return null;
  if (set.size === 1) {
    const [only] = set;
    return labels.labels.find((l) => l.name === only)?.bodyPartExamined ?? null;
  }
  for (const c of labels.combinations) {
    if (c.rule) continue;
    if (c.regions.length === set.size && c.regions.every((r) => set.has(r))) return c.bodyPartExamined;
  }
  const whole = labels.combinations.find((c) => c.rule);
  if (whole && whole.regions.every((r) => set.has(r))) return whole.bodyPartExamined;
  return null;
}

/** Tags are free text in practice ("Chest ", "ABDOMEN_PELVIS"): compare upper-case letters only. */
export function normaliseBodyPart(tag: string): string {
  return tag.toUpperCase().replace(/[^A-Z]/g, '');
}
