/**
 * Small labelled data sets in the shared format (series.csv, labels.csv, volumes/*.nii.gz) written
 * to a temp folder, for the evaluation, adapt and build-replay commands.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';

/** A minimal NIfTI-1 (.nii) file: int16 voxels, value(i, j, k) given by `value`. */
export function niftiBytes(nx: number, ny: number, nz: number, dz: number, value: (i: number, j: number, k: number) => number): Buffer {
  const header = Buffer.alloc(352);
  header.writeInt32LE(348, 0);
  [3, nx, ny, nz, 1, 1, 1, 1].forEach((d, i) => header.writeInt16LE(d, 40 + 2 * i));
  header.writeInt16LE(4, 70); // datatype int16
  header.writeInt16LE(16, 72); // bitpix
  [1, 0.5, 0.5, dz, 1, 1, 1, 1].forEach((p, i) => header.writeFloatLE(p, 76 + 4 * i));
  header.writeFloatLE(352, 108); // vox_offset
  header.write('n+1\0', 344, 'latin1');
  const data = Buffer.alloc(2 * nx * ny * nz);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) data.writeInt16LE(value(i, j, k), 2 * (i + nx * (j + ny * k)));
  return Buffer.concat([header, data]);
}

export const SERIES_CSV_HEADER =
  'id,modality,subject,source,source_path,license,manufacturer,model,institution,orientation,slices,rows,cols,row_mm,col_mm,slice_mm,split,kind,notes';

export interface SyntheticSeries {
  id: string;
  subject: string;
  source: string;
  split: string;
  /** Per slice: the HU value of the (uniform) slice and its true label. */
  slices: Array<{ hu: number; label: string }>;
}

/** Writes one CT modality folder (`<root>/ct`) with axial 8 × 8 uniform slices, 5 mm apart. */
export async function writeCtDataset(root: string, series: SyntheticSeries[]): Promise<string> {
  const folder = path.join(root, 'ct');
  await fs.mkdir(path.join(folder, 'volumes'), { recursive: true });
  const rows = [SERIES_CSV_HEADER];
  const labels = ['id,first,last,label'];
  for (const s of series) {
    rows.push(`${s.id},CT,${s.subject},${s.source},p,lic,GE,m,i,axial,${s.slices.length},8,8,0.5,0.5,5,${s.split},slice-stack,HU`);
    s.slices.forEach((slice, k) => labels.push(`${s.id},${k},${k},${slice.label}`));
    const nifti = niftiBytes(8, 8, s.slices.length, 5, (_i, _j, k) => s.slices[k].hu);
    await fs.writeFile(path.join(folder, 'volumes', `${s.id}.nii.gz`), gzipSync(nifti));
  }
  await fs.writeFile(path.join(folder, 'series.csv'), rows.join('\n') + '\n');
  await fs.writeFile(path.join(folder, 'labels.csv'), labels.join('\n') + '\n');
  return folder;
}
