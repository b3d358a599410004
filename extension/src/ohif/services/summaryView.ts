/** The study summary line of the panel: the engine's study summary (regions, Annex L term). */
import { summariseStudy } from '../../engine/summarise/summariseStudy';
import type { SeriesResult } from '../../engine/results/schema';
import type { StudySummaryView } from './viewTypes';

export function summariseForPanel(results: SeriesResult[]): StudySummaryView | null {
  const ok = results.filter((r) => !r.error);
  if (!ok.length) return null;
  const summary = summariseStudy(ok);
  return {
    annexL: summary.annexL?.term ?? null,
    snomed: summary.annexL?.snomed?.code ?? null,
    regions: summary.regions.filter((r) => r !== 'OTHER'),
  };
}
