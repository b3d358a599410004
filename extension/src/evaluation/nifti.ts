/**
 * NIfTI-1 volumes of the shared data set as DICOM display frames. Node only (fs, zlib).
 *
 * Slice k of a volume is `volume[:, :, k]` with array axis 0 running along the DICOM columns, so the
 * display frame is `volume[:, :, k].T` (models/PREPROCESSING.md). NIfTI stores axis 0 fastest, so
 * that transposed frame is exactly the k-th contiguous block of nx × ny values, read row by row
 * with rows = ny and columns = nx.
 */
import { promises as fs } from 'fs';
import { gunzipSync } from 'zlib';
import type * as NiftiReader from 'nifti-reader-js';
import type { PixelFrame } from '../engine/types';

/**
 * nifti-reader-js ships as an ES module only (its exports map has no "require" condition), so this
 * CommonJS build loads it with a native dynamic import that TypeScript leaves untouched.
 */
const nativeImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;
let reader: Promise<typeof NiftiReader> | null = null;
function niftiReader(): Promise<typeof NiftiReader> {
  reader ??= nativeImport('nifti-reader-js') as Promise<typeof NiftiReader>;
  return reader;
}

export interface Volume {
  /** In-plane size of the display frame. */
  rows: number;
  columns: number;
  slices: number;
  /** Spacing between slices (mm), from pixdim[3]. */
  sliceSpacingMm: number;
  /** Modality LUT from scl_slope / scl_inter (1 and 0 when the header leaves them unset). */
  rescaleSlope: number;
  rescaleIntercept: number;
  data: Int16Array | Uint8Array | Int8Array | Uint16Array | Int32Array | Float32Array;
}

const NIFTI_TYPES: Record<number, (b: ArrayBuffer) => Volume['data']> = {
  2: (b) => new Uint8Array(b),
  4: (b) => new Int16Array(b),
  8: (b) => new Int32Array(b),
  16: (b) => new Float32Array(b),
  256: (b) => new Int8Array(b),
  512: (b) => new Uint16Array(b),
};

function toArrayBuffer(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

export async function parseNifti(bytes: Buffer): Promise<Volume> {
  const nifti = await niftiReader();
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  const buffer = toArrayBuffer(raw);
  if (!nifti.isNIFTI(buffer)) throw new Error('not a NIfTI file');
  const header = nifti.readHeader(buffer);
  if (!header.littleEndian) throw new Error('big-endian NIfTI is not supported');
  const make = NIFTI_TYPES[header.datatypeCode];
  if (!make) throw new Error(`NIfTI datatype ${header.datatypeCode} is not supported`);
  const [, nx, ny, nzRaw] = header.dims;
  const nz = header.dims[0] >= 3 ? nzRaw : 1;
  const image = nifti.readImage(header, buffer);
  const data = make(image.slice(0, nx * ny * nz * (header.numBitsPerVoxel / 8)));
  const slope = header.scl_slope;
  const useScale = Number.isFinite(slope) && slope !== 0;
  return {
    rows: ny,
    columns: nx,
    slices: nz,
    sliceSpacingMm: header.pixDims[3] > 0 ? header.pixDims[3] : 1,
    rescaleSlope: useScale ? slope : 1,
    rescaleIntercept: useScale && Number.isFinite(header.scl_inter) ? header.scl_inter : 0,
    data,
  };
}

export async function readNiftiVolume(file: string): Promise<Volume> {
  try {
    return await parseNifti(await fs.readFile(file));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

/** Display frame of slice k (a view on the volume's buffer, no copy). */
export function displayFrame(volume: Volume, k: number): PixelFrame {
  if (k < 0 || k >= volume.slices) throw new Error(`slice ${k} outside 0..${volume.slices - 1}`);
  const n = volume.rows * volume.columns;
  return { rows: volume.rows, columns: volume.columns, data: volume.data.subarray(k * n, (k + 1) * n) };
}

/** Positions of the slices along the normal (mm), index 0 first: k × spacing. */
export function slicePositionsMm(volume: Volume): number[] {
  return Array.from({ length: volume.slices }, (_, k) => k * volume.sliceSpacingMm);
}
