/**
 * Compressed frame → native little-endian bytes, with the cornerstone codec packages (loaded lazily,
 * once, so a viewer that never meets JPEG 2000 never pays for it) and our RLE decoder.
 */
import type { Codec } from './transferSyntax';
import { decodeRle } from './rle';
import type { PixelLayout } from './pixelConversion';
import { PixelFormatError } from './pixelConversion';

export interface DecodedNative {
  bytes: Uint8Array;
  /** Samples are interleaved (planar configuration 0) whatever the header says. */
  interleaved: boolean;
  /** The codec turned YBR into RGB. */
  colourIsRgb: boolean;
}

type Factory<T> = () => Promise<T>;
const cache = new Map<string, Promise<unknown>>();
function once<T>(key: string, load: Factory<T>): Promise<T> {
  let p = cache.get(key) as Promise<T> | undefined;
  if (!p) {
    p = load();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

// The Emscripten builds print progress ("[INFO] Header of tile 1 / 1 ...") unless given quiet printers.
// Each module needs its own object: Emscripten turns it into the module itself.
const quiet = () => ({ print: () => undefined, printErr: () => undefined });

type DecoderModule<K extends string> = Record<K, new () => CornerstoneDecoder>;
export type CodecName = 'libjpeg-turbo' | 'charls' | 'openjpeg';

/**
 * A host may swap in other builds of the codecs: the CLI registers the packages' wasm-only decoder
 * builds, which Node loads from disk and which decode JPEG 2000 about twice as fast; the browser
 * keeps the default builds, which bundle without extra files.
 */
const overrides = new Map<CodecName, () => Promise<unknown>>();
export function registerCodecLoader(name: CodecName, load: () => Promise<unknown>): void {
  overrides.set(name, load);
  cache.delete(name);
}

function load<K extends string>(name: CodecName, fallback: () => Promise<DecoderModule<K>>): Promise<DecoderModule<K>> {
  const override = overrides.get(name);
  return once(name, override ? (override as () => Promise<DecoderModule<K>>) : fallback);
}

async function libjpegTurbo() {
  return load<'JPEGDecoder'>('libjpeg-turbo', async () => (await import('@cornerstonejs/codec-libjpeg-turbo-8bit')).default(quiet()));
}
async function charls() {
  return load<'JpegLSDecoder'>('charls', async () => (await import('@cornerstonejs/codec-charls')).default(quiet()));
}
async function openjpeg() {
  return load<'J2KDecoder'>('openjpeg', async () => (await import('@cornerstonejs/codec-openjpeg')).default(quiet()));
}

function runCornerstoneDecoder(decoder: CornerstoneDecoder, encoded: Uint8Array, layout: PixelLayout, name: string): Uint8Array {
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    decoder.decode();
    const info = decoder.getFrameInfo();
    if (info.width !== layout.columns || info.height !== layout.rows) {
      throw new PixelFormatError(`${name} frame is ${info.width}x${info.height}, the header says ${layout.columns}x${layout.rows}`);
    }
    // Copy out of the codec's heap before delete() frees it.
    return decoder.getDecodedBuffer().slice();
  } finally {
    decoder.delete();
  }
}

export async function decodeCompressed(codec: Codec, encoded: Uint8Array, layout: PixelLayout): Promise<DecodedNative> {
  switch (codec) {
    case 'rle':
      return {
        bytes: decodeRle(encoded, layout.rows, layout.columns, layout.bitsAllocated, layout.samplesPerPixel),
        interleaved: true,
        colourIsRgb: false,
      };
    case 'jpeg-baseline': {
      if (layout.bitsAllocated > 8 && (layout.bitsStored ?? 8) > 8) {
        throw new PixelFormatError(
          '12-bit JPEG (extended process) cannot be decoded in the client; ask the archive for uncompressed frames',
        );
      }
      const m = await libjpegTurbo();
      return { bytes: runCornerstoneDecoder(new m.JPEGDecoder(), encoded, layout, 'JPEG'), interleaved: true, colourIsRgb: true };
    }
    case 'jpeg-ls': {
      const m = await charls();
      return { bytes: runCornerstoneDecoder(new m.JpegLSDecoder(), encoded, layout, 'JPEG-LS'), interleaved: true, colourIsRgb: false };
    }
    case 'jpeg2000': {
      const m = await openjpeg();
      return { bytes: runCornerstoneDecoder(new m.J2KDecoder(), encoded, layout, 'JPEG 2000'), interleaved: true, colourIsRgb: true };
    }
    case 'jpeg-lossless': {
      const { Decoder } = await import('jpeg-lossless-decoder-js');
      const copy = encoded.slice();
      const bytesPerSample = layout.bitsAllocated <= 8 ? 1 : 2;
      const out = new Decoder().decode(copy.buffer, 0, copy.byteLength, bytesPerSample);
      return { bytes: new Uint8Array(out.buffer, out.byteOffset, out.byteLength), interleaved: true, colourIsRgb: false };
    }
    default:
      throw new PixelFormatError(`no decoder for ${codec}`);
  }
}
