/**
 * Custom hanging-protocol attributes: `bodyRegion` (main region of a display set) and `bodyRegions`
 * (all its regions, head to foot). From the classification results when the series is done,
 * otherwise from BodyPartExamined / SeriesDescription. Unknown: '' and [] (the host's validators
 * fail on null values).
 */
import { ATTRIBUTE_REGION, ATTRIBUTE_REGIONS } from './ids';
import type { BodyRegionService } from './services/BodyRegionService';
import { regionsFromTags } from './hangingProtocols/regionsFromTags';
import type { OhifDisplaySet, OhifHangingProtocolService } from './ohifTypes';
import { bodyPartOf } from './services/displaySets';

export function regionsOfDisplaySet(service: BodyRegionService, ds: OhifDisplaySet | undefined): string[] {
  if (!ds?.SeriesInstanceUID) return [];
  const series = service.getSeries(ds.SeriesInstanceUID);
  if (series?.status === 'done') return series.regions.filter((r) => r !== 'OTHER');
  return regionsFromTags(bodyPartOf(ds), ds.SeriesDescription);
}

export function mainRegionOfDisplaySet(service: BodyRegionService, ds: OhifDisplaySet | undefined): string {
  if (!ds?.SeriesInstanceUID) return '';
  const series = service.getSeries(ds.SeriesInstanceUID);
  if (series?.status === 'done') return series.mainRegion ?? '';
  return regionsFromTags(bodyPartOf(ds), ds.SeriesDescription)[0] ?? '';
}

export function registerCustomAttributes(
  hangingProtocolService: Pick<OhifHangingProtocolService, 'addCustomAttribute'>,
  service: BodyRegionService,
): void {
  hangingProtocolService.addCustomAttribute(ATTRIBUTE_REGION, 'Body region (main)', (ds: OhifDisplaySet) =>
    mainRegionOfDisplaySet(service, ds),
  );
  hangingProtocolService.addCustomAttribute(ATTRIBUTE_REGIONS, 'Body regions (all)', (ds: OhifDisplaySet) =>
    regionsOfDisplaySet(service, ds),
  );
}
