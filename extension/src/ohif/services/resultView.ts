/**
 * Turns the engine's per-series result (schema body-region-result/1, extension/src/engine/results)
 * into the small view the panel draws.
 */
import type { SeriesResult } from '../../engine/results/schema';
import type { SeriesJob } from './jobs';
import type { RegionSegmentView, SeriesView } from './viewTypes';

export function emptySeriesView(job: SeriesJob): SeriesView {
  return {
    seriesInstanceUID: job.seriesInstanceUID,
    displaySetInstanceUID: job.displaySetInstanceUID,
    description: job.description,
    modality: job.modality,
    seriesNumber: job.seriesNumber,
    status: 'queued',
    progress: { done: 0, total: 0 },
    totalSlices: 0,
    segments: [],
    mainRegion: null,
    regions: [],
    significantRegions: [],
    annexL: null,
    bodyPartExamined: job.bodyPartExamined ?? null,
    tagDisagreement: null,
    error: null,
  };
}

export function seriesViewFromResult(result: SeriesResult, job: SeriesJob, previous?: SeriesView): SeriesView {
  const base = previous ?? emptySeriesView(job);
  if (result.error) {
    return { ...base, status: 'error', error: { code: result.error.code, message: result.error.message } };
  }
  // The bar shows the series' main stack (most frames); other stacks (scouts, second orientation) are
  // few slices and would make the scale meaningless.
  const stacks = result.stacks;
  const mainStack = stacks.length ? stacks.reduce((a, b) => (b.frameCount > a.frameCount ? b : a)).index : undefined;
  const segments: RegionSegmentView[] = result.segments
    .filter((s) => mainStack === undefined || s.stackIndex === mainStack)
    .map((s) => ({
      label: s.label,
      firstIndex: s.firstIndex,
      lastIndex: s.lastIndex,
      confidence: s.confidence,
      startMm: s.startMm,
      endMm: s.endMm,
      firstSopInstanceUID: s.firstSopInstanceUID,
      firstFrameNumber: s.firstFrameNumber,
    }));
  const stackFrames = stacks.find((s) => s.index === mainStack)?.frameCount;
  const totalSlices = stackFrames ?? Math.max(result.images.length, ...segments.map((s) => s.lastIndex + 1), 0);
  // A series summary is null only for a failed result; the segments stand in for it all the same.
  const summary = result.summary;
  const regions = summary?.regions ?? result.regions;
  const bodyPart = summary?.tags.bodyPartExamined;
  return {
    ...base,
    status: 'done',
    progress: { done: totalSlices, total: totalSlices },
    totalSlices,
    segments,
    regions,
    significantRegions: summary?.significantRegions ?? regions,
    mainRegion: summary?.mainRegion ?? mainRegion(segments),
    annexL: summary?.annexL?.term ?? null,
    bodyPartExamined: bodyPart?.value ?? base.bodyPartExamined,
    tagDisagreement:
      bodyPart?.status === 'disagree'
        ? `BodyPartExamined is ${bodyPart.value}; the pixels show ${regions.filter((r) => r !== 'OTHER').join(', ') || 'no known region'}`
        : null,
    error: null,
  };
}

/** The region with the most slices (ties: the first in anatomical order). */
export function mainRegion(segments: RegionSegmentView[]): string | null {
  const counts = new Map<string, number>();
  for (const s of segments) counts.set(s.label, (counts.get(s.label) ?? 0) + s.lastIndex - s.firstIndex + 1);
  let best: string | null = null;
  let bestCount = 0;
  for (const [label, count] of counts) {
    if (label !== 'OTHER' && count > bestCount) {
      best = label;
      bestCount = count;
    }
  }
  return best;
}
