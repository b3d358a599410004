import type { FrameMeta } from '../../extension/src/engine/types';

export const AXIAL_IOP: FrameMeta['imageOrientationPatient'] = [1, 0, 0, 0, 1, 0];
export const SAGITTAL_IOP: FrameMeta['imageOrientationPatient'] = [0, 1, 0, 0, 0, -1];
export const CORONAL_IOP: FrameMeta['imageOrientationPatient'] = [1, 0, 0, 0, 0, -1];

/** A CT frame's metadata with sensible defaults; override what a test is about. */
export function makeFrame(over: Partial<FrameMeta> & { sopInstanceUID: string }): FrameMeta {
  return {
    studyInstanceUID: '1.2.3',
    seriesInstanceUID: '1.2.3.4',
    sopClassUID: '1.2.840.10008.5.1.4.1.1.2',
    frameNumber: 1,
    numberOfFrames: 1,
    modality: 'CT',
    rows: 8,
    columns: 8,
    bitsAllocated: 16,
    bitsStored: 16,
    pixelRepresentation: 1,
    samplesPerPixel: 1,
    photometricInterpretation: 'MONOCHROME2',
    rescaleSlope: 1,
    rescaleIntercept: 0,
    ...over,
  };
}

/** An axial series: one frame per z (mm), instance numbers in the given order. */
export function axialSeries(zs: number[], prefix = 'sop'): FrameMeta[] {
  return zs.map((z, i) =>
    makeFrame({
      sopInstanceUID: `${prefix}.${i + 1}`,
      instanceNumber: i + 1,
      imagePositionPatient: [-100, -100, z],
      imageOrientationPatient: AXIAL_IOP,
      pixelSpacing: [0.8, 0.8],
    }),
  );
}
