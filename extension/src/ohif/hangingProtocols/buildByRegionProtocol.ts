/**
 * The "by region" hanging protocol, generated for the open study: one viewport per region present
 * (head to foot), each showing the best series for that region positioned at the region's first
 * slice. Regenerated whenever results arrive; before that, built from DICOM tags.
 */
import { sortAnatomically } from '../../engine/decode/anatomy';
import { PROTOCOL_BY_REGION } from '../ids';

export interface RegionCandidate {
  region: string;
  displaySetInstanceUID: string;
  seriesInstanceUID: string;
  /** Index into the display set's images of the region's first slice (null: let OHIF choose). */
  imageIndex: number | null;
  /** Higher is better: number of slices in the region × confidence (tags: a small constant). */
  score: number;
}

export const MAX_REGION_VIEWPORTS = 6;

/** The best candidate for each region, head to foot (or in the order of `regions`), OTHER left out. */
export function bestPerRegion(
  candidates: RegionCandidate[],
  max = MAX_REGION_VIEWPORTS,
  /** The regions that may have a viewport, in viewport order (the `bodyRegion.layoutRegions` customization); default: all, head to foot. */
  regions?: readonly string[],
): RegionCandidate[] {
  const best = new Map<string, RegionCandidate>();
  for (const c of candidates) {
    if (c.region === 'OTHER' || (regions && !regions.includes(c.region))) continue;
    const current = best.get(c.region);
    if (!current || c.score > current.score) best.set(c.region, c);
  }
  const order = regions ? [...new Set(regions)].filter((r) => best.has(r)) : sortAnatomically(best.keys());
  return order.slice(0, max).map((region) => best.get(region)!);
}

export function gridFor(count: number): { rows: number; columns: number } {
  if (count <= 1) return { rows: 1, columns: 1 };
  if (count <= 3) return { rows: 1, columns: count };
  if (count === 4) return { rows: 2, columns: 2 };
  return { rows: 2, columns: 3 };
}

export function regionViewportId(region: string): string {
  return `body-region-${region}`;
}

/** An OHIF 3.x hanging protocol object (plain data). */
export function buildByRegionProtocol(chosen: RegionCandidate[], source: 'pixels' | 'tags'): Record<string, unknown> {
  const { rows, columns } = gridFor(chosen.length);
  const displaySetSelectors: Record<string, unknown> = {};
  const viewports = chosen.map((c) => {
    const selectorId = `region${c.region}`;
    displaySetSelectors[selectorId] = {
      seriesMatchingRules: [{ attribute: 'SeriesInstanceUID', constraint: { equals: { value: c.seriesInstanceUID } }, required: true }],
    };
    return {
      viewportOptions: {
        viewportId: regionViewportId(c.region),
        // OHIF keys a viewport's remembered position by this id (and the display set) and restores
        // it over initialImageOptions: a new target slice gets a new key, so the viewer itself
        // opens the viewport there; the same target keeps where the user left it.
        ...(c.imageIndex !== null ? { id: `${regionViewportId(c.region)}@${c.imageIndex}` } : {}),
        viewportType: 'stack',
        toolGroupId: 'default',
        allowUnmatchedView: true,
        ...(c.imageIndex !== null ? { initialImageOptions: { index: c.imageIndex } } : {}),
      },
      displaySets: [{ id: selectorId }],
    };
  });
  return {
    id: PROTOCOL_BY_REGION,
    name: 'Body regions',
    locked: true,
    protocolMatchingRules: [],
    toolGroupIds: ['default'],
    numberOfPriorsReferenced: 0,
    bodyRegionSource: source,
    defaultViewport: {
      viewportOptions: { viewportType: 'stack', toolGroupId: 'default', allowUnmatchedView: true },
      displaySets: [{ id: 'anyImages', matchedDisplaySetsIndex: -1 }],
    },
    displaySetSelectors: {
      anyImages: { seriesMatchingRules: [{ attribute: 'numImageFrames', constraint: { greaterThan: { value: 0 } } }] },
      ...displaySetSelectors,
    },
    stages: [
      {
        name: chosen.length ? chosen.map((c) => c.region).join(' / ') : 'default',
        viewportStructure: { layoutType: 'grid', properties: { rows, columns } },
        viewports: viewports.length
          ? viewports
          : [
              {
                viewportOptions: { viewportType: 'stack', toolGroupId: 'default', allowUnmatchedView: true },
                displaySets: [{ id: 'anyImages' }],
              },
            ],
      },
    ],
  };
}
