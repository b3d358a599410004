import type { FrameMeta, PixelFrame } from '../types';

/** Versions of models/PREPROCESSING.md this file implements; a model names one in model.json. */
export const PREPROCESSING_VERSIONS = ['br-pre-1', 'br-pre-2'] as const;
export type PreprocessingVersion = (typeof PREPROCESSING_VERSIONS)[number];

/** The newest version (what new models are trained with). */
export const PREPROCESSING_VERSION: PreprocessingVersion = 'br-pre-2';

/** br-pre-2: the width of one output pixel in mm (128 px = 448 mm). */
export const MM_PER_PIXEL = 3.5;

export function isPreprocessingVersion(v: unknown): v is PreprocessingVersion {
  return (PREPROCESSING_VERSIONS as readonly unknown[]).includes(v);
}

/** CT windows in Hounsfield units, one per channel (PREPROCESSING.md step 5). */
export const CT_WINDOWS: ReadonlyArray<readonly [number, number]> = [
  [-1000, 1000],
  [-160, 240],
  [0, 1500],
];

export type PreprocessMeta = Pick<FrameMeta, 'modality' | 'rescaleSlope' | 'rescaleIntercept' | 'photometricInterpretation'> &
  Partial<Pick<FrameMeta, 'pixelSpacing'>>;

/** Source indices and weights of a 1-D bilinear resize with half-pixel centres (align_corners=False). */
interface ResizeAxis {
  i0: Int32Array;
  i1: Int32Array;
  w: Float32Array;
}

const axisCache = new Map<string, ResizeAxis>();

/** PyTorch's upsample_bilinear2d index arithmetic, along one axis of the N × N canvas. */
export function resizeAxis(n: number, size: number): ResizeAxis {
  const key = `${n}:${size}`;
  let axis = axisCache.get(key);
  if (axis) return axis;
  axis = { i0: new Int32Array(size), i1: new Int32Array(size), w: new Float32Array(size) };
  const scale = n / size;
  for (let d = 0; d < size; d++) {
    const s = Math.max((d + 0.5) * scale - 0.5, 0);
    const i0 = Math.min(Math.floor(s), n - 1);
    axis.i0[d] = i0;
    axis.i1[d] = Math.min(i0 + 1, n - 1);
    axis.w[d] = s - i0;
  }
  if (axisCache.size > 64) axisCache.clear();
  axisCache.set(key, axis);
  return axis;
}

// Scratch buffers reused between calls (one frame at a time; JS is single-threaded per worker).
let rowScratch: Float32Array = new Float32Array(0);
let resizedScratch: Float32Array = new Float32Array(0);
let sortScratch: Float32Array = new Float32Array(0);

function ensure(buffer: Float32Array, length: number): Float32Array {
  return buffer.length >= length ? buffer : new Float32Array(length);
}

/** The physical spacing br-pre-2 uses: two finite, positive values, else none (the fallback view). */
export function knownSpacing(spacing: readonly number[] | undefined): [number, number] | null {
  if (!spacing || spacing.length < 2) return null;
  const [r, c] = spacing;
  return Number.isFinite(r) && r > 0 && Number.isFinite(c) && c > 0 ? [r, c] : null;
}

/** A 1-D sampling axis: source index of the lower tap, the upper tap's weight, per output index. */
interface SampleAxis {
  i0: Int32Array;
  w: Float32Array;
}

/** br-pre-2 step 3 along one axis: output pixel d is `mmPerPixel` wide, centred on the frame centre. */
function physicalAxis(n: number, spacing: number, size: number): SampleAxis {
  const axis = { i0: new Int32Array(size), w: new Float32Array(size) };
  for (let d = 0; d < size; d++) {
    const s = (n - 1) / 2 + ((d + 0.5 - size / 2) * MM_PER_PIXEL) / spacing;
    const i0 = Math.floor(s);
    axis.i0[d] = i0;
    axis.w[d] = s - i0;
  }
  return axis;
}

/**
 * Turns one frame's stored pixels into the model's 3 × size × size float32 input
 * (models/PREPROCESSING.md, `version`), written at `out[offset ...]`.
 *
 * The modality LUT and the MONOCHROME1 inversion are linear, as is bilinear interpolation, so the
 * stored values are resampled first and mapped afterwards: size² multiplications instead of rows × columns.
 * Padding is virtual: positions outside the frame read the stored value that maps to the frame's minimum.
 */
export function preprocessFrame(
  pixels: PixelFrame,
  meta: PreprocessMeta,
  size: number,
  out?: Float32Array,
  offset = 0,
  version: PreprocessingVersion = 'br-pre-1',
): Float32Array {
  const { rows, columns, data } = pixels;
  if (!(rows > 0 && columns > 0) || data.length < rows * columns) {
    throw new Error(`preprocessFrame: ${rows}×${columns} frame with ${data.length} samples`);
  }
  const plane = size * size;
  const target = out ?? new Float32Array(3 * plane);
  if (target.length < offset + 3 * plane) throw new Error('preprocessFrame: output buffer too small');

  const isCT = meta.modality.toUpperCase() === 'CT';
  const invert = !isCT && meta.photometricInterpretation.toUpperCase() === 'MONOCHROME1';
  const slope = (Number.isFinite(meta.rescaleSlope) && meta.rescaleSlope !== 0 ? meta.rescaleSlope : 1) * (invert ? -1 : 1);
  const intercept = (Number.isFinite(meta.rescaleIntercept) ? meta.rescaleIntercept : 0) * (invert ? -1 : 1);

  // The stored value whose mapped value is the frame's minimum pads the canvas.
  let lo = Infinity;
  let hi = -Infinity;
  const count = rows * columns;
  for (let i = 0; i < count; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const pad = slope > 0 ? lo : hi;

  const spacing = version === 'br-pre-2' ? knownSpacing(meta.pixelSpacing) : null;
  const resized = spacing ? physicalView(pixels, pad, size, spacing, slope, intercept) : squareView(pixels, pad, size, slope, intercept);
  return writeChannels(resized, isCT, size, target, offset);
}

/** br-pre-1 steps 3-4 (also br-pre-2 without a pixel spacing): pad to square, bilinear resize. */
function squareView(pixels: PixelFrame, pad: number, size: number, slope: number, intercept: number): Float32Array {
  const { rows, columns, data } = pixels;
  const plane = size * size;
  const n = Math.max(rows, columns);
  const top = Math.floor((n - rows) / 2);
  const left = Math.floor((n - columns) / 2);
  const axis = resizeAxis(n, size);

  // Horizontal pass for each frame row the vertical pass needs, into rowScratch[row * size + d].
  rowScratch = ensure(rowScratch, rows * size);
  const needed = new Uint8Array(rows);
  for (let d = 0; d < size; d++) {
    const r0 = axis.i0[d] - top;
    const r1 = axis.i1[d] - top;
    if (r0 >= 0 && r0 < rows) needed[r0] = 1;
    if (r1 >= 0 && r1 < rows) needed[r1] = 1;
  }
  const { i0: x0, i1: x1, w: wx } = axis;
  for (let r = 0; r < rows; r++) {
    if (!needed[r]) continue;
    const base = r * columns;
    const dst = r * size;
    for (let d = 0; d < size; d++) {
      const c0 = x0[d] - left;
      const c1 = x1[d] - left;
      const a = c0 >= 0 && c0 < columns ? data[base + c0] : pad;
      const b = c1 >= 0 && c1 < columns ? data[base + c1] : pad;
      const w = wx[d];
      rowScratch[dst + d] = (1 - w) * a + w * b;
    }
  }

  // Vertical pass, then the modality LUT: resized modality values of the whole canvas.
  resizedScratch = ensure(resizedScratch, plane);
  const resized = resizedScratch;
  for (let d = 0; d < size; d++) {
    const r0 = axis.i0[d] - top;
    const r1 = axis.i1[d] - top;
    const in0 = r0 >= 0 && r0 < rows;
    const in1 = r1 >= 0 && r1 < rows;
    const w = axis.w[d];
    const dst = d * size;
    for (let e = 0; e < size; e++) {
      const a = in0 ? rowScratch[r0 * size + e] : pad;
      const b = in1 ? rowScratch[r1 * size + e] : pad;
      resized[dst + e] = ((1 - w) * a + w * b) * slope + intercept;
    }
  }
  return resized;
}

/** br-pre-2 step 3: bilinear samples on a size × size grid of MM_PER_PIXEL mm around the frame centre. */
function physicalView(
  pixels: PixelFrame,
  pad: number,
  size: number,
  [rowSpacing, columnSpacing]: [number, number],
  slope: number,
  intercept: number,
): Float32Array {
  const { rows, columns, data } = pixels;
  const plane = size * size;
  const ys = physicalAxis(rows, rowSpacing, size);
  const xs = physicalAxis(columns, columnSpacing, size);
  const at = (r: number, c: number) => (r >= 0 && r < rows && c >= 0 && c < columns ? data[r * columns + c] : pad);

  // Horizontal pass: rowScratch[d * 2 + k][e] holds frame row ys.i0[d] + k sampled at output column e.
  rowScratch = ensure(rowScratch, 2 * plane);
  for (let d = 0; d < size; d++) {
    for (let k = 0; k < 2; k++) {
      const r = ys.i0[d] + k;
      const dst = (d * 2 + k) * size;
      for (let e = 0; e < size; e++) {
        const c0 = xs.i0[e];
        const w = xs.w[e];
        rowScratch[dst + e] = (1 - w) * at(r, c0) + w * at(r, c0 + 1);
      }
    }
  }
  resizedScratch = ensure(resizedScratch, plane);
  const resized = resizedScratch;
  for (let d = 0; d < size; d++) {
    const w = ys.w[d];
    const a = d * 2 * size;
    const b = a + size;
    for (let e = 0; e < size; e++) {
      resized[d * size + e] = ((1 - w) * rowScratch[a + e] + w * rowScratch[b + e]) * slope + intercept;
    }
  }
  return resized;
}

/** Step 5: CT windows, or per-image percentile normalisation for every other modality. */
function writeChannels(resized: Float32Array, isCT: boolean, size: number, target: Float32Array, offset: number): Float32Array {
  const plane = size * size;
  if (isCT) {
    for (let c = 0; c < 3; c++) {
      const [wlo, whi] = CT_WINDOWS[c];
      const scale = 1 / (whi - wlo);
      const base = offset + c * plane;
      for (let i = 0; i < plane; i++) {
        const v = (resized[i] - wlo) * scale;
        target[base + i] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
    return target;
  }

  sortScratch = ensure(sortScratch, plane);
  const sorted = sortScratch.subarray(0, plane);
  sorted.set(resized.subarray(0, plane));
  sorted.sort();
  const p1 = sorted[Math.floor(0.01 * (plane - 1))];
  const p99 = sorted[Math.floor(0.99 * (plane - 1))];
  if (!(p99 > p1)) {
    target.fill(0, offset, offset + 3 * plane);
    return target;
  }
  const scale = 1 / (p99 - p1);
  for (let i = 0; i < plane; i++) {
    const v = (resized[i] - p1) * scale;
    target[offset + i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  target.copyWithin(offset + plane, offset, offset + plane);
  target.copyWithin(offset + 2 * plane, offset, offset + plane);
  return target;
}
