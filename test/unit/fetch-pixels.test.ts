/** Pixel conversion, RLE, codec sniffing, DICOM JSON → FrameMeta, retries and the limiter, without an archive. */
import { nativeToPixelFrame, PixelLayout } from '../../extension/src/engine/fetch/pixelConversion';
import { decodeRle } from '../../extension/src/engine/fetch/rle';
import { sniffCodec } from '../../extension/src/engine/fetch/transferSyntax';
import { decodeFrame } from '../../extension/src/engine/fetch/decodeFrame';
import { metadataToFramesWithReasons } from '../../extension/src/engine/fetch/metadataToFrames';
import { AbortError, HttpError, Limiter, withRetry } from '../../extension/src/engine/fetch/retry';
import { encodeRle } from '../helpers/dicomFactory';

const layout = (over: Partial<PixelLayout> = {}): PixelLayout => ({
  rows: 1,
  columns: 4,
  bitsAllocated: 16,
  bitsStored: 16,
  pixelRepresentation: 0,
  samplesPerPixel: 1,
  photometricInterpretation: 'MONOCHROME2',
  planarConfiguration: 0,
  ...over,
});
const u16 = (...v: number[]) => new Uint8Array(Uint16Array.from(v).buffer);

describe('nativeToPixelFrame', () => {
  it('uses the typed array of BitsAllocated / PixelRepresentation', () => {
    expect(nativeToPixelFrame(u16(1, 2, 3, 65535), layout()).data).toEqual(Uint16Array.from([1, 2, 3, 65535]));
    expect(nativeToPixelFrame(u16(1, 2, 3, 65535), layout({ pixelRepresentation: 1 })).data).toEqual(Int16Array.from([1, 2, 3, -1]));
    expect(nativeToPixelFrame(Uint8Array.from([0, 127, 128, 255]), layout({ bitsAllocated: 8, bitsStored: 8 })).data).toEqual(
      Uint8Array.from([0, 127, 128, 255]),
    );
  });

  it('masks bits above BitsStored and sign-extends 12-bit signed values', () => {
    // 0xF800 with 12 bits stored: garbage in the top 4 bits; 0x0800 is -2048 in 12-bit two's complement.
    const data = u16(0xf005, 0x0fff, 0x0800, 0x07ff);
    expect(Array.from(nativeToPixelFrame(data, layout({ bitsStored: 12, highBit: 11 })).data)).toEqual([5, 4095, 2048, 2047]);
    expect(Array.from(nativeToPixelFrame(data, layout({ bitsStored: 12, highBit: 11, pixelRepresentation: 1 })).data)).toEqual([
      5, -1, -2048, 2047,
    ]);
  });

  it('ignores an impossible BitsStored (larger than BitsAllocated)', () => {
    expect(Array.from(nativeToPixelFrame(u16(40000), layout({ columns: 1, bitsStored: 20 })).data)).toEqual([40000]);
  });

  it('turns interleaved and planar RGB into luminance', () => {
    const l = layout({ columns: 2, bitsAllocated: 8, bitsStored: 8, samplesPerPixel: 3, photometricInterpretation: 'RGB' });
    const interleaved = nativeToPixelFrame(Uint8Array.from([255, 0, 0, 0, 0, 255]), l).data;
    // Same bytes, other layout: planes R=[255,255], G=[0,0], B=[0,0].
    const planar = nativeToPixelFrame(Uint8Array.from([255, 255, 0, 0, 0, 0]), { ...l, planarConfiguration: 1 }).data;
    expect(Array.from(interleaved).map((v) => Math.round(v * 1000) / 1000)).toEqual([76.245, 29.07]);
    expect(Array.from(planar).map((v) => Math.round(v * 1000) / 1000)).toEqual([76.245, 76.245]);
  });

  it('maps PALETTE COLOR through the look-up table and refuses it without one', () => {
    const palette = {
      firstMapped: 10,
      entries: 2,
      bits: 8 as const,
      red: Uint8Array.from([0, 255]),
      green: Uint8Array.from([0, 255]),
      blue: Uint8Array.from([0, 255]),
    };
    const l = layout({ columns: 3, bitsAllocated: 8, bitsStored: 8, photometricInterpretation: 'PALETTE COLOR', palette });
    expect(Array.from(nativeToPixelFrame(Uint8Array.from([10, 11, 12]), l).data).map(Math.round)).toEqual([0, 255, 255]);
    expect(() => nativeToPixelFrame(Uint8Array.from([10, 11, 12]), { ...l, palette: undefined })).toThrow(/palette/);
  });

  it('says how short the pixel data is', () => {
    expect(() => nativeToPixelFrame(u16(1, 2), layout())).toThrow(/too short: 4 bytes .* \(8 needed\)/);
  });

  it('unpacks 1-bit pixels', () => {
    expect(Array.from(nativeToPixelFrame(Uint8Array.from([0b00000101]), layout({ bitsAllocated: 1, bitsStored: 1 })).data)).toEqual([
      1, 0, 1, 0,
    ]);
  });
});

describe('RLE', () => {
  it('round-trips 16-bit samples through the factory encoder (runs and literals)', () => {
    const values = [0, 0, 0, 0, 5, 6, 7, 1000, 1000, 1000, 65535, 1];
    const native = u16(...values);
    const encoded = encodeRle(native, values.length, 2);
    expect(sniffCodec(encoded)).toBe('rle');
    expect(Array.from(new Uint16Array(decodeRle(encoded, 1, values.length, 16, 1).buffer))).toEqual(values);
  });

  it('rejects a header whose segment count does not match the image', () => {
    const encoded = encodeRle(u16(1, 2, 3, 4), 4, 2);
    expect(() => decodeRle(encoded, 1, 4, 8, 1)).toThrow(/segments/);
  });

  it('decodeFrame dispatches by transfer syntax and reports unsupported ones', async () => {
    const encoded = encodeRle(u16(9, 8, 7, 6), 4, 2);
    expect(Array.from((await decodeFrame(encoded, '1.2.840.10008.1.2.5', layout())).data)).toEqual([9, 8, 7, 6]);
    await expect(decodeFrame(Uint8Array.from([1, 2, 3]), '1.2.840.10008.1.2.4.100', layout())).rejects.toThrow(
      /unsupported transfer syntax 1.2.840.10008.1.2.4.100/,
    );
  });
});

describe('sniffCodec', () => {
  it('recognises JPEG processes by their start-of-frame marker and J2K codestreams', () => {
    const jpeg = (sof: number) => Uint8Array.from([0xff, 0xd8, 0xff, 0xdb, 0x00, 0x04, 0, 0, 0xff, sof, 0, 0]);
    expect(sniffCodec(jpeg(0xc0))).toBe('jpeg-baseline');
    expect(sniffCodec(jpeg(0xc3))).toBe('jpeg-lossless');
    expect(sniffCodec(jpeg(0xf7))).toBe('jpeg-ls');
    expect(sniffCodec(Uint8Array.from([0xff, 0x4f, 0xff, 0x51, 0]))).toBe('jpeg2000');
    expect(sniffCodec(new Uint8Array(8), 8)).toBe('native');
  });
});

describe('metadataToFrames (DICOM JSON)', () => {
  const base = {
    '0020000D': { vr: 'UI', Value: ['1.2'] },
    '0020000E': { vr: 'UI', Value: ['1.2.3'] },
    '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2.1'] },
    '00080060': { vr: 'CS', Value: ['CT'] },
    '00280010': { vr: 'US', Value: [2] },
    '00280011': { vr: 'US', Value: [2] },
    '00280100': { vr: 'US', Value: [16] },
    '00280101': { vr: 'US', Value: [12] },
    '00280103': { vr: 'US', Value: [0] },
  };
  it('reads per-frame positions and shared orientation, spacing and rescale of an enhanced instance', () => {
    const ds = {
      ...base,
      '00080018': { vr: 'UI', Value: ['1.2.3.4'] },
      '00280008': { vr: 'IS', Value: ['2'] },
      '52009229': {
        vr: 'SQ',
        Value: [
          {
            '00209116': { vr: 'SQ', Value: [{ '00200037': { vr: 'DS', Value: [1, 0, 0, 0, 1, 0] } }] },
            '00289110': { vr: 'SQ', Value: [{ '00280030': { vr: 'DS', Value: ['0.5', '0.6'] }, '00180050': { vr: 'DS', Value: [2] } }] },
            '00289145': { vr: 'SQ', Value: [{ '00281052': { vr: 'DS', Value: [-1024] }, '00281053': { vr: 'DS', Value: [1] } }] },
          },
        ],
      },
      '52009230': {
        vr: 'SQ',
        Value: [
          { '00209113': { vr: 'SQ', Value: [{ '00200032': { vr: 'DS', Value: [0, 0, 10] } }] } },
          {
            '00209113': { vr: 'SQ', Value: [{ '00200032': { vr: 'DS', Value: [0, 0, 12] } }] },
            '00289145': { vr: 'SQ', Value: [{ '00281052': { vr: 'DS', Value: [-1000] }, '00281053': { vr: 'DS', Value: [2] } }] },
          },
        ],
      },
    };
    const { frames } = metadataToFramesWithReasons([ds]);
    expect(frames.map((f) => [f.frameNumber, f.imagePositionPatient![2], f.rescaleIntercept, f.rescaleSlope])).toEqual([
      [1, 10, -1024, 1],
      [2, 12, -1000, 2],
    ]);
    expect(frames[0].pixelSpacing).toEqual([0.5, 0.6]);
    expect(frames[0].sliceThickness).toBe(2);
    expect(frames[1].imageOrientationPatient).toEqual([1, 0, 0, 0, 1, 0]);
    expect(frames[0].bitsStored).toBe(12);
  });

  it('leaves out geometry that is missing or malformed instead of inventing it', () => {
    const { frames } = metadataToFramesWithReasons([
      { ...base, '00080018': { vr: 'UI', Value: ['x'] }, '00200032': { vr: 'DS', Value: ['a', 'b', 'c'] } },
    ]);
    expect(frames[0].imagePositionPatient).toBeUndefined();
    expect(frames[0].imageOrientationPatient).toBeUndefined();
    expect(frames[0].rescaleSlope).toBe(1);
  });
});

describe('withRetry and Limiter', () => {
  it('retries retryable errors with growing delays, not others', async () => {
    let calls = 0;
    const delays: number[] = [];
    const value = await withRetry(
      async () => {
        if (++calls < 3) throw new HttpError(502, 'u');
        return 'ok';
      },
      { retries: 5, backoffMs: 10, onRetry: (_e, _n, d) => delays.push(d) },
    );
    expect(value).toBe('ok');
    expect(delays).toHaveLength(2);
    expect(delays[1]).toBeGreaterThan(delays[0]);
    calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new HttpError(401, 'u');
        },
        { retries: 5, backoffMs: 1 },
      ),
    ).rejects.toMatchObject({ status: 401 });
    expect(calls).toBe(1);
  });

  it('stops waiting for a backoff when aborted', async () => {
    const controller = new AbortController();
    const p = withRetry(
      async () => {
        throw new HttpError(503, 'u');
      },
      { retries: 5, backoffMs: 10000, signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 20);
    await expect(p).rejects.toBeInstanceOf(AbortError);
  });

  it('never runs more than its limit at once', async () => {
    const limiter = new Limiter(3);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        limiter.run(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 5));
          active--;
        }),
      ),
    );
    expect(peak).toBe(3);
  });
});
