/**
 * Part-10 parsing and frame decoding for every transfer syntax, against the uncompressed twin of the
 * same image (pydicom's MR_small family: identical pixels stored in each syntax).
 */
import * as fs from 'fs';
import { parsePart10, Part10PixelSource, Part10Error } from '../../extension/src/engine/fetch/part10';
import type { PixelFrame } from '../../extension/src/engine/types';
import { SHARED_DATA } from '../helpers/dicomFactory';

const PYDICOM = '/usr/lib/python3/dist-packages/pydicom/data/test_files';

function load(path: string): ArrayBuffer {
  const b = fs.readFileSync(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

async function decodeFirst(path: string): Promise<PixelFrame> {
  const instance = parsePart10(load(path));
  expect(instance.frames.length).toBeGreaterThan(0);
  return new Part10PixelSource([instance]).getPixels(instance.frames[0]);
}

describe('parsePart10 + Part10PixelSource', () => {
  let reference: PixelFrame;
  beforeAll(async () => {
    reference = await decodeFirst(`${PYDICOM}/MR_small.dcm`);
  });

  it('reads geometry and pixel layout from an Explicit VR Little Endian file', () => {
    const instance = parsePart10(load(`${PYDICOM}/MR_small.dcm`));
    const f = instance.frames[0];
    expect(instance.transferSyntaxUID).toBe('1.2.840.10008.1.2.1');
    expect([f.rows, f.columns, f.bitsAllocated, f.pixelRepresentation]).toEqual([64, 64, 16, 1]);
    expect(f.modality).toBe('MR');
    expect(f.imagePositionPatient).toHaveLength(3);
    expect(f.imageOrientationPatient).toHaveLength(6);
    expect(f.pixelSpacing).toEqual([0.3125, 0.3125]);
    expect(reference.data).toBeInstanceOf(Int16Array);
    expect(reference.data.length).toBe(64 * 64);
    // Not a blank image.
    expect(Math.max(...Array.from(reference.data))).toBeGreaterThan(Math.min(...Array.from(reference.data)));
  });

  it.each([
    ['Implicit VR Little Endian', 'MR_small_implicit.dcm'],
    ['Explicit VR Big Endian', 'MR_small_bigendian.dcm'],
    ['RLE Lossless', 'MR_small_RLE.dcm'],
    ['JPEG-LS Lossless', 'MR_small_jpeg_ls_lossless.dcm'],
    ['JPEG 2000 Lossless', 'MR_small_jp2klossless.dcm'],
  ])('%s decodes to the same pixels', async (_name, file) => {
    const frame = await decodeFirst(`${PYDICOM}/${file}`);
    expect(frame.rows).toBe(64);
    expect(Array.from(frame.data)).toEqual(Array.from(reference.data));
  });

  it('turns RGB into luminance (RLE and uncompressed agree)', async () => {
    const rle = await decodeFirst(`${PYDICOM}/SC_rgb_rle.dcm`);
    const raw = await decodeFirst(`${PYDICOM}/SC_rgb_dcmtk_+eb+cr.dcm`).catch(() => null);
    expect(rle.data).toBeInstanceOf(Float32Array);
    // SC_rgb has pure red, green, blue, white, black bands: luminance of pure red is 0.299 * 255.
    const values = new Set(Array.from(rle.data).map((v) => Math.round(v)));
    expect(values.has(Math.round(0.299 * 255))).toBe(true);
    expect(values.has(255)).toBe(true);
    if (raw) expect(raw.rows).toBe(rle.rows);
  });

  it('expands an enhanced multi-frame MR into one FrameMeta per frame with per-frame positions', () => {
    const instance = parsePart10(load(`${SHARED_DATA}/mr/dicom/sampler/02_1901_WIP_3DpCASL_real.dcm`));
    expect(instance.frames.length).toBe(40);
    expect(instance.frames.map((f) => f.frameNumber)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const positions = new Set(instance.frames.map((f) => JSON.stringify(f.imagePositionPatient)));
    expect(instance.frames[0].imagePositionPatient).toHaveLength(3);
    expect(instance.frames[0].imageOrientationPatient).toHaveLength(6);
    expect(instance.frames[0].pixelSpacing).toHaveLength(2);
    expect(positions.size).toBeGreaterThan(1);
  });

  it('decodes an RLE file whose frame spans several fragments', async () => {
    const frame = await decodeFirst(`${SHARED_DATA}/ct/dicom/ct1_nema/codec_RLELossless_D_CLUNIE_CT1_RLE_FRAGS.dcm`);
    expect(frame.rows * frame.columns).toBe(frame.data.length);
  });

  it('rejects a file whose pixel data is cut short, naming the reason', async () => {
    const full = load(`${PYDICOM}/MR_small.dcm`);
    const instance = parsePart10(full.slice(0, full.byteLength - 4000));
    await expect(new Part10PixelSource([instance]).getPixels(instance.frames[0])).rejects.toThrow(/cut short/);
  });

  it('lists a structured report as skipped, not as frames', () => {
    const instance = parsePart10(load(`${PYDICOM}/test-SR.dcm`));
    expect(instance.frames).toHaveLength(0);
    expect(instance.skipped[0].reason).toMatch(/not an image/);
  });

  it('throws Part10Error for bytes that are not DICOM', () => {
    expect(() => parsePart10(new TextEncoder().encode('hello world, not dicom').buffer as ArrayBuffer)).toThrow(Part10Error);
  });
});

describe('Node wasm codec builds (registered by the CLI)', () => {
  it('decode the JPEG-LS, JPEG 2000 and JPEG files exactly like the default builds', async () => {
    const files = ['MR_small_jpeg_ls_lossless.dcm', 'MR_small_jp2klossless.dcm', 'SC_rgb_jpeg_dcmtk.dcm'].map((f) => `${PYDICOM}/${f}`);
    const before = await Promise.all(files.map(decodeFirst));
    const { useNodeWasmCodecs } = await import('../../extension/src/cli/nodeCodecs');
    const codecs = await import('../../extension/src/engine/fetch/codecs');
    const register = jest.spyOn(codecs, 'registerCodecLoader');
    useNodeWasmCodecs();
    expect(register.mock.calls.map((c) => c[0]).sort()).toEqual(['charls', 'libjpeg-turbo', 'openjpeg']);
    // The registered loaders are the ones used from now on.
    const loads = register.mock.calls.map((c) => jest.fn(c[1]));
    register.mock.calls.forEach((c, i) => codecs.registerCodecLoader(c[0], loads[i]));
    register.mockRestore();
    const after = await Promise.all(files.map(decodeFirst));
    expect(loads.every((l) => l.mock.calls.length === 1)).toBe(true);
    after.forEach((frame, i) => expect(Array.from(frame.data)).toEqual(Array.from(before[i].data)));
  });
});
