/** `body-region classify`: every image series of the chosen studies of a DICOMweb archive. */
import { DicomWebArchive, describeError } from '../engine/fetch/dicomWebArchive';
import { DicomWebPixelSource } from '../engine/fetch/DicomWebPixelSource';
import { AbortError, HttpError } from '../engine/fetch/retry';
import type { SliceClassifier } from '../engine/pipeline';
import { CliError, ExitCode } from './exitCodes';
import { listSeriesOfStudy, listStudyUids, type SeriesRef } from './archiveListing';
import { classifyArchiveSeries } from './archiveSeries';
import type { SiteAdapter } from '../engine/adapt/adapter';
import type { ProgressReporter } from './progress';
import { ResultsSink } from './resultsFile';
import type { CliResultsCache } from './resultsCacheFile';
import { ArchiveSrs } from './archiveSrs';
import type { AlgorithmIdentity } from '../engine/report/algorithmIdentity';
import { classifyEachSeries } from './seriesRunner';

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
  /** Our SRs on the archive (docs/SR.md): read back before classifying, and `--stow` to write them. */
  sr?: { algorithm: AlgorithmIdentity; readBack: boolean; stow: boolean };
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
    studies = await listStudyUids(archive, { all: opts.all, studies: opts.studies }, opts.signal);
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
    let found: SeriesRef[];
    try {
      found = await listSeriesOfStudy(archive, study, opts.signal);
    } catch (error) {
      if (error instanceof AbortError) throw error;
      throw new CliError(
        `archive ${opts.url} failed to list the series of study ${study}: ${describeError(error)}`,
        ExitCode.ArchiveUnreachable,
      );
    }
    if (found.length === 0) missingStudies.push(study);
    for (const s of found) {
      if (opts.series?.length && !opts.series.includes(s.seriesInstanceUID)) continue;
      series.push(s);
    }
  }
  for (const study of missingStudies) process.stderr.write(`body-region: study ${study} not found in the archive\n`);
  if (series.length === 0) {
    process.stderr.write('body-region: no series to classify\n');
    return ExitCode.NothingFound;
  }

  const pixels = new DicomWebPixelSource(archive);
  const srs = opts.sr
    ? new ArchiveSrs({
        archive,
        ...opts.sr,
        signal: opts.signal,
        note: (m) => opts.progress.note(m),
        warn: (m) => process.stderr.write(`body-region: warning: ${m}\n`),
      })
    : null;
  const t0 = Date.now();
  const failed = await classifyEachSeries(
    series,
    opts,
    async (ref, label) => {
      const fromSr = (await srs?.readBack(ref)) ?? null;
      if (fromSr) return { result: fromSr, source: 'from the archive SR' };
      const cached = (await opts.cache?.lookup(ref.seriesInstanceUID)) ?? null;
      if (cached) return { result: cached, source: 'from the results cache' };
      const metadata = srs?.takeMetadata(ref);
      const result = await classifyArchiveSeries(archive, pixels, ref, { ...opts, label, metadata });
      await opts.cache?.save(result);
      srs?.afterClassified(result, metadata);
      return { result };
    },
    async (study) => srs?.flushStudy(study, opts.sink.resultsOfStudy(study)),
  );
  const failures = missingStudies.length + failed;
  const seconds = (Date.now() - t0) / 1000;
  opts.progress.note(
    `done: ${series.length} series in ${seconds.toFixed(1)} s, ${pixels.stats.frames} frames fetched (${(pixels.stats.frames / Math.max(seconds, 0.001)).toFixed(1)} frames/s), ${failures} failed`,
  );
  if (srs && (srs.counts.readBack || srs.counts.written || srs.counts.alreadyStored || srs.counts.notStored)) {
    const c = srs.counts;
    opts.progress.note(
      `SRs: ${c.readBack} series read back from the archive, ${c.written} written, ${c.alreadyStored} already there, ${c.notStored} not stored`,
    );
  }
  if (failures > 0) return ExitCode.SomeSeriesFailed;
  return srs?.storeRefusal ? ExitCode.StowFailed : ExitCode.Ok;
}
