import * as fs from 'fs';
import * as path from 'path';
import {
  MM_PER_PIXEL,
  preprocessFrame,
  resizeAxis,
  type PreprocessingVersion,
} from '../../extension/src/engine/preprocess/preprocessFrame';
import type { PixelFrame } from '../../extension/src/engine/types';

const GOLDEN = path.join(__dirname, '../../models/golden/preprocess.json');
const CT = { modality: 'CT', rescaleSlope: 1, rescaleIntercept: 0, photometricInterpretation: 'MONOCHROME2' };
const MR = { modality: 'MR', rescaleSlope: 1, rescaleIntercept: 0, photometricInterpretation: 'MONOCHROME2' };

function frame(rows: number, columns: number, fill: (r: number, c: number) => number): PixelFrame {
  const data = new Int16Array(rows * columns);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) data[r * columns + c] = fill(r, c);
  return { rows, columns, data };
}

describe('preprocessFrame (hand-computable properties)', () => {
  test('same size is the identity resize; CT windows clip to [0, 1]', () => {
    const values = [-2000, -1000, -160, 0, 40, 240, 1000, 1500, 3000];
    const px = frame(3, 3, (r, c) => values[r * 3 + c]);
    const out = preprocessFrame(px, CT, 3);
    const win = (v: number, lo: number, hi: number) => Math.min(1, Math.max(0, (v - lo) / (hi - lo)));
    values.forEach((v, i) => {
      expect(out[i]).toBeCloseTo(win(v, -1000, 1000), 6);
      expect(out[9 + i]).toBeCloseTo(win(v, -160, 240), 6);
      expect(out[18 + i]).toBeCloseTo(win(v, 0, 1500), 6);
    });
  });

  test('applies the modality LUT before windowing', () => {
    const px: PixelFrame = { rows: 1, columns: 1, data: new Uint16Array([1024]) };
    const out = preprocessFrame(px, { ...CT, rescaleIntercept: -1024, rescaleSlope: 1 }, 1);
    [0.5, 0.4, 0].forEach((v, i) => expect(out[i]).toBeCloseTo(v, 6));
    const scaled = preprocessFrame(
      { rows: 1, columns: 1, data: new Int16Array([100]) },
      { ...CT, rescaleSlope: 2, rescaleIntercept: 0 },
      1,
    );
    expect(scaled[2]).toBeCloseTo(200 / 1500, 6);
  });

  test('pads a wide frame top and bottom with the frame minimum', () => {
    // 2 rows × 4 columns → 4 × 4 canvas, frame at rows 1..2.
    const px = frame(2, 4, () => 1000);
    px.data[0] = -1000;
    const out = preprocessFrame(px, CT, 4);
    const ch0 = Array.from(out.subarray(0, 16));
    expect(ch0.slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(ch0.slice(4, 8)).toEqual([0, 1, 1, 1]);
    expect(ch0.slice(8, 12)).toEqual([1, 1, 1, 1]);
    expect(ch0.slice(12, 16)).toEqual([0, 0, 0, 0]);
  });

  test('pads a tall frame on the left with floor((N - columns) / 2) columns', () => {
    const px = frame(3, 2, () => 1000); // 3 × 3 canvas, left = 0, right column padded
    px.data[0] = -1000;
    const out = preprocessFrame(px, CT, 3);
    expect(Array.from(out.subarray(0, 9))).toEqual([0, 1, 0, 1, 1, 0, 1, 1, 0]);
  });

  test('half-pixel bilinear indices match PyTorch align_corners=False', () => {
    const axis = resizeAxis(4, 2); // s = (d + 0.5) * 2 - 0.5 → 0.5, 2.5
    expect(Array.from(axis.i0)).toEqual([0, 2]);
    expect(Array.from(axis.i1)).toEqual([1, 3]);
    expect(Array.from(axis.w)).toEqual([0.5, 0.5]);
    const up = resizeAxis(2, 4); // s = (d + 0.5) / 2 - 0.5 → -0.25→0, 0.25, 0.75, 1.25
    expect(Array.from(up.i0)).toEqual([0, 0, 0, 1]);
    expect(Array.from(up.i1)).toEqual([1, 1, 1, 1]);
    expect(Array.from(up.w)).toEqual([0, 0.25, 0.75, 0.25]);
    // A horizontal ramp downsampled 4 → 2 averages neighbouring pairs.
    const ramp = frame(4, 4, (_r, c) => c * 400 - 1000);
    const out = preprocessFrame(ramp, CT, 2);
    expect(out[0]).toBeCloseTo((-800 + 1000) / 2000, 6);
    expect(out[1]).toBeCloseTo((0 + 1000) / 2000, 6);
  });

  test('MR: 1st/99th percentile normalisation fills all three channels; flat images give 0', () => {
    const px = frame(10, 10, (r, c) => r * 10 + c); // values 0..99
    const out = preprocessFrame(px, MR, 10);
    // lo = v[floor(0.01 * 99)] = 0, hi = v[floor(0.99 * 99)] = 98
    expect(out[0]).toBe(0);
    expect(out[49]).toBeCloseTo(49 / 98, 6);
    expect(out[99]).toBe(1);
    expect(Array.from(out.subarray(100, 200))).toEqual(Array.from(out.subarray(0, 100)));
    expect(Array.from(out.subarray(200, 300))).toEqual(Array.from(out.subarray(0, 100)));
    const flat = preprocessFrame(
      frame(4, 4, () => 7),
      MR,
      4,
    );
    expect(Array.from(flat).every((v) => v === 0)).toBe(true);
  });

  test('MR MONOCHROME1 is inverted; CT MONOCHROME1 is not', () => {
    const px = frame(10, 10, (r, c) => r * 10 + c);
    const mono1 = preprocessFrame(px, { ...MR, photometricInterpretation: 'MONOCHROME1' }, 10);
    const mono2 = preprocessFrame(px, MR, 10);
    expect(mono1[0]).toBe(1);
    expect(mono2[0]).toBe(0);
    const ct1 = preprocessFrame(
      frame(1, 1, () => 500),
      { ...CT, photometricInterpretation: 'MONOCHROME1' },
      1,
    );
    expect(ct1[0]).toBeCloseTo(0.75, 6);
  });

  test('br-pre-2 keeps physical size: a 4-pixel-wide bright bar at 3.5 mm spacing stays 4 output pixels wide', () => {
    // 32 × 32 frame of 3.5 mm pixels, columns 14..17 bright: on a 32 px output at 3.5 mm the grid coincides
    const px = frame(32, 32, (_r, c) => (c >= 14 && c <= 17 ? 1000 : -1000));
    const out = preprocessFrame(px, { ...CT, pixelSpacing: [MM_PER_PIXEL, MM_PER_PIXEL] }, 32, undefined, 0, 'br-pre-2');
    const row = Array.from(out.subarray(16 * 32, 17 * 32));
    expect(row.filter((v) => v > 0.99).length).toBe(4);
    // the same frame said to be at 1.75 mm covers half the field of view: the bar is 2 pixels wide
    const half = preprocessFrame(px, { ...CT, pixelSpacing: [1.75, 1.75] }, 32, undefined, 0, 'br-pre-2');
    const halfRow = Array.from(half.subarray(16 * 32, 17 * 32));
    expect(halfRow.filter((v) => v > 0.99).length).toBe(2);
    // outside the frame: the frame minimum (-1000 HU -> channel 0 value 0)
    expect(half[0]).toBe(0);
  });

  test('br-pre-2 without a pixel spacing is br-pre-1 (the whole frame fitted)', () => {
    const px = frame(20, 30, (r, c) => (r * 31 + c * 17) % 900);
    const a = preprocessFrame(px, MR, 16, undefined, 0, 'br-pre-2');
    const b = preprocessFrame(px, MR, 16, undefined, 0, 'br-pre-1');
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  test('writes at an offset into a shared batch buffer', () => {
    const batch = new Float32Array(2 * 3 * 4).fill(-1);
    preprocessFrame(
      frame(2, 2, () => 0),
      CT,
      2,
      batch,
      12,
    );
    expect(Array.from(batch.subarray(0, 12)).every((v) => v === -1)).toBe(true);
    expect(Array.from(batch.subarray(12, 16))).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  test('512² int16 → 128² is fast (typed arrays, separable resize)', () => {
    const px = frame(512, 512, (r, c) => ((r * 7 + c * 13) % 3000) - 1000);
    const out = new Float32Array(3 * 128 * 128);
    for (let i = 0; i < 20; i++) preprocessFrame(px, CT, 128, out); // warm-up
    const runs = 100;
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) preprocessFrame(px, CT, 128, out);
    const ms = (performance.now() - t0) / runs;
    // Generous bound for a busy 2-core machine; typical is well under 1 ms.
    expect(ms).toBeLessThan(10);
    console.log(`preprocessFrame 512²→128² CT: ${ms.toFixed(3)} ms`);
  });
});

interface GoldenCase {
  name: string;
  /** Absent in files written before br-pre-2: br-pre-1. */
  preprocessing?: PreprocessingVersion;
  pixelSpacing?: [number, number] | null;
  modality: string;
  rows: number;
  columns: number;
  rescaleSlope: number;
  rescaleIntercept: number;
  photometricInterpretation: string;
  dtype: 'int16' | 'uint16' | 'uint8';
  pixels: string;
  size: number;
  expected: string;
}

function decodePixels(c: GoldenCase): PixelFrame['data'] {
  const bytes = Buffer.from(c.pixels, 'base64');
  const copy = new Uint8Array(bytes).buffer; // aligned copy
  if (c.dtype === 'int16') return new Int16Array(copy);
  if (c.dtype === 'uint16') return new Uint16Array(copy);
  return new Uint8Array(copy);
}

describe('preprocessFrame against the training pipeline (models/golden/preprocess.json)', () => {
  test('golden file covers both versions, br-pre-2 with and without a pixel spacing', () => {
    expect(cases.some((c) => (c.preprocessing ?? 'br-pre-1') === 'br-pre-1')).toBe(true);
    expect(cases.some((c) => c.preprocessing === 'br-pre-2' && c.pixelSpacing)).toBe(true);
    expect(cases.some((c) => c.preprocessing === 'br-pre-2' && !c.pixelSpacing)).toBe(true);
  });

  test('golden file is present', () => {
    // Required: the training pipeline writes it; without it the two implementations could drift.
    expect(fs.existsSync(GOLDEN)).toBe(true);
    expect(cases.length).toBeGreaterThan(0);
  });

  // A missing file fails the presence test above instead of crashing the suite.
  const cases: GoldenCase[] = fs.existsSync(GOLDEN) ? JSON.parse(fs.readFileSync(GOLDEN, 'utf8')) : [];
  if (cases.length)
    test.each(cases.map((c) => [c.name, c] as const))('%s matches within 1e-3', (_name, c) => {
      const data = decodePixels(c);
      expect(data.length).toBe(c.rows * c.columns);
      const expectedBytes = Buffer.from(c.expected, 'base64');
      const expected = new Float32Array(new Uint8Array(expectedBytes).buffer);
      expect(expected.length).toBe(3 * c.size * c.size);
      const meta = { ...c, pixelSpacing: c.pixelSpacing ?? undefined };
      const out = preprocessFrame({ rows: c.rows, columns: c.columns, data }, meta, c.size, undefined, 0, c.preprocessing ?? 'br-pre-1');
      let maxDiff = 0;
      for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(out[i] - expected[i]));
      expect(maxDiff).toBeLessThanOrEqual(1e-3);
    });
});
