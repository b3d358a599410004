/**
 * Runs the engine over the series of a data set, slice by slice, exactly as the viewer would:
 * the engine's preprocessing (models/PREPROCESSING.md), the shipped ONNX model through
 * BodyRegionModel, and the engine's sequence decoder over each stack.
 */
import { preprocessFrame } from '../engine/preprocess/preprocessFrame';
import { decodeSequence } from '../engine/decode/decodeSequence';
import type { BodyRegionModel } from '../engine/infer/BodyRegionModel';
import type { SeriesRecord } from './dataset';
import type { SeriesOutcome } from './outcome';
import { modalityLutFor } from './eightBitCt';
import { displayFrame, readNiftiVolume, slicePositionsMm } from './nifti';


export function argmaxRows(probabilities: Float32Array, numClasses: number): number[] {
  const out: number[] = [];
  for (let offset = 0; offset < probabilities.length; offset += numClasses) {
    let best = 0;
    for (let k = 1; k < numClasses; k++) if (probabilities[offset + k] > probabilities[offset + best]) best = k;
    out.push(best);
  }
  return out;
}

export function isDecodedAsStack(series: Pick<SeriesRecord, 'kind' | 'slices'>): boolean {
  return series.kind !== 'single' && series.slices >= 2;
}

export async function classifySeriesVolume(
  series: SeriesRecord,
  model: BodyRegionModel,
  batchSize = 32,
): Promise<SeriesOutcome> {
  const volume = await readNiftiVolume(series.volumePath);
  if (volume.slices !== series.slices) {
    throw new Error(`${series.id}: volume has ${volume.slices} slices, series.csv says ${series.slices}`);
  }
  const size = model.inputSize;
  const numClasses = model.labelNames.length;
  const lut = modalityLutFor(series, volume);
  const meta = {
    modality: series.modality,
    rescaleSlope: lut.rescaleSlope,
    rescaleIntercept: lut.rescaleIntercept,
    photometricInterpretation: 'MONOCHROME2',
  };
  const frameValues = 3 * size * size;
  const batch = new Float32Array(batchSize * frameValues);
  const probabilities = new Float32Array(volume.slices * numClasses);
  for (let start = 0; start < volume.slices; start += batchSize) {
    const count = Math.min(batchSize, volume.slices - start);
    for (let i = 0; i < count; i++) preprocessFrame(displayFrame(volume, start + i), meta, size, batch, i * frameValues);
    const p = await model.classify(batch.subarray(0, count * frameValues), count);
    probabilities.set(p.subarray(0, count * numClasses), start * numClasses);
  }
  const rawIndex = argmaxRows(probabilities, numClasses);
  const raw = rawIndex.map((k) => model.labelNames[k]);
  const rawConfidence = rawIndex.map((k, i) => probabilities[i * numClasses + k]);
  const isStack = isDecodedAsStack(series);
  // Spacing unknown (no slice_mm in series.csv; pixdim holds a placeholder): let the decoder assume even steps.
  const positionsMm = series.sliceMm === null ? null : slicePositionsMm(volume);
  const decoded = isStack ? decodeSequence(probabilities, model.labelNames, positionsMm).labels : raw;
  return {
    series,
    isStack,
    positionsMm,
    eightBitRemapped: lut.eightBit,
    truth: series.sliceLabels,
    raw,
    decoded,
    rawConfidence,
  };
}
