/**
 * One series, end to end: geometry → fetch (bounded concurrency) → preprocess into a batch buffer →
 * batched inference (overlapping the fetches) → sequence decoding per stack → segments → summary.
 * The stages live beside this file: frameClassifier (I/O and inference), modes (exhaustive, fast),
 * assemble (images, segments, stacks); this file only puts the result together.
 */
import type { FrameMeta, PixelSource } from '../types';
import { buildStacks } from '../geometry/buildStacks';
import { DEFAULT_SAMPLE_MM } from '../decode/coarseToFine';
import { summariseSeries } from '../summarise/summariseSeries';
import { SERIES_RESULT_SCHEMA, type ResultError, type SeriesResult } from '../results/schema';
import { emptyTiming, failedSeriesResult } from '../results/failedResult';
import { nonImageReason } from '../geometry/sopClasses';
import { abortError, isAbort, message, ModelRunError } from './errors';
import { FrameClassifier, now, type FrameClassifierOptions } from './frameClassifier';
import { classifyExhaustive, classifyFast } from './modes';
import { assembleSeries } from './assemble';

export { summariseStudy } from '../summarise/summariseStudy';
export { ModelRunError } from './errors';
export type { SliceClassifier, KnownFrameOutputs } from './frameClassifier';

export interface ClassifySeriesInput extends FrameClassifierOptions {
  frames: FrameMeta[];
  pixels: PixelSource;
  /** 'exhaustive' classifies every image; 'fast' samples every `sampleMm` and bisects boundaries. */
  mode?: 'exhaustive' | 'fast';
  batchSize?: number;
  /** Distance between the first samples in fast mode (mm); DEFAULT_SAMPLE_MM (50) when absent. */
  sampleMm?: number;
}

/**
 * Classifies every image of one series and decodes it into regions. Never throws for bad input or
 * failed frames (see `error` and `images[].error`); rejects only with an AbortError when `signal`
 * aborts.
 */
export async function classifySeries(input: ClassifySeriesInput): Promise<SeriesResult> {
  const t0 = now();
  const { frames, model, signal } = input;
  const mode = input.mode ?? 'exhaustive';
  const first = frames[0];
  const timing = emptyTiming(frames.length);
  const base = {
    schema: SERIES_RESULT_SCHEMA,
    model: { id: model.manifest.modelId, version: model.manifest.version },
    mode,
    studyInstanceUID: first?.studyInstanceUID ?? '',
    seriesInstanceUID: first?.seriesInstanceUID ?? '',
    modality: first?.modality ?? '',
    seriesDescription: first?.seriesDescription ?? null,
    bodyPartExamined: first?.bodyPartExamined ?? null,
  } as const;
  const failure = (error: ResultError, partial: Partial<SeriesResult> = {}): SeriesResult => {
    timing.totalMs = now() - t0;
    return { ...failedSeriesResult(base, base.model, mode, error, timing), ...partial };
  };

  if (signal?.aborted) throw abortError(signal);
  if (frames.length === 0) return failure({ code: 'no-frames', message: 'series has no frames' });
  const images = frames.filter((f) => nonImageReason(f) === null);
  if (images.length === 0) return failure({ code: 'not-an-image', message: `series has no images (${nonImageReason(first)})` });
  timing.framesTotal = images.length;

  try {
    const stacks = buildStacks(images);
    const classifier = new FrameClassifier(input, timing, base.seriesInstanceUID);
    const outcomes =
      mode === 'fast'
        ? await classifyFast(stacks, classifier, model.labelNames, input.sampleMm ?? DEFAULT_SAMPLE_MM)
        : await classifyExhaustive(stacks, classifier);
    timing.framesFetched = classifier.fetched;
    if (signal?.aborted) throw abortError(signal);

    const td = now();
    const assembled = assembleSeries(stacks, outcomes, model.labelNames);
    timing.decodeMs = now() - td;
    timing.framesFailed = assembled.images.filter((im) => im.error).length;

    if (timing.framesClassified === 0) {
      const reasons = assembled.images.map((im) => im.error).filter(Boolean);
      return failure(
        { code: 'all-frames-failed', message: `no image could be classified: ${reasons[0] ?? 'unknown reason'}` },
        { stacks: assembled.stacks, images: assembled.images },
      );
    }
    const summary = summariseSeries({
      stacks,
      segments: assembled.segments,
      images: assembled.images,
      bodyPartExamined: base.bodyPartExamined,
      seriesDescription: base.seriesDescription,
    });
    timing.totalMs = now() - t0;
    const { segments, stacks: resultStacks, images: resultImages } = assembled;
    // The adapter shaped these results only where the model gave embeddings.
    const adapted = input.adapter && outcomes.some((o) => o.embeddings.size > 0) ? input.adapter.info : null;
    return {
      ...base,
      ...(adapted ? { adapter: adapted } : {}),
      regions: summary.regions,
      segments,
      stacks: resultStacks,
      images: resultImages,
      summary,
      error: null,
      timing,
    };
  } catch (e) {
    if (isAbort(e, signal)) throw abortError(signal);
    return failure({ code: e instanceof ModelRunError ? 'model-error' : 'internal-error', message: message(e) });
  }
}
