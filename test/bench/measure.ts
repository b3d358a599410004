/**
 * The measured work, the same code in Node and in the browser page (no Node or DOM imports):
 * one classification of the benchmark series in a given mode, and a pure-inference throughput run.
 */
import { classifySeries } from '../../extension/src/engine/pipeline';
import { DicomWebArchive } from '../../extension/src/engine/fetch/dicomWebArchive';
import { DicomWebPixelSource } from '../../extension/src/engine/fetch/DicomWebPixelSource';
import { metadataToFrames } from '../../extension/src/engine/fetch/metadataToFrames';
import { preprocessFrame } from '../../extension/src/engine/preprocess/preprocessFrame';
import type { BodyRegionModel } from '../../extension/src/engine/infer/BodyRegionModel';
import type { FrameMeta } from '../../extension/src/engine/types';
import type { SeriesResult } from '../../extension/src/engine/results/schema';

export type Mode = 'fast' | 'exhaustive';

export interface SeriesRef {
  /** DICOMweb root as this host reaches it (Node: http://127.0.0.1:port/dicom-web; page: same-origin). */
  dicomWebUrl: string;
  studyInstanceUID: string;
  seriesInstanceUID: string;
}

export interface RunOptions {
  batchSize?: number;
  concurrency?: number;
  /** Frames in flight in the archive client (DicomWebArchive concurrency). */
  requestConcurrency?: number;
  /** Fast mode's first sampling distance (mm); engine default when absent. */
  sampleMm?: number;
  /** Return every classified slice's probabilities of stack 0 (Node: for the simulated sweep). */
  keepProbabilities?: boolean;
}

/** A decoded region run of one stack (indices in anatomical order, inclusive). */
export interface MapSegment {
  stackIndex: number;
  label: string;
  firstIndex: number;
  lastIndex: number;
}

export interface ModeRun {
  mode: Mode;
  /** Metadata request + classifySeries: what a user waits for, from "classify" to the map. */
  wallSeconds: number;
  metadataSeconds: number;
  classifySeconds: number;
  framesTotal: number;
  framesFetched: number;
  framesClassified: number;
  framesFailed: number;
  /** Pixel bytes as decoded by the client's multipart parser (the proxy counts HTTP bytes too). */
  pixelBytes: number;
  fetchMs: number;
  preprocessMs: number;
  inferMs: number;
  decodeMs: number;
  error: string | null;
  segments: MapSegment[];
  regions: string[];
  /** Stack 0, anatomical order: probabilities (null where not classified) and positions; only with keepProbabilities. */
  stack0?: { probabilities: Array<number[] | null>; positionsMm: number[] };
}

const now = () => performance.now();

export async function seriesFrames(ref: SeriesRef, archive: DicomWebArchive): Promise<FrameMeta[]> {
  return metadataToFrames(await archive.retrieveSeriesMetadata(ref.studyInstanceUID, ref.seriesInstanceUID));
}

/** One classification of the series from scratch (fresh archive client, metadata fetched again). */
export async function runMode(ref: SeriesRef, model: BodyRegionModel, mode: Mode, opts: RunOptions = {}): Promise<ModeRun> {
  const t0 = now();
  const archive = new DicomWebArchive({ url: ref.dicomWebUrl, concurrency: opts.requestConcurrency });
  const frames = await seriesFrames(ref, archive);
  const t1 = now();
  const pixels = new DicomWebPixelSource(archive);
  const result = await classifySeries({
    frames,
    pixels,
    model,
    mode,
    batchSize: opts.batchSize,
    concurrency: opts.concurrency,
    sampleMm: opts.sampleMm,
  });
  const t2 = now();
  return {
    mode,
    wallSeconds: (t2 - t0) / 1000,
    metadataSeconds: (t1 - t0) / 1000,
    classifySeconds: (t2 - t1) / 1000,
    framesTotal: result.timing.framesTotal,
    framesFetched: result.timing.framesFetched,
    framesClassified: result.timing.framesClassified,
    framesFailed: result.timing.framesFailed,
    pixelBytes: pixels.stats.bytes,
    fetchMs: result.timing.fetchMs,
    preprocessMs: result.timing.preprocessMs,
    inferMs: result.timing.inferMs,
    decodeMs: result.timing.decodeMs,
    error: result.error ? `${result.error.code}: ${result.error.message}` : null,
    segments: result.segments.map((s) => ({ stackIndex: s.stackIndex, label: s.label, firstIndex: s.firstIndex, lastIndex: s.lastIndex })),
    regions: result.regions,
    ...(opts.keepProbabilities ? { stack0: stackZero(result.images) } : {}),
  };
}

function stackZero(images: SeriesResult['images']): NonNullable<ModeRun['stack0']> {
  const own = images.filter((im) => im.stackIndex === 0 && im.positionMm !== null);
  const n = own.reduce((m, im) => Math.max(m, im.sliceIndex + 1), 0);
  const probabilities: Array<number[] | null> = new Array(n).fill(null);
  const positionsMm: number[] = new Array(n).fill(0);
  for (const im of own) {
    // Duplicates point at their kept slice: keep the kept slice's own row.
    if (probabilities[im.sliceIndex] === null) probabilities[im.sliceIndex] = im.probabilities;
    positionsMm[im.sliceIndex] = im.positionMm as number;
  }
  return { probabilities, positionsMm };
}

export interface InferenceRun {
  images: number;
  batchSize: number;
  seconds: number;
  imagesPerSecond: number;
  /** Milliseconds per image, fetch and preprocessing excluded. */
  msPerImage: number;
  /** With repeats: images/s of every run (this run is their median). */
  imagesPerSecondRuns?: number[];
}

/**
 * Pure inference throughput on real preprocessed frames of the series (fetched and preprocessed
 * before the clock starts): `images` images in batches of `batchSize`, after one warm-up batch.
 */
export async function measureInference(
  ref: SeriesRef,
  model: BodyRegionModel,
  images: number,
  batchSize = 16,
  sampleFrames = 16,
): Promise<InferenceRun> {
  const archive = new DicomWebArchive({ url: ref.dicomWebUrl });
  const frames = await seriesFrames(ref, archive);
  const pixels = new DicomWebPixelSource(archive);
  const S = model.inputSize;
  const per = 3 * S * S;
  const count = Math.min(sampleFrames, frames.length);
  const sample = new Float32Array(count * per);
  for (let i = 0; i < count; i++) {
    const frame = frames[Math.floor(((i + 0.5) * frames.length) / count)];
    preprocessFrame(await pixels.getPixels(frame), frame, S, sample, i * per, model.manifest.preprocessing);
  }
  const batch = new Float32Array(batchSize * per);
  for (let i = 0; i < batchSize; i++) batch.set(sample.subarray((i % count) * per, ((i % count) + 1) * per), i * per);
  await model.classify(batch, batchSize); // warm-up
  const batches = Math.max(1, Math.ceil(images / batchSize));
  const t0 = now();
  for (let b = 0; b < batches; b++) await model.classify(batch, batchSize);
  const seconds = (now() - t0) / 1000;
  const n = batches * batchSize;
  return { images: n, batchSize, seconds, imagesPerSecond: n / seconds, msPerImage: (seconds * 1000) / n };
}
