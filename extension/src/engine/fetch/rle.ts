/**
 * DICOM RLE Lossless (PS3.5 Annex G) decoder. No maintained npm package decodes it, so it lives here.
 * Output: the frame in native little-endian layout with planar configuration 0 (interleaved samples),
 * i.e. exactly the bytes an Explicit VR Little Endian frame would carry.
 */
export function decodeRle(encoded: Uint8Array, rows: number, columns: number, bitsAllocated: number, samplesPerPixel: number): Uint8Array {
  if (encoded.length < 64) throw new Error('RLE frame shorter than its 64-byte header');
  const view = new DataView(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  const segmentCount = view.getUint32(0, true);
  const bytesPerSample = bitsAllocated / 8;
  if (!Number.isInteger(bytesPerSample) || bytesPerSample < 1) throw new Error(`RLE with ${bitsAllocated} bits allocated is not supported`);
  const expectedSegments = bytesPerSample * samplesPerPixel;
  if (segmentCount !== expectedSegments) {
    throw new Error(`RLE header has ${segmentCount} segments, expected ${expectedSegments}`);
  }
  const pixels = rows * columns;
  const out = new Uint8Array(pixels * expectedSegments);
  const stride = expectedSegments; // bytes per pixel in the interleaved output
  for (let s = 0; s < segmentCount; s++) {
    const start = view.getUint32(4 + 4 * s, true);
    const end = s + 1 < segmentCount ? view.getUint32(8 + 4 * s, true) : encoded.length;
    if (start < 64 || start > encoded.length || end > encoded.length || end < start) throw new Error('RLE segment offsets out of range');
    // Segments hold the most significant byte first; within a pixel, little-endian order wants it last.
    const sample = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample);
    let outPos = sample * bytesPerSample + byteInSample;
    let produced = 0;
    let i = start;
    while (i < end && produced < pixels) {
      const n = (encoded[i++] << 24) >> 24; // signed byte
      if (n >= 0) {
        const count = Math.min(n + 1, pixels - produced, end - i);
        for (let k = 0; k < count; k++) {
          out[outPos] = encoded[i++];
          outPos += stride;
        }
        produced += count;
      } else if (n !== -128) {
        const count = Math.min(1 - n, pixels - produced);
        const value = encoded[i++];
        for (let k = 0; k < count; k++) {
          out[outPos] = value;
          outPos += stride;
        }
        produced += count;
      }
    }
    if (produced < pixels) throw new Error(`RLE segment ${s + 1} ended after ${produced} of ${pixels} pixels`);
  }
  return out;
}
