/** Candidates for the "by region" layout, from results (pixels) or, before them, from DICOM tags. */
import type { OhifContext } from '../ohifTypes';
import type { BodyRegionService } from './BodyRegionService';
import { activeDisplaySets, bodyPartOf, displaySetOfSeries, imageIndexOf, isClassifiable } from './displaySets';
import type { RegionCandidate } from '../hangingProtocols/buildByRegionProtocol';
import { regionsFromTags } from '../hangingProtocols/regionsFromTags';

export function candidatesFromResults(ctx: OhifContext, service: BodyRegionService): RegionCandidate[] {
  const out: RegionCandidate[] = [];
  for (const series of service.getState().series) {
    if (series.status !== 'done') continue;
    const ds = displaySetOfSeries(ctx, series.seriesInstanceUID);
    if (!ds) continue;
    // Only regions the summary calls significant: not a few edge slices of a neighbouring region.
    const significant = new Set(series.significantRegions);
    for (const segment of series.segments) {
      if (!significant.has(segment.label)) continue;
      const slices = segment.lastIndex - segment.firstIndex + 1;
      out.push({
        region: segment.label,
        displaySetInstanceUID: ds.displaySetInstanceUID,
        seriesInstanceUID: series.seriesInstanceUID,
        imageIndex: imageIndexOf(ctx, ds, segment.firstSopInstanceUID, segment.firstFrameNumber),
        score: slices * Math.max(0.05, segment.confidence),
      });
    }
  }
  return out;
}

export function candidatesFromTags(ctx: OhifContext): RegionCandidate[] {
  const out: RegionCandidate[] = [];
  for (const ds of activeDisplaySets(ctx)) {
    if (!isClassifiable(ds)) continue;
    for (const region of regionsFromTags(bodyPartOf(ds), ds.SeriesDescription)) {
      out.push({
        region,
        displaySetInstanceUID: ds.displaySetInstanceUID,
        seriesInstanceUID: ds.SeriesInstanceUID,
        imageIndex: null,
        score: 1 + (ds.numImageFrames ?? 0) / 10000,
      });
    }
  }
  return out;
}
