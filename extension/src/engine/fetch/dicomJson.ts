/**
 * Read-only accessors for the DICOM JSON model (PS3.18 F.2): `{ "0020000D": { vr, Value: [...] } }`.
 * dcmjs' parsed datasets use the same shape, so Part-10 files and WADO-RS metadata share this code.
 */

export interface DicomJsonElement {
  vr?: string;
  Value?: unknown[];
  InlineBinary?: string;
  BulkDataURI?: string;
}

export type DicomJsonDataset = Record<string, DicomJsonElement | undefined>;

export const Tags = {
  TransferSyntaxUID: '00020010',
  ImageType: '00080008',
  SOPClassUID: '00080016',
  SOPInstanceUID: '00080018',
  Modality: '00080060',
  Manufacturer: '00080070',
  SeriesDescription: '0008103E',
  BodyPartExamined: '00180015',
  SliceThickness: '00180050',
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  SeriesNumber: '00200011',
  InstanceNumber: '00200013',
  ImagePositionPatient: '00200032',
  ImageOrientationPatient: '00200037',
  SamplesPerPixel: '00280002',
  PhotometricInterpretation: '00280004',
  PlanarConfiguration: '00280006',
  NumberOfFrames: '00280008',
  Rows: '00280010',
  Columns: '00280011',
  PixelSpacing: '00280030',
  BitsAllocated: '00280100',
  BitsStored: '00280101',
  HighBit: '00280102',
  PixelRepresentation: '00280103',
  RescaleIntercept: '00281052',
  RescaleSlope: '00281053',
  RedPaletteDescriptor: '00281101',
  GreenPaletteDescriptor: '00281102',
  BluePaletteDescriptor: '00281103',
  RedPaletteData: '00281201',
  GreenPaletteData: '00281202',
  BluePaletteData: '00281203',
  PlanePositionSequence: '00209113',
  PlaneOrientationSequence: '00209116',
  PixelMeasuresSequence: '00289110',
  PixelValueTransformationSequence: '00289145',
  SharedFunctionalGroupsSequence: '52009229',
  PerFrameFunctionalGroupsSequence: '52009230',
  PixelData: '7FE00010',
  FloatPixelData: '7FE00008',
  DoubleFloatPixelData: '7FE00009',
} as const;

export function values(ds: DicomJsonDataset | undefined, tag: string): unknown[] | undefined {
  const el = ds?.[tag];
  return el && Array.isArray(el.Value) && el.Value.length > 0 ? el.Value : undefined;
}

export function getString(ds: DicomJsonDataset | undefined, tag: string): string | undefined {
  const v = values(ds, tag)?.[0];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') {
    // Person names are objects; we never need them, and never log them.
    return undefined;
  }
  const s = String(v)
    .replace(/[\0\s]+$/, '')
    .trim();
  return s.length > 0 ? s : undefined;
}

export function getStrings(ds: DicomJsonDataset | undefined, tag: string): string[] | undefined {
  const v = values(ds, tag);
  if (!v) return undefined;
  // Some archives send multi-valued strings unsplit ("ORIGINAL\\PRIMARY").
  return v
    .flatMap((x) => String(x).split('\\'))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Numbers, whether the archive sent them as JSON numbers or as DS/IS strings. */
export function getNumbers(ds: DicomJsonDataset | undefined, tag: string): number[] | undefined {
  const v = values(ds, tag);
  if (!v) return undefined;
  const out = v
    .flatMap((x) => (typeof x === 'string' ? x.split('\\') : [x]))
    .map((x) => (typeof x === 'number' ? x : Number(String(x).trim())));
  return out.every((n) => Number.isFinite(n)) ? out : undefined;
}

export function getNumber(ds: DicomJsonDataset | undefined, tag: string): number | undefined {
  return getNumbers(ds, tag)?.[0];
}

export function getSequence(ds: DicomJsonDataset | undefined, tag: string): DicomJsonDataset[] | undefined {
  const v = values(ds, tag);
  return v ? (v.filter((x) => x && typeof x === 'object') as DicomJsonDataset[]) : undefined;
}

/** The first item of a sequence nested in a functional-group item. */
export function getSequenceItem(ds: DicomJsonDataset | undefined, tag: string): DicomJsonDataset | undefined {
  return getSequence(ds, tag)?.[0];
}

/** Binary value of an element: dcmjs gives ArrayBuffers, DICOM JSON gives base64 InlineBinary. */
export function getBinary(ds: DicomJsonDataset | undefined, tag: string): Uint8Array | undefined {
  const el = ds?.[tag];
  if (!el) return undefined;
  if (el.InlineBinary) return base64ToBytes(el.InlineBinary);
  const v = el.Value?.[0];
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return undefined;
}

export function base64ToBytes(b64: string): Uint8Array {
  const clean = b64.replace(/\s+/g, '');
  if (typeof atob === 'function') {
    const bin = atob(clean);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  // Node without atob (older runtimes).
  const B = (globalThis as { Buffer?: { from(s: string, e: string): Uint8Array } }).Buffer;
  if (!B) throw new Error('no base64 decoder available');
  return new Uint8Array(B.from(clean, 'base64'));
}
