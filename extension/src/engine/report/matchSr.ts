/**
 * Whether one of our SRs stands for a series as it is now and for the algorithm loaded now:
 * the same source instances, and the same model bytes and adapter. Otherwise it is outdated, with
 * the reason the panel and the CLI show.
 */
import { sameAlgorithm, type AlgorithmIdentity } from './algorithmIdentity';
import type { DecodedSr } from './decodeSr';

export interface SeriesNow {
  seriesInstanceUID: string;
  /** SOP instance UIDs of the series in the archive now. */
  instanceUids: string[];
}

export type SrVerdict = { status: 'current' } | { status: 'outdated'; reason: string } | { status: 'other-series' };

export function matchSr(sr: DecodedSr, series: SeriesNow, algorithm: AlgorithmIdentity): SrVerdict {
  if (sr.referencedSeriesInstanceUID !== series.seriesInstanceUID) return { status: 'other-series' };
  const now = new Set(series.instanceUids);
  const added = [...now].filter((uid) => !sr.referencedInstances.includes(uid)).length;
  const removed = sr.referencedInstances.filter((uid) => !now.has(uid)).length;
  if (added || removed)
    return { status: 'outdated', reason: `the series changed since the SR was written (${added} instances added, ${removed} removed)` };
  if (!sameAlgorithm(sr.algorithm, algorithm)) {
    const adapter =
      (sr.algorithm.adapterSha256 ?? null) !== (algorithm.adapterSha256 ?? null) && sr.algorithm.modelSha256 === algorithm.modelSha256;
    return {
      status: 'outdated',
      reason: adapter
        ? 'written with another site adapter'
        : `written by another model (${sr.algorithm.modelId} ${sr.algorithm.version}, sha256 ${sr.algorithm.modelSha256.slice(0, 12)}…)`,
    };
  }
  return { status: 'current' };
}

export interface SrChoice {
  /** The newest current SR of the series, if any. */
  current: DecodedSr | null;
  /** Our SRs of the series that no longer stand for it, newest first, with why. */
  outdated: Array<{ sr: DecodedSr; reason: string }>;
}

/** Among our SRs of a study, the one to use for a series and those that are outdated. */
export function chooseSr(srs: DecodedSr[], series: SeriesNow, algorithm: AlgorithmIdentity): SrChoice {
  const newestFirst = [...srs].sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
  let current: DecodedSr | null = null;
  const outdated: SrChoice['outdated'] = [];
  for (const sr of newestFirst) {
    const verdict = matchSr(sr, series, algorithm);
    if (verdict.status === 'current') current ??= sr;
    else if (verdict.status === 'outdated') outdated.push({ sr, reason: verdict.reason });
  }
  return { current, outdated };
}
