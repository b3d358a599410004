/**
 * A whole-body CT series built from real volumes of the shared data set (never copied into the
 * repository): several NIfTI stacks laid end to end, feet → head, resampled along z to one even
 * spacing, each slice upsampled to `matrix`² and written as signed-HU DICOM with dcmjs.
 *
 * NIfTI slice k → DICOM frame volume[:, :, k].T (rows = ny, columns = nx; see models/PREPROCESSING.md).
 * Generated files are cached under .cache/bench/ (gitignored) and reused by later runs.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'csv-parse/sync';
import { readNiftiVolume, type Volume } from '../../extension/src/evaluation/nifti';
import { SopClass, TransferSyntax, writePart10 } from '../helpers/dicomFactory';
import { CACHE_ROOT, SHARED_DATA } from './paths';

/** The shared data set beside the repository (../shared/data): read in place, never copied. */
export const SHARED_CT = path.join(SHARED_DATA, 'ct');
/** Bump when the way stacks are built changes, so stale caches are not reused. */
const GENERATOR_VERSION = 'wb-1';

/** One source volume and the inclusive slice range it contributes, in anatomical order (index 0 = inferior). */
export interface StackPart {
  id: string;
  first?: number;
  last?: number;
}

/** Feet → head. Real anatomy from six subjects; each part keeps its true length in mm. */
export const WHOLE_BODY_PARTS: StackPart[] = [
  { id: 'vhf_feet', first: 1, last: 49 }, // FOOT, ANKLE (slice 0 is an OTHER slice)
  { id: 'vhf_legs' }, // ANKLE, LOWER_LEG, KNEE
  { id: 'ibsi_sts_009_ct' }, // THIGH
  { id: 'ts_abdpelvis' }, // PELVIS, ABDOMEN
  { id: 'elastix_chest', first: 0, last: 121 }, // ABDOMEN, CHEST
  { id: 'vhm_headneck' }, // NECK, HEAD
];

interface SeriesRow {
  id: string;
  rows: string;
  cols: string;
  row_mm: string;
  col_mm: string;
  slice_mm: string;
}

export interface WholeBodyManifest {
  key: string;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  slices: number;
  matrix: number;
  spacingMm: number;
  /** SOP instance UID of each slice, anatomical order (index 0 = most inferior). */
  sopInstanceUIDs: string[];
  /** Reference label of each slice from the data set's labels.csv (context only; not the model's map). */
  truth: string[];
  /** Which source volume each slice came from. */
  sources: string[];
  files: string[];
}

export interface WholeBodyOptions {
  slices: number;
  matrix: number;
  parts?: StackPart[];
  cacheRoot?: string;
  onProgress?: (done: number, total: number) => void;
}

function readCsv<T>(file: string): T[] {
  return parse(fs.readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as T[];
}

/** Deterministic UID under 2.25 from a text key, so cached files and the archive agree across runs. */
export function uidFromKey(key: string): string {
  const hex = createHash('sha256').update(key).digest('hex').slice(0, 30);
  return `2.25.${BigInt(`0x${hex}`).toString()}`;
}

/** Labels of every slice of one volume, from labels.csv (id,first,last,label). */
function volumeLabels(rows: Array<{ id: string; first: string; last: string; label: string }>, id: string, slices: number): string[] {
  const labels = new Array<string>(slices).fill('?');
  for (const r of rows) if (r.id === id) for (let k = Number(r.first); k <= Number(r.last); k++) labels[k] = r.label;
  return labels;
}

/** The frame of slice k (rows × columns, row-major) padded to a square of air and resized bilinearly to matrix². */
export function resliceToMatrix(volume: Volume, k: number, matrix: number): Int16Array {
  const { rows, columns } = volume;
  const n = Math.max(rows, columns);
  const top = Math.floor((n - rows) / 2);
  const left = Math.floor((n - columns) / 2);
  const base = k * rows * columns;
  const hu = (r: number, c: number): number => {
    const rr = r - top;
    const cc = c - left;
    if (rr < 0 || cc < 0 || rr >= rows || cc >= columns) return -1024;
    return volume.data[base + rr * columns + cc] * volume.rescaleSlope + volume.rescaleIntercept;
  };
  const out = new Int16Array(matrix * matrix);
  const scale = n / matrix;
  for (let y = 0; y < matrix; y++) {
    const sy = Math.max(0, (y + 0.5) * scale - 0.5);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, n - 1);
    const wy = sy - y0;
    for (let x = 0; x < matrix; x++) {
      const sx = Math.max(0, (x + 0.5) * scale - 0.5);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, n - 1);
      const wx = sx - x0;
      const v = (1 - wy) * ((1 - wx) * hu(y0, x0) + wx * hu(y0, x1)) + wy * ((1 - wx) * hu(y1, x0) + wx * hu(y1, x1));
      out[y * matrix + x] = Math.max(-1024, Math.min(3071, Math.round(v)));
    }
  }
  return out;
}

/** Builds (or reuses from the cache) the whole-body series; returns its manifest with file paths. */
export async function buildWholeBodyStack(options: WholeBodyOptions): Promise<WholeBodyManifest> {
  const parts = options.parts ?? WHOLE_BODY_PARTS;
  const key = `${GENERATOR_VERSION}-n${options.slices}-m${options.matrix}-${parts.map((p) => `${p.id}:${p.first ?? ''}:${p.last ?? ''}`).join(',')}`;
  const dir = path.join(options.cacheRoot ?? CACHE_ROOT, `wholebody-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`);
  const manifestFile = path.join(dir, 'manifest.json');
  if (fs.existsSync(manifestFile)) {
    const cached = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as WholeBodyManifest;
    if (cached.key === key && cached.files.every((f) => fs.existsSync(path.join(dir, f)))) {
      return { ...cached, files: cached.files.map((f) => path.join(dir, f)) };
    }
  }
  fs.mkdirSync(dir, { recursive: true });

  const series = new Map(readCsv<SeriesRow>(path.join(SHARED_CT, 'series.csv')).map((r) => [r.id, r]));
  const labelRows = readCsv<{ id: string; first: string; last: string; label: string }>(path.join(SHARED_CT, 'labels.csv'));
  const volumes: Array<{
    part: StackPart;
    volume: Volume;
    first: number;
    last: number;
    sliceMm: number;
    fovMm: number;
    labels: string[];
    startMm: number;
    lengthMm: number;
  }> = [];
  let total = 0;
  for (const part of parts) {
    const row = series.get(part.id);
    if (!row) throw new Error(`${part.id} is not in ${SHARED_CT}/series.csv`);
    const volume = await readNiftiVolume(path.join(SHARED_CT, 'volumes', `${part.id}.nii.gz`));
    const first = part.first ?? 0;
    const last = part.last ?? volume.slices - 1;
    const sliceMm = Number(row.slice_mm);
    const lengthMm = (last - first + 1) * sliceMm;
    const fovMm = Math.max(volume.rows * Number(row.row_mm), volume.columns * Number(row.col_mm));
    volumes.push({
      part,
      volume,
      first,
      last,
      sliceMm,
      fovMm,
      labels: volumeLabels(labelRows, part.id, volume.slices),
      startMm: total,
      lengthMm,
    });
    total += lengthMm;
  }
  // True anatomical lengths: the spacing follows from the number of slices asked for.
  const spacingMm = total / options.slices;
  const studyInstanceUID = uidFromKey(`${key}/study`);
  const seriesInstanceUID = uidFromKey(`${key}/series`);
  const manifest: WholeBodyManifest = {
    key,
    studyInstanceUID,
    seriesInstanceUID,
    slices: options.slices,
    matrix: options.matrix,
    spacingMm,
    sopInstanceUIDs: [],
    truth: [],
    sources: [],
    files: [],
  };
  for (let j = 0; j < options.slices; j++) {
    const zMm = (j + 0.5) * spacingMm;
    const v = volumes.find((p) => zMm < p.startMm + p.lengthMm) ?? volumes[volumes.length - 1];
    const k = Math.min(v.last, v.first + Math.floor((zMm - v.startMm) / v.sliceMm));
    const pixels = resliceToMatrix(v.volume, k, options.matrix);
    const pixelMm = v.fovMm / options.matrix;
    const sopInstanceUID = uidFromKey(`${key}/sop/${j}`);
    const bytes = writePart10(
      {
        PatientName: 'Bench^WholeBody',
        PatientID: 'BENCH-1',
        PatientBirthDate: '',
        PatientSex: 'O',
        StudyInstanceUID: studyInstanceUID,
        SeriesInstanceUID: seriesInstanceUID,
        StudyDate: '20260101',
        StudyTime: '120000',
        StudyID: '1',
        AccessionNumber: '',
        ReferringPhysicianName: '',
        Modality: 'CT',
        Manufacturer: 'body-region benchmark',
        SeriesDescription: 'WB CT benchmark',
        SeriesNumber: 1,
        // Instance numbers run head → feet, as a scanner's whole-body series would.
        InstanceNumber: options.slices - j,
        SOPClassUID: SopClass.ct,
        SOPInstanceUID: sopInstanceUID,
        ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
        SamplesPerPixel: 1,
        PhotometricInterpretation: 'MONOCHROME2',
        Rows: options.matrix,
        Columns: options.matrix,
        BitsAllocated: 16,
        BitsStored: 16,
        HighBit: 15,
        PixelRepresentation: 1,
        ImagePositionPatient: [-v.fovMm / 2, -v.fovMm / 2, Math.round(zMm * 1000) / 1000],
        ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
        PixelSpacing: [pixelMm, pixelMm],
        SliceThickness: Math.round(spacingMm * 1000) / 1000,
        RescaleIntercept: 0,
        RescaleSlope: 1,
        RescaleType: 'HU',
        PixelData: pixels.buffer,
        _vrMap: { PixelData: 'OW' },
      },
      TransferSyntax.explicit,
    );
    const file = `${String(j).padStart(5, '0')}.dcm`;
    fs.writeFileSync(path.join(dir, file), bytes);
    manifest.sopInstanceUIDs.push(sopInstanceUID);
    manifest.truth.push(v.labels[k]);
    manifest.sources.push(v.part.id);
    manifest.files.push(file);
    options.onProgress?.(j + 1, options.slices);
  }
  fs.writeFileSync(manifestFile, JSON.stringify(manifest));
  return { ...manifest, files: manifest.files.map((f) => path.join(dir, f)) };
}
