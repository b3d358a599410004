/**
 * Reads a data set in the shared format (`../shared/data/README.md`): a modality folder holds
 * `series.csv`, `labels.csv` (id,first,last,label; inclusive slice ranges) and `volumes/<id>.nii.gz`.
 * `--data` may name such a folder or a root holding `ct/` and `mr/` folders (the held-out test set
 * comes in the same layout). Node only.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { parse } from 'csv-parse';

export interface SeriesRecord {
  id: string;
  modality: string;
  subject: string;
  source: string;
  manufacturer: string;
  model: string;
  institution: string;
  orientation: string;
  slices: number;
  rows: number;
  cols: number;
  /** Pixel spacing (mm) between rows and between columns, null when unknown. */
  rowMm: number | null;
  colMm: number | null;
  sliceMm: number | null;
  split: string;
  /** slice-stack | single | negative */
  kind: string;
  notes: string;
  /** The DICOM BodyPartExamined tag, when the table has a column for it (else undefined). */
  bodyPartExamined?: string;
  volumePath: string;
  /** Truth per slice index (length = slices). */
  sliceLabels: string[];
}

export interface Dataset {
  /** Modality folders read, absolute. */
  folders: string[];
  series: SeriesRecord[];
  /** Whether any series.csv has a BodyPartExamined column. */
  hasBodyPartExamined: boolean;
}

type CsvRow = Record<string, string>;

export async function readCsv(file: string): Promise<CsvRow[]> {
  const text = await fs.readFile(file, 'utf8');
  return new Promise((resolve, reject) => {
    parse(text, { columns: true, skip_empty_lines: true, trim: false }, (err, records: CsvRow[]) => {
      if (err) reject(new Error(`${file}: ${err.message}`));
      else resolve(records);
    });
  });
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/** The modality folders under `dir`: itself if it holds series.csv, else its ct/ and mr/ (or any subfolder with one). */
export async function findModalityFolders(dir: string): Promise<string[]> {
  const root = path.resolve(dir);
  if (await exists(path.join(root, 'series.csv'))) return [root];
  const entries = await fs.readdir(root, { withFileTypes: true });
  const folders: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isDirectory() && (await exists(path.join(root, e.name, 'series.csv')))) folders.push(path.join(root, e.name));
  }
  if (folders.length === 0) throw new Error(`${root}: no series.csv here nor in any subfolder (expected ct/ and mr/)`);
  return folders;
}

const BODY_PART_COLUMNS = ['body_part_examined', 'bodypartexamined', 'body_part', 'BodyPartExamined'];

function numberOrNull(value: string | undefined): number | null {
  if (value === undefined || value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** Expands labels.csv ranges into one label per slice; throws on gaps, overlaps or ranges out of bounds. */
export function sliceLabelsFromRanges(
  id: string,
  slices: number,
  ranges: readonly { first: number; last: number; label: string }[],
): string[] {
  const labels = new Array<string | undefined>(slices).fill(undefined);
  for (const r of ranges) {
    if (!(r.first >= 0 && r.last >= r.first && r.last < slices)) {
      throw new Error(`${id}: label range ${r.first}..${r.last} outside 0..${slices - 1}`);
    }
    for (let k = r.first; k <= r.last; k++) {
      if (labels[k] !== undefined) throw new Error(`${id}: slice ${k} labelled twice`);
      labels[k] = r.label;
    }
  }
  const missing = labels.findIndex((l) => l === undefined);
  if (missing >= 0) throw new Error(`${id}: slice ${missing} has no label`);
  return labels as string[];
}

export async function readModalityFolder(folder: string): Promise<{ series: SeriesRecord[]; hasBodyPartExamined: boolean }> {
  const seriesRows = await readCsv(path.join(folder, 'series.csv'));
  const labelRows = await readCsv(path.join(folder, 'labels.csv'));
  const rangesById = new Map<string, { first: number; last: number; label: string }[]>();
  for (const r of labelRows) {
    const list = rangesById.get(r.id) ?? [];
    list.push({ first: Number(r.first), last: Number(r.last), label: r.label });
    rangesById.set(r.id, list);
  }
  const bodyPartColumn = seriesRows.length > 0 ? BODY_PART_COLUMNS.find((c) => c in seriesRows[0]) : undefined;
  const series = seriesRows.map((r): SeriesRecord => {
    const slices = Number(r.slices);
    return {
      id: r.id,
      modality: r.modality,
      subject: r.subject || r.id,
      source: r.source ?? '',
      manufacturer: r.manufacturer ?? '',
      model: r.model ?? '',
      institution: r.institution ?? '',
      orientation: r.orientation ?? '',
      slices,
      rows: Number(r.rows),
      cols: Number(r.cols),
      rowMm: numberOrNull(r.row_mm),
      colMm: numberOrNull(r.col_mm),
      sliceMm: numberOrNull(r.slice_mm),
      // A held-out set may come without a split column: its rows are the test split.
      split: r.split || 'test',
      kind: r.kind ?? '',
      notes: r.notes ?? '',
      bodyPartExamined: bodyPartColumn ? (r[bodyPartColumn] ?? '') : undefined,
      volumePath: path.join(folder, 'volumes', `${r.id}.nii.gz`),
      sliceLabels: sliceLabelsFromRanges(r.id, slices, rangesById.get(r.id) ?? []),
    };
  });
  return { series, hasBodyPartExamined: bodyPartColumn !== undefined };
}

export async function readDataset(dir: string): Promise<Dataset> {
  const folders = await findModalityFolders(dir);
  const series: SeriesRecord[] = [];
  let hasBodyPartExamined = false;
  for (const folder of folders) {
    const part = await readModalityFolder(folder);
    series.push(...part.series);
    hasBodyPartExamined ||= part.hasBodyPartExamined;
  }
  return { folders, series, hasBodyPartExamined };
}

/** Keeps the series of one split ('all' keeps every split) and, optionally, one modality and listed ids. */
export function selectSeries(
  series: readonly SeriesRecord[],
  filter: { split: string; modality?: string; ids?: readonly string[] },
): SeriesRecord[] {
  const ids = filter.ids && filter.ids.length > 0 ? new Set(filter.ids) : null;
  return series.filter(
    (s) =>
      (filter.split === 'all' || s.split === filter.split) &&
      (!filter.modality || s.modality.toUpperCase() === filter.modality.toUpperCase()) &&
      (!ids || ids.has(s.id)),
  );
}
