/** One frame's bytes, as stored or as sent by the archive, → PixelFrame. */
import type { PixelFrame } from '../types';
import { decodeCompressed } from './codecs';
import { nativeFrameLength, nativeToPixelFrame, PixelFormatError, PixelLayout, swapBytes } from './pixelConversion';
import { codecForTransferSyntax, sniffCodec } from './transferSyntax';

/**
 * `transferSyntaxUID` is what the archive or file says the bytes are; when it is missing or unknown
 * the codec is recognised from the bytes themselves.
 */
export async function decodeFrame(bytes: Uint8Array, transferSyntaxUID: string | undefined, layout: PixelLayout): Promise<PixelFrame> {
  const expected = nativeFrameLength(layout);
  // A declared syntax we do not know (MPEG, JPEG XL, …) is refused; sniffing is only for undeclared ones.
  const codec = transferSyntaxUID ? codecForTransferSyntax(transferSyntaxUID) : sniffCodec(bytes, expected);
  if (!codec) {
    throw new PixelFormatError(`unsupported transfer syntax ${transferSyntaxUID ?? '(unknown)'}`);
  }
  if (codec === 'native') return nativeWithSubsampling(bytes, layout);
  if (codec === 'native-big-endian') {
    const size = layout.bitsAllocated / 8;
    return nativeToPixelFrame(size > 1 ? swapBytes(bytes, size) : bytes, layout);
  }
  const decoded = await decodeCompressed(codec, bytes, layout);
  const effective: PixelLayout =
    decoded.colourIsRgb && layout.samplesPerPixel === 3 ? { ...layout, photometricInterpretation: 'RGB' } : layout;
  return nativeToPixelFrame(decoded.bytes, effective, decoded.interleaved ? 0 : undefined);
}

/** Uncompressed YBR_FULL_422 keeps two luma samples per Cb/Cr pair: take the luma. */
function nativeWithSubsampling(bytes: Uint8Array, layout: PixelLayout): PixelFrame {
  const pixels = layout.rows * layout.columns;
  if (layout.photometricInterpretation === 'YBR_FULL_422' && layout.samplesPerPixel === 3 && layout.bitsAllocated === 8) {
    // An archive that transcoded a JPEG frame sends full RGB but its metadata still says YBR_FULL_422.
    if (bytes.length >= pixels * 3) return nativeToPixelFrame(bytes, { ...layout, photometricInterpretation: 'RGB' });
    if (bytes.length < pixels * 2) throw new PixelFormatError('YBR_FULL_422 pixel data too short');
    const out = new Uint8Array(pixels);
    for (let p = 0; p < pixels; p++) out[p] = bytes[(p >> 1) * 4 + (p & 1)];
    return { rows: layout.rows, columns: layout.columns, data: out };
  }
  return nativeToPixelFrame(bytes, layout);
}
