/** The study summary line of the panel: all regions of the study and their DICOM Annex L term. */
import { sortAnatomically } from '../../engine/decode/anatomy';
import { annexLTerm } from '../../engine/summarise/annexL';
import type { RawSeriesResult } from './resultView';
import type { StudySummaryView } from './viewTypes';

export function summariseForPanel(results: RawSeriesResult[]): StudySummaryView | null {
  const ok = results.filter((r) => !r.error);
  if (!ok.length) return null;
  const regions = sortAnatomically(ok.flatMap((r) => r.summary?.regions ?? r.regions ?? []).filter((r) => r !== 'OTHER'));
  const term = annexLTerm(regions);
  return { annexL: term?.term ?? null, snomed: term?.snomed?.code ?? null, regions };
}
