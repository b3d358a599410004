/**
 * Moving the viewer to a region: put a series in the active viewport at the region's first slice;
 * next / previous region in reading order (head to foot) over the classified series.
 */
import type { OhifContext } from '../ohifTypes';
import type { BodyRegionService } from './BodyRegionService';
import type { SeriesView } from './viewTypes';
import { displaySetOfSeries, imageIndexOf } from './displaySets';

/** Shows image `index` of a display set in a viewport (the active one by default). */
export function showImage(ctx: OhifContext, displaySetInstanceUID: string, index: number, viewportId?: string): void {
  const { viewportGridService, cornerstoneViewportService } = ctx.servicesManager.services;
  const targetId: string = viewportId ?? viewportGridService.getActiveViewportId();
  const shown: string[] = viewportGridService.getDisplaySetsUIDsForViewport?.(targetId) ?? [];
  const csViewport = cornerstoneViewportService?.getCornerstoneViewport?.(targetId);
  if (shown.includes(displaySetInstanceUID) && typeof csViewport?.setImageIdIndex === 'function') {
    csViewport.setImageIdIndex(index);
    return;
  }
  viewportGridService.setDisplaySetsForViewport({
    viewportId: targetId,
    displaySetInstanceUIDs: [displaySetInstanceUID],
    viewportOptions: { initialImageOptions: { index } },
  });
  // The viewer may restore an earlier position of that display set over initialImageOptions:
  // once the new stack is in place, make sure it shows the asked-for slice.
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  const settle = () => {
    const viewport = cornerstoneViewportService?.getCornerstoneViewport?.(targetId);
    const nowShown: string[] = viewportGridService.getDisplaySetsUIDsForViewport?.(targetId) ?? [];
    const count = viewport?.getImageIds?.()?.length ?? 0;
    if (nowShown.includes(displaySetInstanceUID) && count > index && typeof viewport?.setImageIdIndex === 'function') {
      if (viewport.getCurrentImageIdIndex?.() !== index) viewport.setImageIdIndex(index);
      return;
    }
    if (Date.now() < deadline) setTimeout(settle, 150);
  };
  setTimeout(settle, 150);
}

const SETTLE_TIMEOUT_MS = 10000;

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
