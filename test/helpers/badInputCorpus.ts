/**
 * The reliability corpus: one series per kind of bad or unusual input, each with what the CLI must
 * say about it. Good series ride along to show they are still classified.
 */
import {
  makeSeries,
  makeStructuredReport,
  newUid,
  PYDICOM_FILES,
  SopClass,
  withNewUids,
  writePart10,
  TransferSyntax,
} from './dicomFactory';

export interface CorpusCase {
  name: string;
  seriesInstanceUID: string;
  files: Uint8Array[];
  /** null: classified without error; otherwise the error code and a pattern its message must match. */
  expect: null | { code: string; message: RegExp };
  /** Orthanc refuses to store it (only for the files test). */
  filesOnly?: boolean;
}

const small = { rows: 32, columns: 32, slices: 3 };
const hu = (k: number, r: number, c: number) => (Math.hypot(r - 16, c - 16) < 12 ? 40 + k : -1000);

export async function buildCorpus(studyInstanceUID: string): Promise<CorpusCase[]> {
  const cases: CorpusCase[] = [];
  const add = async (
    name: string,
    spec: Parameters<typeof makeSeries>[0],
    expect: CorpusCase['expect'],
    post?: (files: Uint8Array[]) => Uint8Array[],
    filesOnly = false,
  ) => {
    const s = await makeSeries({ ...small, pixel: hu, studyInstanceUID, seriesDescription: name, ...spec });
    cases.push({ name, seriesInstanceUID: s.seriesInstanceUID, files: post ? post(s.files) : s.files, expect, filesOnly });
  };

  await add('good CT', {}, null);
  await add('good MR', { modality: 'MR', pixel: (k, r, c) => 100 + r + c + k }, null);
  await add(
    'pixel data cut short',
    {},
    { code: 'all-frames-failed', message: /cut short|too short/ },
    (files) => files.map((f) => f.slice(0, f.length - 700)),
    true,
  );
  await add(
    'unsupported transfer syntax (MPEG2)',
    {},
    { code: 'all-frames-failed', message: /unsupported transfer syntax 1\.2\.840\.10008\.1\.2\.4\.100/ },
    (files) => files.map(retagTransferSyntax('1.2.840.10008.1.2.4.100')),
    true,
  );
  await add(
    'no position, orientation or spacing',
    { mutate: (ds) => Object.assign(ds, { ImagePositionPatient: undefined, ImageOrientationPatient: undefined, PixelSpacing: undefined }) },
    null,
  );
  await add('MONOCHROME1 MR', { modality: 'MR', photometricInterpretation: 'MONOCHROME1', pixel: (k, r) => 100 + r + k }, null);
  await add(
    'signed and unsigned slices mixed',
    { mutate: (ds, k) => k === 1 && Object.assign(ds, { PixelRepresentation: 0, RescaleIntercept: -1024 }) },
    null,
  );
  await add('BitsStored larger than BitsAllocated', { mutate: (ds) => Object.assign(ds, { BitsStored: 20, HighBit: 19 }) }, null);
  await add(
    'duplicate positions',
    { slices: 4, mutate: (ds, k) => k === 3 && Object.assign(ds, { ImagePositionPatient: [-100, -100, 10] }) },
    null,
  );
  await add(
    'mixed orientations',
    {
      slices: 4,
      mutate: (ds, k) =>
        k >= 2 && Object.assign(ds, { ImageOrientationPatient: [0, 1, 0, 0, 0, -1], ImagePositionPatient: [k * 5, -100, 0] }),
    },
    null,
  );
  await add('one slice', { slices: 1 }, null);
  await add(
    'segmentation (SEG) object',
    { slices: 1, mutate: (ds) => Object.assign(ds, { SOPClassUID: '1.2.840.10008.5.1.4.1.1.66.4', Modality: 'SEG' }) },
    { code: 'not-an-image', message: /not an image|no images/ },
  );
  await add(
    'huge Rows x Columns without the pixels',
    { slices: 1, mutate: (ds) => Object.assign(ds, { Rows: 50000, Columns: 50000 }) },
    { code: 'all-frames-failed', message: /image too large: 50000x50000/ },
    undefined,
    true,
  );
  await add(
    'palette colour',
    {
      slices: 2,
      modality: 'MR',
      bitsAllocated: 8,
      pixelRepresentation: 0,
      pixel: (k, r) => (r + k) % 4,
      photometricInterpretation: 'PALETTE COLOR',
      mutate: (ds) =>
        Object.assign(ds, {
          RedPaletteColorLookupTableDescriptor: [4, 0, 8],
          GreenPaletteColorLookupTableDescriptor: [4, 0, 8],
          BluePaletteColorLookupTableDescriptor: [4, 0, 8],
          RedPaletteColorLookupTableData: Uint8Array.from([0, 80, 160, 240]).buffer,
          GreenPaletteColorLookupTableData: Uint8Array.from([0, 80, 160, 240]).buffer,
          BluePaletteColorLookupTableData: Uint8Array.from([0, 80, 160, 240]).buffer,
          _vrMap: {
            PixelData: 'OB',
            RedPaletteColorLookupTableData: 'OW',
            GreenPaletteColorLookupTableData: 'OW',
            BluePaletteColorLookupTableData: 'OW',
          },
        }),
    },
    null,
  );

  for (const [name, file] of [
    ['RGB secondary capture, odd size', 'SC_rgb_small_odd.dcm'],
    ['RGB RLE', 'SC_rgb_rle.dcm'],
    ['YBR_FULL JPEG baseline', 'SC_rgb_jpeg_dcmtk.dcm'],
    ['YBR_FULL_422 uncompressed', 'SC_ybr_full_422_uncompressed.dcm'],
  ]) {
    const copy = withNewUids(`${PYDICOM_FILES}/${file}`, { studyInstanceUID });
    cases.push({ name, seriesInstanceUID: copy.seriesInstanceUID, files: [copy.bytes], expect: null });
  }
  const rt = nonImage(studyInstanceUID, '1.2.840.10008.5.1.4.1.1.481.3', 'RTSTRUCT', {
    StructureSetLabel: 'test',
    StructureSetDate: '20260101',
    StructureSetTime: '120000',
  });
  cases.push({
    name: 'RT structure set',
    seriesInstanceUID: rt.seriesInstanceUID,
    files: [rt.bytes],
    expect: { code: 'not-an-image', message: /not an image|no images/ },
  });
  const sr = makeStructuredReport(studyInstanceUID);
  cases.push({
    name: 'structured report',
    seriesInstanceUID: sr.seriesInstanceUID,
    files: [sr.bytes],
    expect: { code: 'not-an-image', message: /not an image|no images/ },
  });
  const pdf = encapsulatedPdf(studyInstanceUID);
  cases.push({
    name: 'encapsulated PDF',
    seriesInstanceUID: pdf.seriesInstanceUID,
    files: [pdf.bytes],
    expect: { code: 'not-an-image', message: /not an image|no images/ },
  });
  return cases;
}

/** Rewrites the meta header's transfer syntax in place (same length UID keeps offsets valid). */
function retagTransferSyntax(uid: string) {
  return (file: Uint8Array): Uint8Array => {
    const text = Buffer.from(file).toString('latin1');
    const at = text.indexOf(TransferSyntax.explicit);
    if (at < 0) throw new Error('no transfer syntax found');
    // Explicit LE UID + padding is 20 bytes; the MPEG2 UID is 22, so pad by rewriting the element length.
    const out = Buffer.concat([Buffer.from(file.subarray(0, at - 2)), lengthAndUid(uid), Buffer.from(file.subarray(at + 20))]);
    // Fix the meta group length (0002,0000) UL value at offset 140.
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    view.setUint32(140, view.getUint32(140, true) + (out.length - file.length), true);
    return new Uint8Array(out);
  };
}

function lengthAndUid(uid: string): Buffer {
  const padded = uid.length % 2 ? `${uid}\0` : uid;
  const b = Buffer.alloc(2 + padded.length);
  b.writeUInt16LE(padded.length, 0);
  b.write(padded, 2, 'latin1');
  return b;
}

function nonImage(
  studyInstanceUID: string,
  sopClassUID: string,
  modality: string,
  extra: Record<string, unknown>,
): { bytes: Uint8Array; seriesInstanceUID: string } {
  const seriesInstanceUID = newUid();
  const bytes = writePart10(
    {
      PatientName: 'Test^Phantom',
      PatientID: 'PHANTOM-1',
      StudyInstanceUID: studyInstanceUID,
      SeriesInstanceUID: seriesInstanceUID,
      SOPClassUID: sopClassUID,
      SOPInstanceUID: newUid(),
      Modality: modality,
      SeriesNumber: 91,
      InstanceNumber: 1,
      ...extra,
    },
    TransferSyntax.explicit,
  );
  return { bytes, seriesInstanceUID };
}

function encapsulatedPdf(studyInstanceUID: string): { bytes: Uint8Array; seriesInstanceUID: string } {
  const seriesInstanceUID = newUid();
  const sopInstanceUID = newUid();
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
  const bytes = writePart10(
    {
      PatientName: 'Test^Phantom',
      PatientID: 'PHANTOM-1',
      StudyInstanceUID: studyInstanceUID,
      SeriesInstanceUID: seriesInstanceUID,
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.104.1',
      SOPInstanceUID: sopInstanceUID,
      Modality: 'DOC',
      SeriesNumber: 90,
      InstanceNumber: 1,
      MIMETypeOfEncapsulatedDocument: 'application/pdf',
      EncapsulatedDocument: pdf.buffer.slice(pdf.byteOffset, pdf.byteOffset + pdf.byteLength + (pdf.byteLength % 2)),
      _vrMap: { EncapsulatedDocument: 'OB' },
    },
    TransferSyntax.explicit,
  );
  return { bytes, seriesInstanceUID };
}

export { SopClass };
