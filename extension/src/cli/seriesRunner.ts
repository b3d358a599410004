/** Classifies one series for the CLI and turns every failure into a result line with a reason. */
import { classifySeries, summariseStudy, type SliceClassifier } from '../engine/pipeline';
import type { ResultErrorCode, SeriesResult, StudySummary } from '../engine/results/schema';
import { failedSeriesResult, type SeriesIdentity } from '../engine/results/failedResult';
import type { FrameMeta, PixelSource } from '../engine/types';
import type { SkippedInstance } from '../engine/fetch/metadataToFrames';
import type { ProgressReporter, SeriesLabel } from './progress';
import type { SiteAdapter } from '../engine/adapt/adapter';

export type { SeriesIdentity };

export function errorResult(
  id: SeriesIdentity,
  model: SliceClassifier | null,
  mode: 'exhaustive' | 'fast',
  code: ResultErrorCode,
  message: string,
): SeriesResult {
  const modelId = model ? { id: model.manifest.modelId, version: model.manifest.version } : null;
  return failedSeriesResult(id, modelId, mode, { code, message });
}

/** Why a series without frames has none: its instances are not images, or there are none. */
export function noFramesResult(id: SeriesIdentity, skipped: SkippedInstance[], model: SliceClassifier, mode: 'exhaustive' | 'fast'): SeriesResult {
  if (skipped.length > 0) return errorResult(id, model, mode, 'not-an-image', `series has no images: ${skipped[0].reason}`);
  return errorResult(id, model, mode, 'no-frames', 'series has no instances');
}

export interface RunSeriesOptions {
  model: SliceClassifier;
  mode: 'exhaustive' | 'fast';
  concurrency: number;
  signal?: AbortSignal;
  progress: ProgressReporter;
  label: SeriesLabel;
  /** `--adapter`: the site adapter applied to every image. */
  adapter?: SiteAdapter | null;
}

export async function runSeries(frames: FrameMeta[], pixels: PixelSource, opts: RunSeriesOptions): Promise<SeriesResult> {
  return classifySeries({
    frames,
    pixels,
    model: opts.model,
    mode: opts.mode,
    adapter: opts.adapter ?? null,
    concurrency: opts.concurrency,
    signal: opts.signal,
    onProgress: (p) => opts.progress.update(opts.label, p.done, p.total),
  });
}

/** One line of stderr for a finished series: regions, or the reason it failed. */
export function describeOutcome(result: SeriesResult): string {
  if (result.error) return `${result.error.code}: ${result.error.message}`;
  const term = result.summary?.annexL ? ` (${result.summary.annexL.term})` : '';
  const failed = result.timing.framesFailed ? `, ${result.timing.framesFailed} images failed` : '';
  return `${result.regions.join(', ') || 'no region'}${term}, ${result.images.length} images${failed}`;
}

/** Non-image series are reported, not counted as failures of the tool. */
export function isFailure(result: SeriesResult): boolean {
  return result.error !== null && result.error.code !== 'not-an-image';
}

export function studySummary(results: SeriesResult[]): StudySummary {
  return summariseStudy(results);
}
