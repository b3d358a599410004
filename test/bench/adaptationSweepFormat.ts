/** The `--json` file of adaptationSweep.ts, read back by twinSweepSummary.ts. */
import type { AdapterMethod } from '../../extension/src/engine/adapt/adapter';

/** One site's figures under one method, one entry per seed (decoded, image-weighted). */
export interface SiteSeeds {
  before: number[];
  after: number[];
  cut: number[];
  others: number[];
  ms: number[];
}

export interface SweepJson {
  model: string;
  seeds: number[];
  methods: { method: AdapterMethod; sites: Record<string, SiteSeeds> }[];
}
