/**
 * Moving the viewer to a region: put a series in the active viewport at the region's first slice;
 * next / previous region in reading order (head to foot) over the classified series.
 */
import type { OhifContext } from '../ohifTypes';
import type { BodyRegionService } from './BodyRegionService';
import type { SeriesView } from './viewTypes';
import { displaySetOfSeries, imageIndexOf } from './displaySets';
import { nextViewportData, reportViewportError, setSlice, StackViewportLike, ViewportWaitError } from './viewportReady';

/** One pending move per viewport: a newer one cancels the older one's wait. */
const pendingMoves = new Map<string, AbortController>();

/**
 * Shows image `index` of a display set in a viewport (the active one by default). A display set not
 * in the viewport yet is put there first, and the slice set when the viewer says the viewport is
 * built (it may restore an earlier position of that display set over initialImageOptions).
 */
export function showImage(ctx: OhifContext, displaySetInstanceUID: string, index: number, viewportId?: string): void {
  const { viewportGridService, cornerstoneViewportService } = ctx.servicesManager.services;
  const targetId: string = viewportId ?? viewportGridService.getActiveViewportId();
  pendingMoves.get(targetId)?.abort();
  const shown: string[] = viewportGridService.getDisplaySetsUIDsForViewport?.(targetId) ?? [];
  const csViewport: StackViewportLike | undefined = cornerstoneViewportService?.getCornerstoneViewport?.(targetId) ?? undefined;
  const alreadyShown = shown.includes(displaySetInstanceUID);
  if (alreadyShown && csViewport && setSlice(csViewport, index)) return;
  const controller = new AbortController();
  pendingMoves.set(targetId, controller);
  // Listen before asking, so that the viewer's answer cannot come first.
  const built = nextViewportData(ctx, targetId, displaySetInstanceUID, { signal: controller.signal });
  if (!alreadyShown) {
    viewportGridService.setDisplaySetsForViewport({
      viewportId: targetId,
      displaySetInstanceUIDs: [displaySetInstanceUID],
      viewportOptions: { initialImageOptions: { index } },
    });
  }
  built
    .then((viewport) => {
      if (!setSlice(viewport, index)) throw new ViewportWaitError(`viewport ${targetId} has no image ${index + 1} to show`);
    })
    .catch((error: unknown) => reportViewportError(ctx, error))
    .finally(() => {
      if (pendingMoves.get(targetId) === controller) pendingMoves.delete(targetId);
    });
}

export function jumpToRegion(ctx: OhifContext, service: BodyRegionService, seriesInstanceUID: string, segmentIndex: number): boolean {
  const series = service.getSeries(seriesInstanceUID);
  const segment = series?.segments[segmentIndex];
  if (!series || !segment) return false;
  const ds = displaySetOfSeries(ctx, seriesInstanceUID);
  if (!ds) return false;
  const index = imageIndexOf(ctx, ds, segment.firstSopInstanceUID, segment.firstFrameNumber) ?? segment.firstIndex;
  showImage(ctx, ds.displaySetInstanceUID, index);
  service.setCursor({ seriesInstanceUID, segmentIndex });
  return true;
}

/** Reading order: series in panel order, in each series its segments head to foot. */
function stops(series: SeriesView[]): Array<{ seriesInstanceUID: string; segmentIndex: number }> {
  return series
    .filter((s) => s.status === 'done')
    .flatMap((s) => s.segments.map((_, i) => ({ seriesInstanceUID: s.seriesInstanceUID, segmentIndex: i })).reverse());
}

export function stepRegion(ctx: OhifContext, service: BodyRegionService, direction: 1 | -1): boolean {
  const all = stops(service.getState().series);
  if (!all.length) return false;
  const cursor = service.getState().cursor ?? startingCursor(ctx, service);
  let at = cursor ? all.findIndex((s) => s.seriesInstanceUID === cursor.seriesInstanceUID && s.segmentIndex === cursor.segmentIndex) : -1;
  if (at < 0 && cursor) {
    // The cursor's series is known but not the segment: start before/after its first stop.
    const first = all.findIndex((s) => s.seriesInstanceUID === cursor.seriesInstanceUID);
    at = first >= 0 ? first - (direction > 0 ? 1 : 0) : -1;
  }
  const next = all[(at + direction + all.length) % all.length] ?? all[0];
  return jumpToRegion(ctx, service, next.seriesInstanceUID, next.segmentIndex);
}

/** Without a cursor, navigation starts in the series of the active viewport. */
function startingCursor(ctx: OhifContext, service: BodyRegionService): { seriesInstanceUID: string; segmentIndex: number } | null {
  const { viewportGridService, displaySetService } = ctx.servicesManager.services;
  const uids: string[] = viewportGridService.getDisplaySetsUIDsForViewport?.(viewportGridService.getActiveViewportId()) ?? [];
  for (const uid of uids) {
    const ds = displaySetService.getDisplaySetByUID(uid);
    if (ds && service.getSeries(ds.SeriesInstanceUID)) return { seriesInstanceUID: ds.SeriesInstanceUID, segmentIndex: -1 };
  }
  return null;
}
