/**
 * Builds DICOM Part-10 files for tests with dcmjs: CT/MR stacks with known geometry and pixels,
 * reversed instance numbers, gaps, an enhanced multi-frame instance, a single slice, a non-image SR,
 * each transfer syntax (uncompressed, RLE, JPEG baseline, JPEG-LS, JPEG 2000 encoded here; JPEG
 * lossless from the real example files, read by path), and real CT slices from the shared NIfTI volumes.
 */
import * as fs from 'fs';
import * as zlib from 'zlib';
import * as dcmjs from 'dcmjs';
import { readNiftiVolume } from '../../extension/src/evaluation/nifti';
import { writePart10 } from '../../extension/src/node/part10';

const data = (dcmjs as unknown as { data: DcmjsData }).data;
const dcmjsLog = (dcmjs as unknown as { log: { getLogger(n: string): { setLevel(l: string): void } } }).log;
dcmjsLog.getLogger('validation.dcmjs').setLevel('silent');

interface DcmjsData {
  DicomDict: new (meta: object) => { dict: object; write(): ArrayBuffer };
  DicomMessage: {
    readFile(b: ArrayBuffer): {
      meta: Record<string, { vr?: string; Value?: unknown[] }>;
      dict: Record<string, { vr?: string; Value?: unknown[] }>;
      write(): ArrayBuffer;
    };
  };
  DicomMetaDictionary: { denaturalizeDataset(ds: object): object; naturalizeDataset(ds: object): Record<string, unknown>; uid(): string };
}

export const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
import { SHARED_DATA } from './repoPaths';
export { SHARED_DATA };

export const TransferSyntax = {
  implicit: '1.2.840.10008.1.2',
  explicit: '1.2.840.10008.1.2.1',
  rle: '1.2.840.10008.1.2.5',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpegLossless: '1.2.840.10008.1.2.4.70',
  jpegLs: '1.2.840.10008.1.2.4.80',
  jpeg2000: '1.2.840.10008.1.2.4.90',
} as const;
export type SyntaxName = keyof typeof TransferSyntax;

export const SopClass = {
  ct: '1.2.840.10008.5.1.4.1.1.2',
  mr: '1.2.840.10008.5.1.4.1.1.4',
  enhancedCt: '1.2.840.10008.5.1.4.1.1.2.1',
  enhancedMr: '1.2.840.10008.5.1.4.1.1.4.1',
  secondaryCapture: '1.2.840.10008.5.1.4.1.1.7',
  basicTextSr: '1.2.840.10008.5.1.4.1.1.88.11',
};

let uidCounter = 0;
/** Unique, valid UIDs under a private test root (no patient data anywhere). */
export function newUid(): string {
  uidCounter++;
  return `2.25.${Date.now() % 1e12}${process.pid}${String(uidCounter).padStart(6, '0')}`;
}

/** Stored value of pixel (row, column) of slice k (index in anatomical order, 0 = most inferior). */
export type PixelFunction = (k: number, row: number, column: number) => number;

/** Default phantom: a body disc whose intensity encodes the slice index, so order can be checked. */
export const phantom: PixelFunction = (k, r, c) => {
  const d = Math.hypot(r - 31.5, c - 31.5);
  return d < 26 ? 1024 + 40 + 10 * k + ((r + c) % 7) : 0; // air outside (0 stored = -1024 HU)
};

export interface SeriesSpec {
  modality?: 'CT' | 'MR';
  studyInstanceUID?: string;
  seriesInstanceUID?: string;
  seriesNumber?: number;
  seriesDescription?: string;
  bodyPartExamined?: string;
  slices?: number;
  rows?: number;
  columns?: number;
  /** Distance between slices (mm). */
  spacingMm?: number;
  pixelSpacing?: [number, number];
  /** Slice indices (anatomical order) that are left out, making gaps. */
  omit?: number[];
  /** Instance numbers run superior → inferior (the archive's order is against the anatomy). */
  reverseInstanceNumbers?: boolean;
  /** 'axial' (default), 'sagittal' or 'coronal'. */
  orientation?: 'axial' | 'sagittal' | 'coronal';
  transferSyntax?: SyntaxName;
  bitsAllocated?: 8 | 16;
  /** 1: signed (stored = HU for CT); 0: unsigned with intercept -1024 (default for compressed). */
  pixelRepresentation?: 0 | 1;
  pixel?: PixelFunction;
  photometricInterpretation?: string;
  /** Last word on each instance's attributes (naturalized dcmjs names; undefined deletes). */
  mutate?: (dataset: Record<string, unknown>, sliceIndex: number) => void;
}

export interface BuiltInstance {
  bytes: Uint8Array;
  sopInstanceUID: string;
  instanceNumber: number;
  /** Anatomical index (0 = first along the slice normal). */
  sliceIndex: number;
  /** Stored values as written (row-major), for comparing decoded pixels. */
  stored: number[];
}

export interface BuiltSeries {
  studyInstanceUID: string;
  seriesInstanceUID: string;
  modality: string;
  rows: number;
  columns: number;
  instances: BuiltInstance[];
  files: Uint8Array[];
}

const ORIENTATION: Record<string, { iop: number[]; normal: number[] }> = {
  axial: { iop: [1, 0, 0, 0, 1, 0], normal: [0, 0, 1] },
  sagittal: { iop: [0, 1, 0, 0, 0, -1], normal: [1, 0, 0] },
  coronal: { iop: [1, 0, 0, 0, 0, -1], normal: [0, -1, 0] },
};

/** A stack of single-frame CT or MR images. */
export async function makeSeries(spec: SeriesSpec = {}): Promise<BuiltSeries> {
  const modality = spec.modality ?? 'CT';
  const rows = spec.rows ?? 64;
  const columns = spec.columns ?? 64;
  const slices = spec.slices ?? 8;
  const syntax = spec.transferSyntax ?? 'explicit';
  const bitsAllocated = spec.bitsAllocated ?? (syntax === 'jpegBaseline' ? 8 : 16);
  const pixelRepresentation = spec.pixelRepresentation ?? (syntax === 'explicit' || syntax === 'implicit' ? 1 : 0);
  const pixel = spec.pixel ?? phantom;
  const spacing = spec.spacingMm ?? 5;
  const orient = ORIENTATION[spec.orientation ?? 'axial'];
  const studyInstanceUID = spec.studyInstanceUID ?? newUid();
  const seriesInstanceUID = spec.seriesInstanceUID ?? newUid();
  const omit = new Set(spec.omit ?? []);
  const kept = Array.from({ length: slices }, (_, k) => k).filter((k) => !omit.has(k));
  const instances: BuiltInstance[] = [];
  for (const [n, k] of kept.entries()) {
    const instanceNumber = spec.reverseInstanceNumbers ? kept.length - n : n + 1;
    const stored: number[] = [];
    for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) stored.push(pixel(k, r, c));
    // Signed CT stores HU directly; unsigned stores HU + 1024.
    const position = orient.normal.map((v) => v * k * spacing - (v === 0 ? 100 : 0));
    const sopInstanceUID = newUid();
    const bytes = await writeImage({
      syntax,
      sopClassUID: modality === 'CT' ? SopClass.ct : SopClass.mr,
      sopInstanceUID,
      studyInstanceUID,
      seriesInstanceUID,
      modality,
      rows,
      columns,
      bitsAllocated,
      pixelRepresentation,
      photometricInterpretation: spec.photometricInterpretation ?? 'MONOCHROME2',
      stored,
      extra: {
        SeriesNumber: spec.seriesNumber ?? 1,
        InstanceNumber: instanceNumber,
        SeriesDescription: spec.seriesDescription ?? `${modality} test series`,
        ...(spec.bodyPartExamined ? { BodyPartExamined: spec.bodyPartExamined } : {}),
        ImagePositionPatient: position,
        ImageOrientationPatient: orient.iop,
        PixelSpacing: spec.pixelSpacing ?? [1, 1],
        SliceThickness: spacing,
        ...(modality === 'CT' ? { RescaleIntercept: pixelRepresentation === 1 ? 0 : -1024, RescaleSlope: 1, RescaleType: 'HU' } : {}),
      },
      mutate: spec.mutate ? (ds) => spec.mutate!(ds, k) : undefined,
    });
    instances.push({ bytes, sopInstanceUID, instanceNumber, sliceIndex: k, stored });
  }
  return { studyInstanceUID, seriesInstanceUID, modality, rows, columns, instances, files: instances.map((i) => i.bytes) };
}

interface ImageFields {
  syntax: SyntaxName;
  sopClassUID: string;
  sopInstanceUID: string;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  modality: string;
  rows: number;
  columns: number;
  bitsAllocated: number;
  pixelRepresentation: number;
  photometricInterpretation: string;
  stored: number[];
  frames?: number[][];
  extra: Record<string, unknown>;
  mutate?: (dataset: Record<string, unknown>) => void;
}

/** Common patient/study attributes: synthetic, no real person. */
function studyAttributes(f: Pick<ImageFields, 'studyInstanceUID' | 'seriesInstanceUID' | 'modality'>): Record<string, unknown> {
  return {
    PatientName: 'Test^Phantom',
    PatientID: 'PHANTOM-1',
    PatientBirthDate: '',
    PatientSex: 'O',
    StudyInstanceUID: f.studyInstanceUID,
    SeriesInstanceUID: f.seriesInstanceUID,
    StudyDate: '20260101',
    StudyTime: '120000',
    StudyID: '1',
    AccessionNumber: '',
    ReferringPhysicianName: '',
    Modality: f.modality,
    Manufacturer: 'body-region test factory',
  };
}

export async function writeImage(f: ImageFields): Promise<Uint8Array> {
  const frames = f.frames ?? [f.stored];
  const samples = frames.map((s) => toSampleBytes(s, f.bitsAllocated, f.pixelRepresentation));
  const encoded = await Promise.all(samples.map((s) => encodeFrame(f.syntax, s, f)));
  const encapsulated = f.syntax !== 'explicit' && f.syntax !== 'implicit';
  const bitsStored = f.bitsAllocated === 8 ? 8 : f.pixelRepresentation === 1 ? 16 : 12;
  const dataset: Record<string, unknown> = {
    ...studyAttributes(f),
    SOPClassUID: f.sopClassUID,
    SOPInstanceUID: f.sopInstanceUID,
    ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
    SamplesPerPixel: 1,
    PhotometricInterpretation: f.photometricInterpretation,
    Rows: f.rows,
    Columns: f.columns,
    BitsAllocated: f.bitsAllocated,
    BitsStored: bitsStored,
    HighBit: bitsStored - 1,
    PixelRepresentation: f.pixelRepresentation,
    ...f.extra,
    PixelData: encapsulated ? encoded.map((e) => e.buffer) : concatBytes(encoded).buffer,
    _vrMap: { PixelData: encapsulated || f.bitsAllocated === 8 ? 'OB' : 'OW' },
  };
  if (frames.length > 1) dataset.NumberOfFrames = frames.length;
  f.mutate?.(dataset);
  for (const key of Object.keys(dataset)) if (dataset[key] === undefined) delete dataset[key];
  return writePart10(dataset, TransferSyntax[f.syntax]);
}

export { writePart10 };

function toSampleBytes(stored: number[], bitsAllocated: number, pixelRepresentation: number): Uint8Array {
  if (bitsAllocated === 8) return pixelRepresentation === 1 ? new Uint8Array(Int8Array.from(stored).buffer) : Uint8Array.from(stored);
  const typed = pixelRepresentation === 1 ? Int16Array.from(stored) : Uint16Array.from(stored);
  return new Uint8Array(typed.buffer);
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  // Even length, as DICOM requires.
  return out.length % 2 ? concatBytes([out, new Uint8Array(1)]) : out;
}

const quiet = () => ({ print: () => undefined, printErr: () => undefined });
type EncoderModule = Record<string, new () => CornerstoneEncoder>;
const encoders = new Map<string, Promise<EncoderModule>>();
function encoderModule(pkg: string): Promise<EncoderModule> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the encoder package is picked by name at run time
  if (!encoders.has(pkg)) encoders.set(pkg, (require(pkg) as (m: object) => Promise<EncoderModule>)(quiet()));
  return encoders.get(pkg)!;
}

async function encodeFrame(syntax: SyntaxName, bytes: Uint8Array, f: ImageFields): Promise<Uint8Array> {
  const info = {
    width: f.columns,
    height: f.rows,
    bitsPerSample: f.bitsAllocated === 8 ? 8 : f.pixelRepresentation === 1 ? 16 : 12,
    componentCount: 1,
    isSigned: f.pixelRepresentation === 1,
    isUsingColorTransform: false,
  };
  const run = (encoder: CornerstoneEncoder, configure?: (e: CornerstoneEncoder) => void) => {
    try {
      encoder.getDecodedBuffer(info).set(bytes);
      configure?.(encoder);
      encoder.encode();
      return evenLength(encoder.getEncodedBuffer().slice());
    } finally {
      encoder.delete();
    }
  };
  switch (syntax) {
    case 'explicit':
    case 'implicit':
      return bytes;
    case 'rle':
      return evenLength(encodeRle(bytes, f.rows * f.columns, f.bitsAllocated / 8));
    case 'jpegLs':
      return run(new (await encoderModule('@cornerstonejs/codec-charls')).JpegLSEncoder());
    case 'jpeg2000':
      return run(new (await encoderModule('@cornerstonejs/codec-openjpeg')).J2KEncoder(), (e) =>
        (e as unknown as { setDecompositions(n: number): void }).setDecompositions(2),
      );
    case 'jpegBaseline':
      if (f.bitsAllocated !== 8) throw new Error('JPEG baseline needs 8-bit samples');
      return run(new (await encoderModule('@cornerstonejs/codec-libjpeg-turbo-8bit')).JPEGEncoder(), (e) =>
        (e as unknown as { setQuality(q: number): void }).setQuality(100),
      );
    case 'jpegLossless':
      throw new Error('no JPEG lossless encoder: use realExampleFile("jpegLossless")');
  }
}

function evenLength(b: Uint8Array): Uint8Array {
  return b.length % 2 ? concatBytes([b]) : b;
}

/** DICOM RLE (PackBits per byte plane, most significant plane first). */
export function encodeRle(native: Uint8Array, pixels: number, bytesPerSample: number): Uint8Array {
  const segments: Uint8Array[] = [];
  for (let plane = bytesPerSample - 1; plane >= 0; plane--) {
    const bytes = new Uint8Array(pixels);
    for (let p = 0; p < pixels; p++) bytes[p] = native[p * bytesPerSample + plane];
    segments.push(evenLength(packBits(bytes)));
  }
  const header = new Uint8Array(64);
  const view = new DataView(header.buffer);
  view.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((s, i) => {
    view.setUint32(4 + 4 * i, offset, true);
    offset += s.length;
  });
  return concatBytes([header, ...segments]);
}

function packBits(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    let run = 1;
    while (i + run < bytes.length && run < 128 && bytes[i + run] === bytes[i]) run++;
    if (run >= 3) {
      out.push(257 - run, bytes[i]); // (-run + 1) as a signed byte
      i += run;
      continue;
    }
    const start = i;
    while (i < bytes.length && i - start < 128 && !(i + 2 < bytes.length && bytes[i] === bytes[i + 1] && bytes[i] === bytes[i + 2])) i++;
    out.push(i - start - 1, ...bytes.subarray(start, i));
  }
  return Uint8Array.from(out);
}

/** An enhanced CT or MR multi-frame instance: one frame per slice, positions in per-frame groups. */
export async function makeEnhancedMultiFrame(spec: SeriesSpec = {}): Promise<BuiltSeries> {
  const modality = spec.modality ?? 'CT';
  const rows = spec.rows ?? 64;
  const columns = spec.columns ?? 64;
  const slices = spec.slices ?? 6;
  const spacing = spec.spacingMm ?? 5;
  const pixel = spec.pixel ?? phantom;
  const studyInstanceUID = spec.studyInstanceUID ?? newUid();
  const seriesInstanceUID = spec.seriesInstanceUID ?? newUid();
  const sopInstanceUID = newUid();
  // Frames stored superior → inferior: the engine must sort them by position.
  const order = Array.from({ length: slices }, (_, i) => slices - 1 - i);
  const frames = order.map((k) => {
    const s: number[] = [];
    for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) s.push(pixel(k, r, c));
    return s;
  });
  const item = (o: Record<string, unknown>) => [o];
  const bytes = await writeImage({
    syntax: spec.transferSyntax ?? 'explicit',
    sopClassUID: modality === 'CT' ? SopClass.enhancedCt : SopClass.enhancedMr,
    sopInstanceUID,
    studyInstanceUID,
    seriesInstanceUID,
    modality,
    rows,
    columns,
    bitsAllocated: 16,
    pixelRepresentation: 0,
    photometricInterpretation: 'MONOCHROME2',
    stored: frames[0],
    frames,
    extra: {
      SeriesNumber: spec.seriesNumber ?? 1,
      InstanceNumber: 1,
      SeriesDescription: spec.seriesDescription ?? `enhanced ${modality}`,
      SharedFunctionalGroupsSequence: item({
        PlaneOrientationSequence: item({ ImageOrientationPatient: [1, 0, 0, 0, 1, 0] }),
        PixelMeasuresSequence: item({ PixelSpacing: [0.8, 0.8], SliceThickness: spacing }),
        PixelValueTransformationSequence: item({ RescaleIntercept: -1024, RescaleSlope: 1, RescaleType: 'HU' }),
      }),
      PerFrameFunctionalGroupsSequence: order.map((k) => ({
        PlanePositionSequence: item({ ImagePositionPatient: [-100, -100, k * spacing] }),
        FrameContentSequence: item({ InStackPositionNumber: k + 1 }),
      })),
    },
  });
  return {
    studyInstanceUID,
    seriesInstanceUID,
    modality,
    rows,
    columns,
    instances: order.map((k, i) => ({ bytes, sopInstanceUID, instanceNumber: 1, sliceIndex: k, stored: frames[i] })),
    files: [bytes],
  };
}

/** A Basic Text SR document: a series without images. */
export function makeStructuredReport(studyInstanceUID: string = newUid()): {
  bytes: Uint8Array;
  seriesInstanceUID: string;
  sopInstanceUID: string;
} {
  const seriesInstanceUID = newUid();
  const sopInstanceUID = newUid();
  const bytes = writePart10(
    {
      ...studyAttributes({ studyInstanceUID, seriesInstanceUID, modality: 'SR' }),
      SOPClassUID: SopClass.basicTextSr,
      SOPInstanceUID: sopInstanceUID,
      SeriesNumber: 99,
      InstanceNumber: 1,
      SeriesDescription: 'dose report',
      ValueType: 'CONTAINER',
      ContinuityOfContent: 'SEPARATE',
      CompletionFlag: 'COMPLETE',
      VerificationFlag: 'UNVERIFIED',
      ConceptNameCodeSequence: [{ CodeValue: '121144', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Document Title' }],
    },
    TransferSyntax.explicit,
  );
  return { bytes, seriesInstanceUID, sopInstanceUID };
}

/** Real example files, one per transfer syntax (read by path, never copied into the repository). */
export const REAL_EXAMPLES: Record<string, string> = {
  explicit: `${SHARED_DATA}/ct/dicom/vhm_headneck/codec_ExplicitVRLittleEndian_vhm.1150.dcm`,
  implicit: `${SHARED_DATA}/ct/dicom/elastix_chest/codec_ImplicitVRLittleEndian_00-slice070.dcm`,
  deflated: `${SHARED_DATA}/ct/dicom/neg_phenix_localizer/codec_DeflatedExplicitVRLittleEndian_1.2.840.10008.1.2.1.99.dcm`,
  rle: `${SHARED_DATA}/ct/dicom/ct1_nema/codec_RLELossless_D_CLUNIE_CT1_RLE_FRAGS.dcm`,
  jpegLossless: `${SHARED_DATA}/ct/dicom/ingenuity_head/codec_JPEGLosslessSV1_IM-0001-0001-0001.dcm`,
  jpeg2000: `${SHARED_DATA}/ct/dicom/cq500_head/codec_JPEG2000_693_J2KI.dcm`,
  jpegExtended: `${PYDICOM_FILES}/JPGExtended.dcm`,
  jpegLsMr: `${PYDICOM_FILES}/MR_small_jpeg_ls_lossless.dcm`,
  enhancedMr: `${SHARED_DATA}/mr/dicom/sampler/02_1901_WIP_3DpCASL_real.dcm`,
};

/**
 * A real file with new study/series/SOP UIDs, so several copies of one example (or the MR_small
 * family, which shares UIDs across syntaxes) can live in one archive.
 */
export function withNewUids(
  path: string,
  uids: { studyInstanceUID?: string; seriesInstanceUID?: string; sopInstanceUID?: string } = {},
): {
  bytes: Uint8Array;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  sopInstanceUID: string;
} {
  const parsed = data.DicomMessage.readFile(readArrayBuffer(path));
  if (String(parsed.meta['00020010']?.Value?.[0]) === '1.2.840.10008.1.2.1.99') {
    // dcmjs cannot write Deflated syntax back: keep the file as it is, with its own UIDs.
    const uid = (tag: string) => String(parsed.dict[tag]?.Value?.[0]);
    return {
      bytes: new Uint8Array(readArrayBuffer(path)),
      studyInstanceUID: uid('0020000D'),
      seriesInstanceUID: uid('0020000E'),
      sopInstanceUID: uid('00080018'),
    };
  }
  const studyInstanceUID = uids.studyInstanceUID ?? newUid();
  const seriesInstanceUID = uids.seriesInstanceUID ?? newUid();
  const sopInstanceUID = uids.sopInstanceUID ?? newUid();
  parsed.dict['0020000D'] = { vr: 'UI', Value: [studyInstanceUID] };
  parsed.dict['0020000E'] = { vr: 'UI', Value: [seriesInstanceUID] };
  parsed.dict['00080018'] = { vr: 'UI', Value: [sopInstanceUID] };
  parsed.meta['00020003'] = { vr: 'UI', Value: [sopInstanceUID] };
  // The real files' patient attributes are replaced too: tests never carry names.
  parsed.dict['00100010'] = { vr: 'PN', Value: [{ Alphabetic: 'Test^Phantom' }] };
  // One patient for all test files, or Orthanc files the same study UID under several patients.
  parsed.dict['00100020'] = { vr: 'LO', Value: ['PHANTOM-1'] };
  return { bytes: new Uint8Array(parsed.write()), studyInstanceUID, seriesInstanceUID, sopInstanceUID };
}

/**
 * A file's bytes in an ArrayBuffer of this realm: under jest, Buffers come from Node's realm and
 * dcmjs' `instanceof ArrayBuffer` checks would fail on them.
 */
export function readArrayBuffer(path: string): ArrayBuffer {
  const b = fs.readFileSync(path);
  const out = new ArrayBuffer(b.byteLength);
  new Uint8Array(out).set(b);
  return out;
}

/** In-plane pixel spacing (pixdim[1], pixdim[2]) straight from the NIfTI-1 header (offset 76). */
function niftiPixelSpacing(path: string): [number, number] {
  const raw = fs.readFileSync(path);
  const header = path.endsWith('.gz') ? zlib.gunzipSync(raw).subarray(0, 348) : raw.subarray(0, 348);
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  return [view.getFloat32(80, true), view.getFloat32(84, true)];
}

/**
 * A real CT stack from a shared NIfTI volume, as signed HU. The DICOM frame of slice k is
 * volume[:, :, k].T, i.e. rows = dims[1], columns = dims[0], row-major = the volume's own layout.
 * Slice 0 is the most inferior; instance numbers run superior → inferior as many scanners do.
 */
export async function makeSeriesFromNifti(
  path: string,
  opts: {
    slices?: number[];
    transferSyntax?: SyntaxName;
    studyInstanceUID?: string;
    modality?: 'CT' | 'MR';
    seriesDescription?: string;
  } = {},
): Promise<BuiltSeries & { sliceIndices: number[] }> {
  // NIfTI volumes are read by the evaluation's reader.
  const volume = await readNiftiVolume(path);
  const [nx, ny, nz] = [volume.columns, volume.rows, volume.slices];
  const sliceIndices = opts.slices ?? Array.from({ length: nz }, (_, k) => k);
  const [colMm, rowMm] = niftiPixelSpacing(path);
  const sliceMm = volume.sliceSpacingMm;
  const keep = new Set(sliceIndices);
  const series = await makeSeries({
    modality: opts.modality ?? 'CT',
    studyInstanceUID: opts.studyInstanceUID,
    slices: nz,
    omit: Array.from({ length: nz }, (_, k) => k).filter((k) => !keep.has(k)),
    rows: ny,
    columns: nx,
    spacingMm: sliceMm,
    pixelSpacing: [rowMm, colMm],
    reverseInstanceNumbers: true,
    transferSyntax: opts.transferSyntax ?? 'explicit',
    pixelRepresentation: 1,
    seriesDescription: opts.seriesDescription,
    pixel: (k, r, c) => Math.round(volume.data[c + r * nx + k * nx * ny] * volume.rescaleSlope + volume.rescaleIntercept),
  });
  // Positions follow the true slice indices, so thinned selections keep their real distances.
  return { ...series, sliceIndices };
}
