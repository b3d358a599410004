/** Display sets of the open study: which ones to classify, their images, slice → image index. */
import type { OhifContext, OhifDisplaySet } from '../ohifTypes';
import type { SeriesJob } from './jobs';

export const CLASSIFIED_MODALITIES = ['CT', 'MR'];

export function isClassifiable(ds: OhifDisplaySet): boolean {
  return (
    !ds.unsupported &&
    CLASSIFIED_MODALITIES.includes(String(ds.Modality ?? '').toUpperCase()) &&
    (ds.numImageFrames ?? ds.instances?.length ?? 0) > 0
  );
}

export function bodyPartOf(ds: OhifDisplaySet): string | null {
  return (ds.BodyPartExamined ?? ds.instance?.BodyPartExamined ?? ds.instances?.[0]?.BodyPartExamined ?? null) || null;
}

export function jobFor(ds: OhifDisplaySet): SeriesJob {
  const seriesNumber = Number(ds.SeriesNumber);
  return {
    studyInstanceUID: ds.StudyInstanceUID,
    seriesInstanceUID: ds.SeriesInstanceUID,
    displaySetInstanceUID: ds.displaySetInstanceUID,
    description: ds.SeriesDescription ?? '',
    modality: String(ds.Modality ?? ''),
    seriesNumber: Number.isFinite(seriesNumber) ? seriesNumber : undefined,
    bodyPartExamined: bodyPartOf(ds),
  };
}

/** One job per series (OHIF may split a series into several display sets), in the given order. */
export function jobsFor(displaySets: OhifDisplaySet[]): SeriesJob[] {
  const seen = new Set<string>();
  const jobs: SeriesJob[] = [];
  for (const ds of displaySets) {
    if (!isClassifiable(ds) || seen.has(ds.SeriesInstanceUID)) continue;
    seen.add(ds.SeriesInstanceUID);
    jobs.push(jobFor(ds));
  }
  return jobs;
}

export function activeDisplaySets(ctx: OhifContext): OhifDisplaySet[] {
  return ctx.servicesManager.services.displaySetService.getActiveDisplaySets() ?? [];
}

export function displaySetOfSeries(ctx: OhifContext, seriesInstanceUID: string): OhifDisplaySet | undefined {
  return activeDisplaySets(ctx).find((ds) => ds.SeriesInstanceUID === seriesInstanceUID && isClassifiable(ds));
}

/** Display set UIDs shown in viewports now, active viewport first. */
export function displaySetsInViewports(ctx: OhifContext): string[] {
  const grid = ctx.servicesManager.services.viewportGridService;
  const state = grid.getState();
  const viewports: Array<{ viewportId: string; displaySetInstanceUIDs?: string[] }> = [...(state.viewports?.values?.() ?? [])];
  const activeId = state.activeViewportId;
  viewports.sort((a, b) => Number(b.viewportId === activeId) - Number(a.viewportId === activeId));
  return viewports.flatMap((v) => v.displaySetInstanceUIDs ?? []);
}

export function imageIdsOf(ctx: OhifContext, ds: OhifDisplaySet): string[] {
  try {
    const dataSource = ctx.extensionManager.getActiveDataSource()[0];
    return dataSource?.getImageIdsForDisplaySet?.(ds) ?? ds.imageIds ?? [];
  } catch {
    return ds.imageIds ?? [];
  }
}

/** Index of a slice (SOP instance + frame) among the display set's images, or null. */
export function imageIndexOf(ctx: OhifContext, ds: OhifDisplaySet, sopInstanceUID: string, frameNumber = 1): number | null {
  if (!sopInstanceUID) return null;
  const imageIds = imageIdsOf(ctx, ds);
  const multiFrame = imageIds.filter((id) => id.includes(`/instances/${sopInstanceUID}/`));
  if (multiFrame.length > 1) {
    const exact = imageIds.findIndex((id) => id.includes(`/instances/${sopInstanceUID}/frames/${frameNumber}`));
    if (exact >= 0) return exact;
  }
  const byUrl = imageIds.findIndex((id) => id.includes(sopInstanceUID));
  if (byUrl >= 0) return byUrl;
  const byInstance = (ds.instances ?? []).findIndex((i) => i.SOPInstanceUID === sopInstanceUID);
  return byInstance >= 0 ? byInstance : null;
}
