/**
 * DICOM-like frame metadata for the slices of a NIfTI volume, so that a data-set series can go
 * through the engine's whole pipeline (classifySeries: geometry → preprocess → infer → decode)
 * exactly like a series from an archive.
 *
 * Geometry is what the data set knows: slice k at k × spacing along the normal of the series'
 * orientation (axial: +z, so index 0 is the most inferior, as the volumes are stored). Series whose
 * spacing is unknown (no slice_mm: screenshots, key slices) get no geometry at all, as such images
 * would arrive from an archive; the engine then treats each frame as a single image.
 */
import type { FrameMeta } from '../engine/types';
import type { SeriesRecord } from './dataset';

const SOP_CLASS: Record<string, string> = {
  CT: '1.2.840.10008.5.1.4.1.1.2', // CT Image Storage
  MR: '1.2.840.10008.5.1.4.1.1.4', // MR Image Storage
};
const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';

type Iop = [number, number, number, number, number, number];
const S45 = Math.SQRT1_2;

/** Row and column directions per orientation; the normal is row × column. */
const ORIENTATIONS: Record<string, Iop> = {
  axial: [1, 0, 0, 0, 1, 0], // normal +z
  sagittal: [0, 1, 0, 0, 0, -1], // normal −x
  coronal: [1, 0, 0, 0, 0, -1], // normal +y
  oblique: [1, 0, 0, 0, S45, S45], // normal (0, −0.71, 0.71): 45° from axial
};

function normalOf(iop: Iop): [number, number, number] {
  const [a, b, c, d, e, f] = iop;
  return [b * f - c * e, c * d - a * f, a * e - b * d];
}

/** A stable UID-like string from the series id (no registry root: these never leave the process). */
function uidPart(id: string): string {
  let h = 0;
  for (const ch of id) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return String(h);
}

export function sopInstanceUidOf(seriesUid: string, k: number): string {
  return `${seriesUid}.${k + 1}`;
}

export function syntheticFrames(
  series: SeriesRecord,
  volume: { rows: number; columns: number; slices: number; sliceSpacingMm: number },
  lut: { rescaleSlope: number; rescaleIntercept: number },
  pixelSpacing: [number, number] | null,
): FrameMeta[] {
  const seriesUid = `2.25.${uidPart(series.id)}`;
  const iop = series.sliceMm === null ? undefined : ORIENTATIONS[series.orientation];
  const normal = iop ? normalOf(iop) : null;
  return Array.from({ length: volume.slices }, (_, k): FrameMeta => ({
    studyInstanceUID: `${seriesUid}.0`,
    seriesInstanceUID: seriesUid,
    sopInstanceUID: sopInstanceUidOf(seriesUid, k),
    sopClassUID: SOP_CLASS[series.modality] ?? SECONDARY_CAPTURE,
    frameNumber: 1,
    numberOfFrames: 1,
    instanceNumber: k + 1,
    modality: series.modality,
    rows: volume.rows,
    columns: volume.columns,
    bitsAllocated: 16,
    bitsStored: 16,
    pixelRepresentation: 1,
    samplesPerPixel: 1,
    photometricInterpretation: 'MONOCHROME2',
    rescaleSlope: lut.rescaleSlope,
    rescaleIntercept: lut.rescaleIntercept,
    ...(iop && normal
      ? {
          imageOrientationPatient: iop,
          imagePositionPatient: normal.map((n) => n * k * volume.sliceSpacingMm) as [number, number, number],
          sliceThickness: volume.sliceSpacingMm,
        }
      : {}),
    // In-plane spacing is known whenever the source gave it, with or without a slice geometry (br-pre-2 uses it).
    ...(pixelSpacing ? { pixelSpacing } : {}),
    manufacturer: series.manufacturer || undefined,
    bodyPartExamined: series.bodyPartExamined || undefined,
  }));
}
