/**
 * Turns the engine's per-series result (schema body-region-result/1, extension/src/engine/results)
 * into the small view the panel draws. Tolerant on purpose: a result from an older or newer engine
 * still shows what it can instead of breaking the panel.
 */
import type { SeriesJob } from './BodyRegionService';
import type { RegionSegmentView, SeriesView } from './viewTypes';

/** The subset of the engine's SeriesResult the viewer reads. */
export interface RawSeriesResult {
  schema?: string;
  studyInstanceUID?: string;
  seriesInstanceUID: string;
  modality?: string;
  regions?: string[];
  segments?: Array<Partial<RegionSegmentView> & { label: string; firstIndex: number; lastIndex: number; stackIndex?: number }>;
  images?: unknown[];
  stacks?: Array<{ index: number; frameCount: number }>;
  summary?: {
    regions?: string[];
    mainRegion?: string | null;
    significantRegions?: string[];
    annexL?: { term: string; snomed?: { code: string } | null } | null;
    tags?: { bodyPartExamined?: { value: string | null; status: string } };
  } | null;
  error?: { code: string; message: string } | null;
  [key: string]: unknown;
}

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

export function seriesViewFromResult(result: RawSeriesResult, job: SeriesJob, previous?: SeriesView): SeriesView {
  const base = previous ?? emptySeriesView(job);
  if (result.error) {
    return { ...base, status: 'error', error: { code: result.error.code, message: result.error.message } };
  }
  // The bar shows the series' main stack (most frames); other stacks (scouts, second orientation) are
  // few slices and would make the scale meaningless.
  const stacks = result.stacks ?? [];
  const mainStack = stacks.length ? stacks.reduce((a, b) => (b.frameCount > a.frameCount ? b : a)).index : undefined;
  const segments: RegionSegmentView[] = (result.segments ?? [])
    .filter((s) => mainStack === undefined || s.stackIndex === undefined || s.stackIndex === mainStack)
    .map((s) => ({
      label: s.label,
      firstIndex: s.firstIndex,
      lastIndex: s.lastIndex,
      confidence: typeof s.confidence === 'number' ? s.confidence : 0,
      startMm: s.startMm ?? null,
      endMm: s.endMm ?? null,
      firstSopInstanceUID: s.firstSopInstanceUID ?? '',
      firstFrameNumber: s.firstFrameNumber ?? 1,
    }));
  const stackFrames = stacks.find((s) => s.index === mainStack)?.frameCount;
  const totalSlices = stackFrames ?? Math.max(result.images?.length ?? 0, ...segments.map((s) => s.lastIndex + 1), 0);
  const regions = result.summary?.regions ?? result.regions ?? distinct(segments.map((s) => s.label));
  const bodyPart = result.summary?.tags?.bodyPartExamined;
  return {
    ...base,
    status: 'done',
    progress: { done: totalSlices, total: totalSlices },
    totalSlices,
    segments,
    regions,
    significantRegions: result.summary?.significantRegions ?? regions,
    mainRegion: result.summary?.mainRegion ?? mainRegion(segments),
    annexL: result.summary?.annexL?.term ?? null,
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

function distinct(values: string[]): string[] {
  return [...new Set(values)];
}
