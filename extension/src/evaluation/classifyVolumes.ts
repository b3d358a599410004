/**
 * Runs the engine's own pipeline (classifySeries: geometry → preprocess → infer → sequence decoding,
 * the code the viewer and the CLI run) over one series of a data set: the NIfTI slices are served as
 * the frames' pixels, with DICOM-like metadata from series.csv (syntheticFrames.ts).
 */
import { classifySeries, type ClassifySeriesInput } from '../engine/pipeline';
import type { SiteAdapter } from '../engine/adapt/adapter';
import type { SeriesResult } from '../engine/results/schema';
import { knownOutputsFromResult } from '../engine/results/knownOutputs';
import type { BodyRegionModel } from '../engine/infer/BodyRegionModel';
import type { FrameMeta, PixelSource } from '../engine/types';
import type { SeriesRecord } from './dataset';
import { modalityLutFor } from './eightBitCt';
import { displayFrame, readNiftiVolume, slicePositionsMm } from './nifti';
import type { SeriesOutcome } from './outcome';
import { syntheticFrames } from './syntheticFrames';

export type EvaluationMode = 'exhaustive' | 'fast';

export interface VolumeClassifyOptions {
  batchSize?: number;
  mode?: EvaluationMode;
  adapter?: SiteAdapter | null;
  /** Outputs of an earlier run (knownOutputsFromResult): re-decode without reading or inferring again. */
  known?: ClassifySeriesInput['known'];
}

/** The engine's result too, with each image's slice index in the volume (for embeddings and truth). */
export interface DetailedVolumeOutcome {
  outcome: SeriesOutcome;
  result: SeriesResult;
  sliceOf: Map<string, number>;
  volume: VolumeFrames;
}

/** What the engine saw of a volume: enough to decode it again without reading it. */
export interface VolumeFrames {
  frames: FrameMeta[];
  sliceOf: Map<string, number>;
  positionsMm: number[];
  eightBitRemapped: boolean;
}

export async function classifySeriesVolume(
  series: SeriesRecord,
  model: BodyRegionModel,
  options: VolumeClassifyOptions = {},
): Promise<SeriesOutcome> {
  return (await classifySeriesVolumeDetailed(series, model, options)).outcome;
}

export async function classifySeriesVolumeDetailed(
  series: SeriesRecord,
  model: BodyRegionModel,
  options: VolumeClassifyOptions = {},
): Promise<DetailedVolumeOutcome> {
  const volume = await readNiftiVolume(series.volumePath);
  if (volume.slices !== series.slices) {
    throw new Error(`${series.id}: volume has ${volume.slices} slices, series.csv says ${series.slices}`);
  }
  const lut = modalityLutFor(series, volume);
  const frames = syntheticFrames(series, volume, lut, series.rowMm && series.colMm ? [series.rowMm, series.colMm] : null);
  const sliceOf = new Map(frames.map((f, k) => [f.sopInstanceUID, k]));
  const pixels: PixelSource = {
    getPixels: async (frame: FrameMeta) => displayFrame(volume, (sliceOf.get(frame.sopInstanceUID) as number) ?? -1),
  };
  return collect(
    series,
    { frames, sliceOf, positionsMm: slicePositionsMm(volume), eightBitRemapped: lut.eightBit },
    pixels,
    model,
    options,
  );
}

/**
 * The series again, from the embeddings its first run kept (no volume read, no inference), with
 * another site adapter (or none): what `evaluate --simulate-sites` does for every site.
 */
export async function redecodeSeriesVolume(
  first: DetailedVolumeOutcome,
  model: BodyRegionModel,
  adapter: SiteAdapter | null,
): Promise<DetailedVolumeOutcome> {
  const noPixels: PixelSource = {
    getPixels: async () => {
      throw new Error('re-decoding needs every image in the first run');
    },
  };
  return collect(first.outcome.series, first.volume, noPixels, model, { adapter, known: knownOutputsFromResult(first.result) });
}

async function collect(
  series: SeriesRecord,
  volume: VolumeFrames,
  pixels: PixelSource,
  model: BodyRegionModel,
  options: VolumeClassifyOptions,
): Promise<DetailedVolumeOutcome> {
  const { frames, sliceOf } = volume;
  const mode = options.mode ?? 'exhaustive';
  const result = await classifySeries({
    frames,
    pixels,
    model,
    mode,
    batchSize: options.batchSize ?? 32,
    adapter: options.adapter,
    known: options.known,
  });
  if (result.error) throw new Error(`${series.id}: the engine reported ${result.error.code}: ${result.error.message}`);

  const n = series.slices;
  const raw = new Array<string | null>(n).fill(null);
  const decoded = new Array<string | null>(n).fill(null);
  const rawConfidence = new Array<number>(n).fill(0);
  for (const image of result.images) {
    const k = sliceOf.get(image.sopInstanceUID);
    if (k === undefined) throw new Error(`${series.id}: the engine returned an unknown image ${image.sopInstanceUID}`);
    if (image.error) throw new Error(`${series.id} slice ${k}: ${image.error}`);
    raw[k] = image.label;
    decoded[k] = image.decodedLabel;
    if (image.label && image.probabilities) rawConfidence[k] = image.probabilities[model.labelNames.indexOf(image.label)];
  }
  const missing = decoded.findIndex((l) => l === null);
  if (missing >= 0) throw new Error(`${series.id}: the engine gave slice ${missing} no label`);
  const isStack = result.stacks.some((s) => s.kind === 'stack');
  const outcome: SeriesOutcome = {
    series,
    isStack,
    positionsMm: isStack ? volume.positionsMm : null,
    eightBitRemapped: volume.eightBitRemapped,
    truth: series.sliceLabels,
    // Fast mode leaves some images unclassified: their raw label is the decoded one (classified marks them).
    raw: raw.map((l, k) => l ?? (decoded[k] as string)),
    classified: raw.map((l) => l !== null),
    decoded: decoded as string[],
    rawConfidence,
  };
  return { outcome, result, sliceOf, volume };
}
