/**
 * WADO-RS series metadata (DICOM JSON model) → one FrameMeta per frame. Enhanced multi-frame
 * instances are expanded with their per-frame and shared functional groups.
 */
import { DicomJsonDataset, Tags, getBinary, getNumber, getNumbers, getSequence, getSequenceItem, getString, getStrings } from './dicomJson';
import type { DecodableFrameMeta, PaletteLut } from './frameInfo';

/** Why an instance produced no frames (not an image, or an image the engine cannot use). */
export interface SkippedInstance {
  sopInstanceUID: string;
  sopClassUID: string;
  reason: string;
}

export interface MetadataFrames {
  frames: DecodableFrameMeta[];
  skipped: SkippedInstance[];
}

export function metadataToFrames(instances: DicomJsonDataset[]): DecodableFrameMeta[] {
  return metadataToFramesWithReasons(instances).frames;
}

export function metadataToFramesWithReasons(instances: DicomJsonDataset[]): MetadataFrames {
  const frames: DecodableFrameMeta[] = [];
  const skipped: SkippedInstance[] = [];
  instances.forEach((instance, index) => {
    const sopInstanceUID = getString(instance, Tags.SOPInstanceUID) ?? '';
    const sopClassUID = getString(instance, Tags.SOPClassUID) ?? '';
    const reason = whyNotAnImage(instance);
    if (reason) {
      skipped.push({ sopInstanceUID, sopClassUID, reason });
      return;
    }
    frames.push(...instanceFrames(instance, index));
  });
  return { frames, skipped };
}

function whyNotAnImage(ds: DicomJsonDataset): string | null {
  const rows = getNumber(ds, Tags.Rows);
  const columns = getNumber(ds, Tags.Columns);
  if (!rows || !columns) {
    const modality = getString(ds, Tags.Modality) ?? 'unknown modality';
    return `not an image (${modality}, no Rows/Columns)`;
  }
  // Pixel data itself may be absent from metadata (some archives omit the BulkDataURI): Rows and
  // Columns are enough to try fetching frames.
  return null;
}

function instanceFrames(ds: DicomJsonDataset, sourceIndex: number): DecodableFrameMeta[] {
  const numberOfFrames = Math.max(1, Math.round(getNumber(ds, Tags.NumberOfFrames) ?? 1));
  const shared = getSequence(ds, Tags.SharedFunctionalGroupsSequence)?.[0];
  const perFrame = getSequence(ds, Tags.PerFrameFunctionalGroupsSequence);
  const base = instanceBase(ds, numberOfFrames, sourceIndex);
  const out: DecodableFrameMeta[] = [];
  for (let f = 0; f < numberOfFrames; f++) {
    const groups = [perFrame?.[f], shared];
    const position = fromGroups(groups, Tags.PlanePositionSequence, Tags.ImagePositionPatient, 3);
    const orientation = fromGroups(groups, Tags.PlaneOrientationSequence, Tags.ImageOrientationPatient, 6);
    const spacing = fromGroups(groups, Tags.PixelMeasuresSequence, Tags.PixelSpacing, 2);
    const thickness = fromGroups(groups, Tags.PixelMeasuresSequence, Tags.SliceThickness, 1);
    const slope = fromGroups(groups, Tags.PixelValueTransformationSequence, Tags.RescaleSlope, 1);
    const intercept = fromGroups(groups, Tags.PixelValueTransformationSequence, Tags.RescaleIntercept, 1);
    const frame: DecodableFrameMeta = { ...base, frameNumber: f + 1 };
    const ipp = position ?? getNumbers(ds, Tags.ImagePositionPatient);
    const iop = orientation ?? getNumbers(ds, Tags.ImageOrientationPatient);
    const ps = spacing ?? getNumbers(ds, Tags.PixelSpacing);
    if (ipp && ipp.length >= 3) frame.imagePositionPatient = [ipp[0], ipp[1], ipp[2]];
    else delete frame.imagePositionPatient;
    if (iop && iop.length >= 6) frame.imageOrientationPatient = [iop[0], iop[1], iop[2], iop[3], iop[4], iop[5]];
    else delete frame.imageOrientationPatient;
    if (ps && ps.length >= 2 && ps[0] > 0 && ps[1] > 0) frame.pixelSpacing = [ps[0], ps[1]];
    else delete frame.pixelSpacing;
    const st = thickness?.[0] ?? getNumber(ds, Tags.SliceThickness);
    if (st !== undefined) frame.sliceThickness = st;
    if (slope) frame.rescaleSlope = slope[0];
    if (intercept) frame.rescaleIntercept = intercept[0];
    out.push(frame);
  }
  return out;
}

/** A value from the first functional group (per-frame, then shared) whose macro holds it. */
function fromGroups(groups: Array<DicomJsonDataset | undefined>, macroTag: string, tag: string, minLength: number): number[] | undefined {
  for (const group of groups) {
    const item = getSequenceItem(group, macroTag);
    const v = getNumbers(item, tag);
    if (v && v.length >= minLength) return v;
  }
  return undefined;
}

function instanceBase(ds: DicomJsonDataset, numberOfFrames: number, sourceIndex: number): DecodableFrameMeta {
  const bitsAllocated = getNumber(ds, Tags.BitsAllocated) ?? 16;
  const bitsStored = getNumber(ds, Tags.BitsStored) ?? bitsAllocated;
  const slope = getNumber(ds, Tags.RescaleSlope);
  const intercept = getNumber(ds, Tags.RescaleIntercept);
  const frame: DecodableFrameMeta = {
    studyInstanceUID: getString(ds, Tags.StudyInstanceUID) ?? '',
    seriesInstanceUID: getString(ds, Tags.SeriesInstanceUID) ?? '',
    sopInstanceUID: getString(ds, Tags.SOPInstanceUID) ?? '',
    sopClassUID: getString(ds, Tags.SOPClassUID) ?? '',
    frameNumber: 1,
    numberOfFrames,
    modality: getString(ds, Tags.Modality) ?? '',
    rows: getNumber(ds, Tags.Rows) ?? 0,
    columns: getNumber(ds, Tags.Columns) ?? 0,
    bitsAllocated,
    bitsStored,
    highBit: getNumber(ds, Tags.HighBit) ?? bitsStored - 1,
    pixelRepresentation: getNumber(ds, Tags.PixelRepresentation) ?? 0,
    samplesPerPixel: getNumber(ds, Tags.SamplesPerPixel) ?? 1,
    photometricInterpretation: getString(ds, Tags.PhotometricInterpretation) ?? 'MONOCHROME2',
    planarConfiguration: getNumber(ds, Tags.PlanarConfiguration) ?? 0,
    rescaleSlope: slope !== undefined && slope !== 0 ? slope : 1,
    rescaleIntercept: intercept ?? 0,
    sourceIndex,
  };
  const instanceNumber = getNumber(ds, Tags.InstanceNumber);
  if (instanceNumber !== undefined) frame.instanceNumber = instanceNumber;
  const ts = getString(ds, Tags.TransferSyntaxUID);
  if (ts) frame.transferSyntaxUID = ts;
  const bodyPart = getString(ds, Tags.BodyPartExamined);
  if (bodyPart) frame.bodyPartExamined = bodyPart;
  const description = getString(ds, Tags.SeriesDescription);
  if (description) frame.seriesDescription = description;
  const manufacturer = getString(ds, Tags.Manufacturer);
  if (manufacturer) frame.manufacturer = manufacturer;
  const imageType = getStrings(ds, Tags.ImageType);
  if (imageType) frame.imageType = imageType;
  if (frame.photometricInterpretation === 'PALETTE COLOR') {
    const palette = readPalette(ds);
    if (palette) frame.palette = palette;
  }
  return frame;
}

function readPalette(ds: DicomJsonDataset): PaletteLut | undefined {
  const descriptor = getNumbers(ds, Tags.RedPaletteDescriptor);
  const red = getBinary(ds, Tags.RedPaletteData);
  const green = getBinary(ds, Tags.GreenPaletteData);
  const blue = getBinary(ds, Tags.BluePaletteData);
  if (!descriptor || descriptor.length < 3 || !red || !green || !blue) return undefined;
  const entries = descriptor[0] === 0 ? 65536 : descriptor[0];
  const bits = descriptor[2] === 8 && red.byteLength === entries ? 8 : 16;
  const view = (b: Uint8Array) => (bits === 8 ? b : new Uint16Array(b.slice().buffer, 0, Math.floor(b.byteLength / 2)));
  return { firstMapped: descriptor[1], entries, bits, red: view(red), green: view(green), blue: view(blue) };
}
