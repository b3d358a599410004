import * as fs from 'fs';
import * as path from 'path';
import { ANATOMICAL_ORDER, REGION_ADJACENCY, REGION_LENGTH_MM } from '../../extension/src/engine/decode/anatomy';
import { COMBINED_TERMS, REGION_TERMS } from '../../extension/src/engine/summarise/dicomTerms';
import type { LabelsFile } from '../../extension/src/engine/types';

const REPO = path.resolve(__dirname, '../..');
const REGIONS_MD = path.resolve(REPO, '../shared/REGIONS.md');
const labelsFile: LabelsFile = JSON.parse(fs.readFileSync(path.join(REPO, 'models/labels.json'), 'utf8'));

interface RegionRow {
  id: number;
  label: string;
  bodyPartExamined: string | null;
  snomed: string | null;
  modalities: string[];
}

function readRegionsTable(): { rows: RegionRow[]; text: string } {
  if (!fs.existsSync(REGIONS_MD)) {
    throw new Error(`label contract not found at ${REGIONS_MD} (expected ../shared/REGIONS.md next to the repository)`);
  }
  const text = fs.readFileSync(REGIONS_MD, 'utf8');
  const rows = text
    .split('\n')
    .filter((line) => /^\|\s*\d+\s*\|/.test(line))
    .map((line) => {
      const cells = line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
      const none = (v: string) => (v === '(none)' ? null : v);
      return {
        id: Number(cells[0]),
        label: cells[1],
        bodyPartExamined: none(cells[2]),
        snomed: none(cells[3]),
        modalities: [cells[4] === 'x' ? 'CT' : '', cells[5] === 'x' ? 'MR' : ''].filter(Boolean),
      };
    });
  return { rows, text };
}

describe('models/labels.json against the label contract (../shared/REGIONS.md)', () => {
  const { rows, text } = readRegionsTable();

  test('REGIONS.md has the 20-row table', () => {
    expect(rows).toHaveLength(20);
  });

  test('ids, names, BodyPartExamined, SNOMED and modalities match row by row', () => {
    expect(labelsFile.labels).toHaveLength(rows.length);
    rows.forEach((row, i) => {
      const label = labelsFile.labels[i];
      expect({
        id: label.id,
        name: label.name,
        bpe: label.bodyPartExamined,
        snomed: label.snomed?.code ?? null,
        modalities: label.modalities,
      }).toEqual({
        id: row.id,
        name: row.label,
        bpe: row.bodyPartExamined,
        snomed: row.snomed,
        modalities: row.modalities,
      });
      expect(label.snomed?.scheme ?? 'SCT').toBe('SCT');
    });
  });

  test('combined Annex L terms and codes match the prose of REGIONS.md', () => {
    for (const c of labelsFile.combinations) {
      expect(text).toContain(`${c.bodyPartExamined} ${c.snomed.code}`);
    }
    const named = [...text.matchAll(/\b([A-Z]{6,}) (\d{6,})\b/g)].map((m) => m[1]);
    expect(labelsFile.combinations.map((c) => c.bodyPartExamined).sort()).toEqual(named.sort());
  });
});

describe('engine tables agree with models/labels.json', () => {
  const names = labelsFile.labels.map((l) => l.name);

  test('dicomTerms copies labels.json exactly', () => {
    for (const label of labelsFile.labels) {
      const term = REGION_TERMS[label.name];
      if (label.bodyPartExamined === null) expect(term).toBeNull();
      else expect(term).toEqual({ bodyPartExamined: label.bodyPartExamined, snomed: label.snomed });
    }
    expect(Object.keys(REGION_TERMS).sort()).toEqual([...names].sort());
    expect(COMBINED_TERMS.map((c) => ({ bodyPartExamined: c.bodyPartExamined, snomed: c.snomed, regions: c.regions }))).toEqual(
      labelsFile.combinations.map((c) => ({ bodyPartExamined: c.bodyPartExamined, snomed: c.snomed, regions: c.regions })),
    );
  });

  test('anatomy table covers every label and names no other', () => {
    expect([...ANATOMICAL_ORDER].sort()).toEqual([...names].sort());
    expect(Object.keys(REGION_LENGTH_MM).sort()).toEqual([...names].sort());
    for (const [a, b] of REGION_ADJACENCY) {
      expect(names).toContain(a);
      expect(names).toContain(b);
    }
    // Every region except OTHER (reachable from anything) has a neighbour.
    for (const name of names.filter((n) => n !== 'OTHER')) {
      expect(REGION_ADJACENCY.some(([a, b]) => a === name || b === name)).toBe(true);
    }
  });
});
