/** `body-region classify`: every image series of the chosen studies of a DICOMweb archive. */
import { DicomWebArchive, describeError } from '../engine/fetch/dicomWebArchive';
import { DicomWebPixelSource } from '../engine/fetch/DicomWebPixelSource';
import { getString, Tags } from '../engine/fetch/dicomJson';
import { metadataToFramesWithReasons } from '../engine/fetch/metadataToFrames';
import { AbortError, HttpError } from '../engine/fetch/retry';
import type { SliceClassifier } from '../engine/pipeline';
import { CliError, ExitCode } from './exitCodes';
import type { SiteAdapter } from '../engine/adapt/adapter';
import { ProgressReporter, SeriesLabel } from './progress';
import { ResultsSink } from './resultsFile';
import type { CliResultsCache } from './resultsCacheFile';
import { describeOutcome, errorResult, isFailure, noFramesResult, runSeries, studySummary } from './seriesRunner';

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
  /** `--adapter`: the site adapter applied to every image. */
  adapter?: SiteAdapter | null;
  /** `--cache`: results of earlier runs with the same model and mode are reused. */
  cache?: CliResultsCache | null;
}

interface SeriesRef {
  studyInstanceUID: string;
  seriesInstanceUID: string;
  modality: string;
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

  const series: SeriesRef[] = [];
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

  let failures = missingStudies.length;
  const pixels = new DicomWebPixelSource(archive);
  const t0 = Date.now();
  let index = 0;
  for (const study of studies) {
    const ofStudy = series.filter((s) => s.studyInstanceUID === study);
    let classifiedAny = false;
    for (const ref of ofStudy) {
      index++;
      const label: SeriesLabel = { index, total: series.length, seriesInstanceUID: ref.seriesInstanceUID, modality: ref.modality };
      if (opts.sink.isDone(ref.seriesInstanceUID)) {
        opts.progress.endSeries(label, 'already in the output, skipped');
        continue;
      }
      opts.progress.startSeries(label);
      const cached = (await opts.cache?.lookup(ref.seriesInstanceUID)) ?? null;
      const result = cached ?? (await classifyOneSeries(archive, pixels, ref, label, opts));
      if (!cached) await opts.cache?.save(result);
      opts.sink.write(result);
      classifiedAny = true;
      if (isFailure(result)) {
        failures++;
        process.stderr.write(`body-region: series ${ref.seriesInstanceUID} failed: ${result.error!.code}: ${result.error!.message}\n`);
      }
      opts.progress.endSeries(label, `${cached ? 'from the results cache: ' : ''}${describeOutcome(result)}`);
    }
    if (classifiedAny) opts.sink.writeStudy(studySummary(opts.sink.resultsOfStudy(study)));
  }
  const seconds = (Date.now() - t0) / 1000;
  opts.progress.note(
    `done: ${series.length} series in ${seconds.toFixed(1)} s, ${pixels.stats.frames} frames fetched (${(pixels.stats.frames / Math.max(seconds, 0.001)).toFixed(1)} frames/s), ${failures} failed`,
  );
  return failures > 0 ? ExitCode.SomeSeriesFailed : ExitCode.Ok;
}

async function classifyOneSeries(
  archive: DicomWebArchive,
  pixels: DicomWebPixelSource,
  ref: SeriesRef,
  label: SeriesLabel,
  opts: ClassifyArchiveOptions,
) {
  const id = { studyInstanceUID: ref.studyInstanceUID, seriesInstanceUID: ref.seriesInstanceUID, modality: ref.modality };
  let metadata;
  try {
    metadata = await archive.retrieveSeriesMetadata(ref.studyInstanceUID, ref.seriesInstanceUID, opts.signal);
  } catch (error) {
    if (error instanceof AbortError) throw error;
    return errorResult(id, opts.model, opts.mode, 'no-frames', `series metadata could not be fetched: ${describeError(error)}`);
  }
  const { frames, skipped } = metadataToFramesWithReasons(metadata);
  if (frames.length === 0) return noFramesResult(id, skipped, opts.model, opts.mode);
  try {
    return await runSeries(frames, pixels, { model: opts.model, adapter: opts.adapter, mode: opts.mode, concurrency: opts.concurrency, signal: opts.signal, progress: opts.progress, label });
  } catch (error) {
    if (opts.signal.aborted) throw new AbortError();
    return errorResult(id, opts.model, opts.mode, 'internal-error', `classification failed: ${(error as Error).message}`);
  }
}

