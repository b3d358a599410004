/**
 * Native pixel bytes → PixelFrame: typed array by BitsAllocated / PixelRepresentation, BitsStored
 * masking with sign extension, colour (RGB, YBR, palette) → luminance.
 */
import type { PixelFrame } from '../types';
import type { DecodableFrameMeta } from './frameInfo';

export type PixelLayout = Pick<
  DecodableFrameMeta,
  | 'rows'
  | 'columns'
  | 'bitsAllocated'
  | 'bitsStored'
  | 'highBit'
  | 'pixelRepresentation'
  | 'samplesPerPixel'
  | 'photometricInterpretation'
  | 'planarConfiguration'
  | 'palette'
>;

export class PixelFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PixelFormatError';
  }
}

/** Bytes of one frame in native layout (little-endian samples). */
export function nativeFrameLength(layout: PixelLayout): number {
  // Uncompressed YBR_FULL_422 keeps one Cb/Cr pair per two pixels: 2 bytes per pixel.
  if (layout.photometricInterpretation === 'YBR_FULL_422' && layout.samplesPerPixel === 3 && layout.bitsAllocated === 8)
    return layout.rows * layout.columns * 2;
  if (layout.bitsAllocated === 1) return Math.ceil((layout.rows * layout.columns * layout.samplesPerPixel) / 8);
  return layout.rows * layout.columns * layout.samplesPerPixel * (layout.bitsAllocated / 8);
}

/** Copy when the view is not aligned for the sample size (multipart parts can start anywhere). */
function aligned(bytes: Uint8Array, size: number): Uint8Array {
  return bytes.byteOffset % size === 0 ? bytes : bytes.slice();
}

export function swapBytes(bytes: Uint8Array, size: number): Uint8Array {
  const out = bytes.slice();
  if (size === 2) for (let i = 0; i + 1 < out.length; i += 2) [out[i], out[i + 1]] = [out[i + 1], out[i]];
  else if (size === 4)
    for (let i = 0; i + 3 < out.length; i += 4) {
      [out[i], out[i + 3]] = [out[i + 3], out[i]];
      [out[i + 1], out[i + 2]] = [out[i + 2], out[i + 1]];
    }
  return out;
}

/**
 * `bytes` hold one frame in native little-endian layout. `planarOverride` tells that a codec
 * already interleaved the samples (RLE, JPEG) whatever the header says.
 */
export function nativeToPixelFrame(bytes: Uint8Array, layout: PixelLayout, planarOverride?: number): PixelFrame {
  const { rows, columns, bitsAllocated, samplesPerPixel } = layout;
  if (!(rows > 0 && columns > 0)) throw new PixelFormatError(`invalid image size ${rows}x${columns}`);
  const pixels = rows * columns;
  const needed = nativeFrameLength(layout);
  if (bytes.length < needed) {
    throw new PixelFormatError(
      `pixel data too short: ${bytes.length} bytes for ${rows}x${columns}x${samplesPerPixel} at ${bitsAllocated} bits (${needed} needed)`,
    );
  }
  if (bitsAllocated === 1) {
    const out = new Uint8Array(pixels);
    for (let i = 0; i < pixels; i++) out[i] = (bytes[i >> 3] >> (i & 7)) & 1;
    return { rows, columns, data: out };
  }
  const samples = readSamples(bytes, layout, pixels * samplesPerPixel);
  if (samplesPerPixel === 1) {
    if (layout.photometricInterpretation === 'PALETTE COLOR') return { rows, columns, data: paletteToLuminance(samples, layout, pixels) };
    return { rows, columns, data: samples };
  }
  if (samplesPerPixel !== 3) throw new PixelFormatError(`${samplesPerPixel} samples per pixel are not supported`);
  const planar = planarOverride ?? layout.planarConfiguration ?? 0;
  return { rows, columns, data: colourToLuminance(samples, pixels, planar, layout.photometricInterpretation) };
}

function readSamples(bytes: Uint8Array, layout: PixelLayout, count: number): PixelFrame['data'] {
  const { bitsAllocated, pixelRepresentation } = layout;
  const bitsStored = layout.bitsStored > 0 && layout.bitsStored <= bitsAllocated ? layout.bitsStored : bitsAllocated;
  const highBit =
    layout.highBit !== undefined && layout.highBit >= bitsStored - 1 && layout.highBit < bitsAllocated ? layout.highBit : bitsStored - 1;
  const signed = pixelRepresentation === 1;
  let raw: Uint8Array | Uint16Array | Uint32Array;
  if (bitsAllocated === 8) raw = bytes.subarray(0, count);
  else if (bitsAllocated === 16) {
    const a = aligned(bytes.subarray(0, count * 2), 2);
    raw = new Uint16Array(a.buffer, a.byteOffset, count);
  } else if (bitsAllocated === 32) {
    const a = aligned(bytes.subarray(0, count * 4), 4);
    raw = new Uint32Array(a.buffer, a.byteOffset, count);
  } else throw new PixelFormatError(`${bitsAllocated} bits allocated are not supported`);

  const needsMask = bitsStored < bitsAllocated || highBit !== bitsStored - 1;
  const shift = highBit + 1 - bitsStored;
  if (!signed) {
    if (!needsMask) return bitsAllocated === 8 ? new Uint8Array(raw) : bitsAllocated === 16 ? new Uint16Array(raw) : new Uint32Array(raw);
    const out = bitsAllocated === 8 ? new Uint8Array(count) : bitsAllocated === 16 ? new Uint16Array(count) : new Uint32Array(count);
    const mask = bitsStored >= 32 ? 0xffffffff : (1 << bitsStored) - 1;
    for (let i = 0; i < count; i++) out[i] = (raw[i] >>> shift) & mask;
    return out;
  }
  const out = bitsAllocated === 8 ? new Int8Array(count) : bitsAllocated === 16 ? new Int16Array(count) : new Int32Array(count);
  if (!needsMask) {
    for (let i = 0; i < count; i++) out[i] = raw[i]; // typed-array store wraps into the signed range
    return out;
  }
  // Sign-extend from bitsStored: move the sign bit to bit 31, then shift back arithmetically.
  const up = 32 - bitsStored;
  for (let i = 0; i < count; i++) out[i] = ((raw[i] >>> shift) << up) >> up;
  return out;
}

function colourToLuminance(samples: PixelFrame['data'], pixels: number, planar: number, photometric: string): Float32Array {
  const out = new Float32Array(pixels);
  const at = planar === 1 ? (p: number, c: number) => samples[c * pixels + p] : (p: number, c: number) => samples[p * 3 + c];
  if (photometric.startsWith('YBR')) {
    // Y already is the luminance (YBR_FULL, and codecs output of YBR_ICT/RCT are RGB by now).
    for (let p = 0; p < pixels; p++) out[p] = at(p, 0);
    return out;
  }
  for (let p = 0; p < pixels; p++) out[p] = 0.299 * at(p, 0) + 0.587 * at(p, 1) + 0.114 * at(p, 2);
  return out;
}

function paletteToLuminance(indices: PixelFrame['data'], layout: PixelLayout, pixels: number): Float32Array {
  const lut = layout.palette;
  if (!lut) throw new PixelFormatError('PALETTE COLOR image without a usable palette look-up table');
  const out = new Float32Array(pixels);
  const last = lut.entries - 1;
  for (let p = 0; p < pixels; p++) {
    const i = Math.min(last, Math.max(0, indices[p] - lut.firstMapped));
    out[p] = 0.299 * lut.red[i] + 0.587 * lut.green[i] + 0.114 * lut.blue[i];
  }
  return out;
}
