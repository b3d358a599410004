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
import type { PixelFrame } from '../engine/types';

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

/**
 * Reads a NIfTI-1 file (optionally gzip). Only the header fields the evaluation needs are read, at
 * their fixed offsets in the 348-byte header. (nifti-reader-js was tried first: it ships as an ES
 * module only, and jest's CommonJS runtime cannot load it in more than one test file per run.)
 */
export async function parseNifti(bytes: Buffer): Promise<Volume> {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  if (raw.length < 352) throw new Error('not a NIfTI file (shorter than a NIfTI-1 header)');
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (view.getInt32(0, true) !== 348) {
    throw new Error(view.getInt32(0, false) === 348 ? 'big-endian NIfTI is not supported' : 'not a NIfTI file');
  }
  const magic = raw.toString('latin1', 344, 347);
  if (magic !== 'n+1' && magic !== 'ni1') throw new Error('not a NIfTI file (no NIfTI-1 magic)');
  const dims = Array.from({ length: 8 }, (_, i) => view.getInt16(40 + 2 * i, true));
  const datatypeCode = view.getInt16(70, true);
  const bitsPerVoxel = view.getInt16(72, true);
  const sliceSpacing = view.getFloat32(76 + 4 * 3, true);
  const voxOffset = Math.max(352, Math.round(view.getFloat32(108, true)));
  const slope = view.getFloat32(112, true);
  const intercept = view.getFloat32(116, true);
  const make = NIFTI_TYPES[datatypeCode];
  if (!make) throw new Error(`NIfTI datatype ${datatypeCode} is not supported`);
  const [, nx, ny, nzRaw] = dims;
  const nz = dims[0] >= 3 ? nzRaw : 1;
  const byteLength = nx * ny * nz * (bitsPerVoxel / 8);
  if (voxOffset + byteLength > raw.length) throw new Error('NIfTI file is truncated');
  const data = make(toArrayBuffer(raw.subarray(voxOffset, voxOffset + byteLength)));
  const useScale = Number.isFinite(slope) && slope !== 0;
  return {
    rows: ny,
    columns: nx,
    slices: nz,
    sliceSpacingMm: sliceSpacing > 0 ? sliceSpacing : 1,
    rescaleSlope: useScale ? slope : 1,
    rescaleIntercept: useScale && Number.isFinite(intercept) ? intercept : 0,
    data,
  };
}

export async function readNiftiVolume(file: string): Promise<Volume> {
  try {
    return await parseNifti(await fs.readFile(file));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`, { cause: e });
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
