/** `body-region classify`: every image series of the chosen studies of a DICOMweb archive. */
import { DicomWebArchive, describeError } from '../engine/fetch/dicomWebArchive';
import { DicomWebPixelSource } from '../engine/fetch/DicomWebPixelSource';
import { getString, Tags } from '../engine/fetch/dicomJson';
import { metadataToFramesWithReasons } from '../engine/fetch/metadataToFrames';
import { AbortError, HttpError } from '../engine/fetch/retry';
import type { SliceClassifier } from '../engine/pipeline';
import { CliError, ExitCode } from './exitCodes';
import type { ProgressReporter, SeriesLabel } from './progress';
import { ResultsSink } from './resultsFile';
import type { CliResultsCache } from './resultsCacheFile';
import type { SeriesResult } from '../engine/results/schema';
import { classifyEachSeries, errorResult, runSeries, type SeriesIdentity } from './seriesRunner';

export interface ClassifyArchiveOptions {
  url: string;
  studies: string[];
  all: boolean;
  /** Only these series of the chosen studies (empty: all of them). */
  series?: string[];
  headers: Record<string, string>;
  mode: 'exhaustive' | 'fast';
  concurrency: number;
  retries: number;
  timeoutMs: number;
  sink: ResultsSink;
  progress: ProgressReporter;
  model: SliceClassifier;
  signal: AbortSignal;
  /** `--cache`: results of earlier runs with the same model and mode are reused. */
  cache?: CliResultsCache | null;
}

/** Studies to process: the ones named, or every study the archive lists (paged QIDO). */
async function listStudies(archive: DicomWebArchive, opts: ClassifyArchiveOptions): Promise<string[]> {
  if (!opts.all) return [...new Set(opts.studies)];
  const uids: string[] = [];
  const page = 200;
  for (let offset = 0; ; offset += page) {
    const found = await archive.searchStudies({ limit: String(page), offset: String(offset) }, opts.signal);
    for (const s of found) {
      const uid = getString(s, Tags.StudyInstanceUID);
      if (uid && !uids.includes(uid)) uids.push(uid);
    }
    if (found.length < page) break;
  }
  return uids;
}

export async function classifyArchive(opts: ClassifyArchiveOptions): Promise<number> {
  const archive = new DicomWebArchive({
    url: opts.url,
    headers: opts.headers,
    concurrency: opts.concurrency,
    retries: opts.retries,
    timeoutMs: opts.timeoutMs,
    onRetry: (n) => opts.progress.note(`retrying ${n.what} (attempt ${n.attempt + 1}) after ${n.reason}`),
  });

  let studies: string[];
  try {
    studies = await listStudies(archive, opts);
    // First contact: a named study must exist, and the archive must answer at all.
    if (!opts.all && studies.length > 0) await archive.searchSeries(studies[0], {}, opts.signal);
  } catch (error) {
    if (error instanceof AbortError) throw error;
    const denied = error instanceof HttpError && (error.status === 401 || error.status === 403);
    const hint = denied ? ' (authorization refused: check --header)' : '';
    throw new CliError(`archive ${opts.url} unreachable: ${describeError(error)}${hint}`, ExitCode.ArchiveUnreachable);
  }

  const series: SeriesIdentity[] = [];
  const missingStudies: string[] = [];
  for (const study of studies) {
    let found;
    try {
      found = await archive.searchSeries(study, {}, opts.signal);
    } catch (error) {
      if (error instanceof AbortError) throw error;
      throw new CliError(`archive ${opts.url} failed to list the series of study ${study}: ${describeError(error)}`, ExitCode.ArchiveUnreachable);
    }
    if (found.length === 0) missingStudies.push(study);
    for (const s of found) {
      const uid = getString(s, Tags.SeriesInstanceUID);
      if (uid && opts.series?.length && !opts.series.includes(uid)) continue;
      if (uid) series.push({ studyInstanceUID: study, seriesInstanceUID: uid, modality: getString(s, Tags.Modality) ?? '' });
    }
  }
  for (const study of missingStudies) process.stderr.write(`body-region: study ${study} not found in the archive\n`);
  if (series.length === 0) {
    process.stderr.write('body-region: no series to classify\n');
    return ExitCode.NothingFound;
  }

  const pixels = new DicomWebPixelSource(archive);
  const t0 = Date.now();
  const failed = await classifyEachSeries(series, opts, async (ref, label) => {
    const cached = (await opts.cache?.lookup(ref.seriesInstanceUID)) ?? null;
    if (cached) return { result: cached, source: 'from the results cache' };
    const result = await classifyOneSeries(archive, pixels, ref, label, opts);
    await opts.cache?.save(result);
    return { result };
  });
  const failures = missingStudies.length + failed;
  const seconds = (Date.now() - t0) / 1000;
  opts.progress.note(
    `done: ${series.length} series in ${seconds.toFixed(1)} s, ${pixels.stats.frames} frames fetched (${(pixels.stats.frames / Math.max(seconds, 0.001)).toFixed(1)} frames/s), ${failures} failed`,
  );
  return failures > 0 ? ExitCode.SomeSeriesFailed : ExitCode.Ok;
}

async function classifyOneSeries(
  archive: DicomWebArchive,
  pixels: DicomWebPixelSource,
  ref: SeriesIdentity,
  label: SeriesLabel,
  opts: ClassifyArchiveOptions,
): Promise<SeriesResult> {
  let metadata;
  try {
    metadata = await archive.retrieveSeriesMetadata(ref.studyInstanceUID, ref.seriesInstanceUID, opts.signal);
  } catch (error) {
    if (error instanceof AbortError) throw error;
    return errorResult(ref, opts.model, opts.mode, 'no-frames', `series metadata could not be fetched: ${describeError(error)}`);
  }
  const { frames, skipped } = metadataToFramesWithReasons(metadata);
  return runSeries(ref, frames, skipped, pixels, label, opts);
}
