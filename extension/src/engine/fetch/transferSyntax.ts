/** Transfer syntaxes the decoder knows, and how to recognise an encoded frame by its first bytes. */

export const TS = {
  ImplicitLittle: '1.2.840.10008.1.2',
  ExplicitLittle: '1.2.840.10008.1.2.1',
  DeflatedExplicitLittle: '1.2.840.10008.1.2.1.99',
  ExplicitBig: '1.2.840.10008.1.2.2',
  JpegBaseline: '1.2.840.10008.1.2.4.50',
  JpegExtended: '1.2.840.10008.1.2.4.51',
  JpegLossless: '1.2.840.10008.1.2.4.57',
  JpegLosslessSV1: '1.2.840.10008.1.2.4.70',
  JpegLsLossless: '1.2.840.10008.1.2.4.80',
  JpegLsNearLossless: '1.2.840.10008.1.2.4.81',
  Jpeg2000Lossless: '1.2.840.10008.1.2.4.90',
  Jpeg2000: '1.2.840.10008.1.2.4.91',
  HtJpeg2000Lossless: '1.2.840.10008.1.2.4.201',
  HtJpeg2000LosslessRpcl: '1.2.840.10008.1.2.4.202',
  HtJpeg2000: '1.2.840.10008.1.2.4.203',
  Rle: '1.2.840.10008.1.2.5',
} as const;

export type Codec = 'native' | 'native-big-endian' | 'jpeg-baseline' | 'jpeg-lossless' | 'jpeg-ls' | 'jpeg2000' | 'rle';

const CODEC_BY_TS: Record<string, Codec> = {
  [TS.ImplicitLittle]: 'native',
  [TS.ExplicitLittle]: 'native',
  [TS.DeflatedExplicitLittle]: 'native',
  [TS.ExplicitBig]: 'native-big-endian',
  [TS.JpegBaseline]: 'jpeg-baseline',
  [TS.JpegExtended]: 'jpeg-baseline',
  [TS.JpegLossless]: 'jpeg-lossless',
  [TS.JpegLosslessSV1]: 'jpeg-lossless',
  [TS.JpegLsLossless]: 'jpeg-ls',
  [TS.JpegLsNearLossless]: 'jpeg-ls',
  [TS.Jpeg2000Lossless]: 'jpeg2000',
  [TS.Jpeg2000]: 'jpeg2000',
  [TS.HtJpeg2000Lossless]: 'jpeg2000',
  [TS.HtJpeg2000LosslessRpcl]: 'jpeg2000',
  [TS.HtJpeg2000]: 'jpeg2000',
  [TS.Rle]: 'rle',
};

export function codecForTransferSyntax(uid: string | undefined): Codec | undefined {
  return uid ? CODEC_BY_TS[uid] : undefined;
}

export function isEncapsulated(uid: string | undefined): boolean {
  const codec = codecForTransferSyntax(uid);
  return codec !== undefined && codec !== 'native' && codec !== 'native-big-endian';
}

/**
 * Guess the codec of an encoded frame from its markers, for archives that send compressed frames
 * without saying which transfer syntax. Returns undefined for anything that does not look encoded.
 */
export function sniffCodec(bytes: Uint8Array, expectedNativeLength?: number): Codec | undefined {
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    // JPEG family: the first start-of-frame marker tells which process.
    for (let i = 2; i + 3 < bytes.length && i < 65536;) {
      if (bytes[i] !== 0xff) {
        i++;
        continue;
      }
      const marker = bytes[i + 1];
      if (marker === 0xf7) return 'jpeg-ls';
      if (marker === 0xc3 || marker === 0xc7 || marker === 0xcb || marker === 0xcf) return 'jpeg-lossless';
      if (marker >= 0xc0 && marker <= 0xc2) return 'jpeg-baseline';
      if (marker === 0xff || marker === 0x00 || (marker >= 0xd0 && marker <= 0xd8)) {
        i += marker === 0xff ? 1 : 2;
        continue;
      }
      const length = (bytes[i + 2] << 8) | bytes[i + 3];
      i += 2 + length;
    }
    return 'jpeg-baseline';
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0x4f && bytes[2] === 0xff && bytes[3] === 0x51) return 'jpeg2000';
  // JP2 file format: signature box.
  if (bytes.length >= 12 && bytes[4] === 0x6a && bytes[5] === 0x50 && bytes[6] === 0x20 && bytes[7] === 0x20) return 'jpeg2000';
  if (expectedNativeLength !== undefined && bytes.length >= expectedNativeLength) return 'native';
  if (bytes.length >= 64) {
    // RLE: 16 little-endian uint32: segment count (1..15), then offsets, the first being 64.
    const count = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24);
    const first = bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24);
    if (count >= 1 && count <= 15 && first === 64) return 'rle';
  }
  return undefined;
}
