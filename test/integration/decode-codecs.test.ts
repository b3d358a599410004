/**
 * Frame decoding of real files against an independent decoder: pydicom (numpy, RLE and Pillow
 * handlers, Debian's python3-pydicom) decodes the same files, and the stored values must match.
 * Files whose syntax pydicom cannot decode here (JPEG lossless, JPEG-LS) are covered by the
 * uncompressed twins in test/unit/fetch-part10.test.ts and by Orthanc in fetch-orthanc.test.ts.
 */
import { execFileSync } from 'child_process';
import { parsePart10, Part10PixelSource } from '../../extension/src/engine/fetch/part10';
import { PYDICOM_FILES, readArrayBuffer, REAL_EXAMPLES } from '../helpers/dicomFactory';

const FILES: Array<[string, string, number]> = [
  ['Explicit VR LE (Visible Human CT)', REAL_EXAMPLES.explicit, 0],
  ['Implicit VR LE (chest CT)', REAL_EXAMPLES.implicit, 0],
  ['Deflated Explicit VR LE (localizer)', REAL_EXAMPLES.deflated, 0],
  ['RLE Lossless, fragmented (NEMA CT)', REAL_EXAMPLES.rle, 0],
  ['JPEG 2000 irreversible (head CT)', REAL_EXAMPLES.jpeg2000, 0],
  ['Enhanced MR multi-frame, frame 1', REAL_EXAMPLES.enhancedMr, 0],
  ['MR 16-bit signed', `${PYDICOM_FILES}/MR_small.dcm`, 0],
  ['MR RLE', `${PYDICOM_FILES}/MR_small_RLE.dcm`, 0],
  ['MR JPEG 2000 lossless', `${PYDICOM_FILES}/MR_small_jp2klossless.dcm`, 0],
  ['MR big endian', `${PYDICOM_FILES}/MR_small_bigendian.dcm`, 0],
  ['MR with trailing padding', `${PYDICOM_FILES}/MR_small_padded.dcm`, 0],
  // Colour → luminance (0.299 R + 0.587 G + 0.114 B; Y for YBR). JPEG decoders may round differently.
  ['RGB uncompressed, odd size', `${PYDICOM_FILES}/SC_rgb_small_odd.dcm`, 0.01],
  ['RGB RLE', `${PYDICOM_FILES}/SC_rgb_rle.dcm`, 0.01],
  ['RGB JPEG baseline', `${PYDICOM_FILES}/SC_rgb_dcmtk_+eb+cr.dcm`, 1.5],
  // libjpeg-turbo hands back RGB (rounded to 8 bits) where pydicom keeps Y: a little more rounding.
  ['YBR_FULL JPEG baseline', `${PYDICOM_FILES}/SC_rgb_jpeg_dcmtk.dcm`, 2],
  ['YBR_FULL_422 uncompressed', `${PYDICOM_FILES}/SC_ybr_full_422_uncompressed.dcm`, 0.01],
];

const PYDICOM_SCRIPT = `
import sys, json, base64, numpy as np, pydicom
out = []
for path in sys.argv[1:]:
    ds = pydicom.dcmread(path)
    a = ds.pixel_array
    if int(getattr(ds, 'NumberOfFrames', 1) or 1) > 1:
        a = a[0]
    if getattr(ds, 'SamplesPerPixel', 1) == 3:
        if ds.PhotometricInterpretation.startswith('YBR'):
            a = a[..., 0].astype('<f8')
        else:
            a = a[..., 0] * 0.299 + a[..., 1] * 0.587 + a[..., 2] * 0.114
    out.append({'shape': list(a.shape), 'data': base64.b64encode(np.ascontiguousarray(a, dtype='<f8').tobytes()).decode()})
print(json.dumps(out))
`;

interface Reference {
  shape: number[];
  data: string;
}

let references: Reference[];
beforeAll(() => {
  const json = execFileSync('/usr/bin/python3', ['-c', PYDICOM_SCRIPT, ...FILES.map((f) => f[1])], {
    maxBuffer: 256 * 1024 * 1024,
  }).toString();
  references = JSON.parse(json);
}, 120000);

it.each(FILES.map((f, i) => [f[0], f[1], f[2], i] as const))(
  '%s decodes to the pixels pydicom reads',
  async (_name, file, tolerance, index) => {
    const instance = parsePart10(readArrayBuffer(file));
    const frame = await new Part10PixelSource([instance]).getPixels(instance.frames[0]);
    const ref = references[index];
    expect([frame.rows, frame.columns]).toEqual(ref.shape);
    const b = Buffer.from(ref.data, 'base64');
    const expected = new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    let maxDiff = 0;
    for (let p = 0; p < expected.length; p++) maxDiff = Math.max(maxDiff, Math.abs(frame.data[p] - expected[p]));
    expect(maxDiff).toBeLessThanOrEqual(tolerance);
  },
);
