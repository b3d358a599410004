/**
 * The CLI's one loop over series (archive and files alike): skip those already in the output,
 * classify the rest, turn every failure into a result line with a reason, write a study summary
 * after each study.
 */
import { classifySeries, summariseStudy, type SliceClassifier } from '../engine/pipeline';
import type { ResultErrorCode, SeriesResult } from '../engine/results/schema';
import { failedSeriesResult, type SeriesIdentity } from '../engine/results/failedResult';
import { AbortError } from '../engine/fetch/retry';
import { LOW_CONFIDENCE } from '../engine/summarise/summariseSeries';
import type { FrameMeta, PixelSource } from '../engine/types';
import type { SkippedInstance } from '../engine/fetch/metadataToFrames';
import type { ProgressReporter, SeriesLabel } from './progress';
import type { ResultsSink } from './resultsFile';
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

export interface RunSeriesOptions {
  model: SliceClassifier;
  mode: 'exhaustive' | 'fast';
  concurrency: number;
  signal: AbortSignal;
  progress: ProgressReporter;
  /** `--adapter`: the site adapter applied to every image. */
  adapter?: SiteAdapter | null;
}

/**
 * Classifies one series; a series without frames is reported as not an image (when its instances
 * were skipped as such) or as empty. Rejects only when the run is interrupted.
 */
export async function runSeries(
  id: SeriesIdentity,
  frames: FrameMeta[],
  skipped: SkippedInstance[],
  pixels: PixelSource,
  label: SeriesLabel,
  opts: RunSeriesOptions,
): Promise<SeriesResult> {
  if (frames.length === 0) {
    if (skipped.length > 0) return errorResult(id, opts.model, opts.mode, 'not-an-image', `series has no images: ${skipped[0].reason}`);
    return errorResult(id, opts.model, opts.mode, 'no-frames', 'series has no instances');
  }
  try {
    return await classifySeries({
      frames,
      pixels,
      model: opts.model,
      mode: opts.mode,
      adapter: opts.adapter ?? null,
      concurrency: opts.concurrency,
      signal: opts.signal,
      onProgress: (p) => opts.progress.update(label, p.done, p.total),
    });
  } catch (error) {
    if (opts.signal.aborted) throw new AbortError();
    return errorResult(id, opts.model, opts.mode, 'internal-error', `classification failed: ${(error as Error).message}`);
  }
}

/**
 * One line of stderr for a finished series: regions, or the reason it failed. A region whose
 * segments all have a low calibrated confidence is marked "uncertain" rather than stated as fact.
 */
export function describeOutcome(result: SeriesResult): string {
  if (result.error) return `${result.error.code}: ${result.error.message}`;
  const term = result.summary?.annexL ? ` (${result.summary.annexL.term})` : '';
  const failed = result.timing.framesFailed ? `, ${result.timing.framesFailed} images failed` : '';
  const uncertain = uncertainRegions(result);
  const regions = result.regions.map((r) => (uncertain.has(r) ? `${r} (uncertain)` : r));
  return `${regions.join(', ') || 'no region'}${term}, ${result.images.length} images${failed}`;
}

/** Regions none of whose segments reach the summary's low-confidence threshold. */
function uncertainRegions(result: SeriesResult): Set<string> {
  const confident = new Set(result.segments.filter((s) => s.confidence >= LOW_CONFIDENCE).map((s) => s.label));
  return new Set(result.segments.map((s) => s.label).filter((label) => !confident.has(label)));
}

/** Non-image series are reported, not counted as failures of the tool. */
export function isFailure(result: SeriesResult): boolean {
  return result.error !== null && result.error.code !== 'not-an-image';
}

/** What classifying one series gave; `source` prefixes the progress line (e.g. the results cache). */
export interface SeriesOutcome {
  result: SeriesResult;
  source?: string;
}

/**
 * Every series in order, grouped by study (in order of first appearance); resolves to the number
 * of series that failed. Series already in the output are skipped, so an interrupted run resumes.
 */
export async function classifyEachSeries<T extends SeriesIdentity>(
  series: T[],
  out: { sink: ResultsSink; progress: ProgressReporter },
  classify: (series: T, label: SeriesLabel) => Promise<SeriesOutcome>,
  afterStudy?: (studyInstanceUID: string) => Promise<void>,
): Promise<number> {
  const { sink, progress } = out;
  let failures = 0;
  let index = 0;
  for (const study of new Set(series.map((s) => s.studyInstanceUID))) {
    let classifiedAny = false;
    for (const s of series.filter((x) => x.studyInstanceUID === study)) {
      index++;
      const label: SeriesLabel = { index, total: series.length, seriesInstanceUID: s.seriesInstanceUID, modality: s.modality };
      if (sink.isDone(s.seriesInstanceUID)) {
        progress.skipSeries(label, 'already in the output, skipped');
        continue;
      }
      progress.startSeries(label);
      const { result, source } = await classify(s, label);
      sink.write(result);
      classifiedAny = true;
      if (isFailure(result)) {
        failures++;
        process.stderr.write(`body-region: series ${s.seriesInstanceUID} failed: ${result.error!.code}: ${result.error!.message}\n`);
      }
      progress.endSeries(label, `${source ? `${source}: ` : ''}${describeOutcome(result)}`);
    }
    if (classifiedAny) sink.writeStudy(summariseStudy(sink.resultsOfStudy(study)));
    await afterStudy?.(study);
  }
  return failures;
}
