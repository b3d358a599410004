/**
 * The method comparison of docs/ADAPTATION.md: `evaluate --simulate-sites k` for several adapter
 * methods, sharing one inference pass. Not a test: run by hand, e.g.
 *   npx tsc -p test/bench/tsconfig.json && node build/bench/test/bench/adaptationSweep.js \
 *     --data ../shared/data --split dev --model <model dir> --k 2 [--set 1|2|3|4|5] [--seeds 1,2,3] [--json sweep.json] > sweep.md
 * Several seeds (other corrected subjects): one row per method and site, means over the seeds;
 * --json also writes every seed's figures per method and site (pooling over folds: twinSweepSummary.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { AdapterMethod } from '../../extension/src/engine/adapt/adapter';
import { loadModelFromDir } from '../../extension/src/engine/infer/loadModelNode';
import { adaptationAssets } from '../../extension/src/evaluation/adaptCommand';
import type { DetailedVolumeOutcome } from '../../extension/src/evaluation/classifyVolumes';
import { readDataset, selectSeries } from '../../extension/src/evaluation/dataset';
import { simulateSites } from '../../extension/src/evaluation/simulateSites';
import type { SiteSeeds, SweepJson } from './adaptationSweepFormat';

// First sweep (docs/ADAPTATION.md, table 1), then the second around its best (table 2): pick with --set 1|2.
// A row without replay targets was measured with label targets: sweepRows pins that, since an absent
// field would take the adapter's default, which changed to 'base' after sets 1-4 were measured.
const SWEEPS: Record<string, AdapterMethod[]> = {
  '1': [
    { lambda: 1, replayWeight: 1, freeClasses: 'all' },
    { lambda: 0.1, replayWeight: 1, freeClasses: 'all' },
    { lambda: 0.3, replayWeight: 1, freeClasses: 'all' },
    { lambda: 3, replayWeight: 1, freeClasses: 'all' },
    { lambda: 1, replayWeight: 0, freeClasses: 'all' },
    { lambda: 1, replayWeight: 3, freeClasses: 'all' },
    { lambda: 1, replayWeight: 1, freeClasses: 'corrected' },
    { lambda: 0.3, replayWeight: 1, freeClasses: 'corrected' },
    { lambda: 1, replayWeight: 1, freeClasses: 'all', memory: { k: 5, weight: 0.5 } },
    { lambda: 1, replayWeight: 1, freeClasses: 'all', memory: { k: 5, weight: 0.9 } },
  ],
  '2': [
    { lambda: 0.3, replayWeight: 3, freeClasses: 'all' },
    { lambda: 3, replayWeight: 3, freeClasses: 'all' },
    { lambda: 1, replayWeight: 10, freeClasses: 'all' },
    { lambda: 0.3, replayWeight: 10, freeClasses: 'all' },
    { lambda: 1, replayWeight: 30, freeClasses: 'all' },
    { lambda: 1, replayWeight: 3, freeClasses: 'corrected' },
    { lambda: 1, replayWeight: 3, freeClasses: 'all', memory: { k: 5, weight: 0.5 } },
  ],
  // Third (source-held-out twins): the default head with the site memory (memory.ts) at several weights.
  '3': [
    { lambda: 0.3, replayWeight: 10, freeClasses: 'all' },
    { lambda: 0.3, replayWeight: 10, freeClasses: 'all', memory: { k: 5, weight: 0.5 } },
  ],
  // Fourth (the shipped recipe's twins, all five folds): how hard the head may follow the corrections.
  '4': [
    { lambda: 0.3, replayWeight: 10, freeClasses: 'all' },
    { lambda: 0.1, replayWeight: 10, freeClasses: 'all' },
    { lambda: 0.3, replayWeight: 3, freeClasses: 'all' },
    { lambda: 0.1, replayWeight: 3, freeClasses: 'all' },
    { lambda: 0.3, replayWeight: 10, freeClasses: 'corrected' },
  ],
  // Fifth (1.3.0's twins): the replay set fitted to the base head's probabilities, not its labels.
  '5': [
    { lambda: 0.3, replayWeight: 10, freeClasses: 'all' },
    { lambda: 0.3, replayWeight: 10, freeClasses: 'all', replayTargets: 'base' },
    { lambda: 0.1, replayWeight: 10, freeClasses: 'all', replayTargets: 'base' },
    { lambda: 0.1, replayWeight: 3, freeClasses: 'all', replayTargets: 'base' },
  ],
};

function sweepRows(set: string): AdapterMethod[] {
  return SWEEPS[set].map((m) => ({ replayTargets: 'labels', ...m }));
}

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 && fallback === undefined) throw new Error(`--${name} is required`);
  return i < 0 ? (fallback as string) : process.argv[i + 1];
}

async function main(): Promise<void> {
  const data = arg('data');
  const split = arg('split', 'dev');
  const modelDir = path.resolve(arg('model'));
  const k = Number(arg('k', '2'));
  const selected = selectSeries((await readDataset(data)).series, { split });
  const model = await loadModelFromDir(modelDir);
  const assets = await adaptationAssets(modelDir, model);
  const runsCache = new Map<string, Map<string, DetailedVolumeOutcome>>();
  const pct = (x: number | null) => (x === null ? '–' : (100 * x).toFixed(1));
  const lines = [
    `Model ${model.manifest.modelId} ${model.manifest.version} (trained on ${String((model.manifest.training as { trainedOn?: string } | undefined)?.trainedOn ?? '?')}), split ${split}, k = ${k}, replay ${assets.replay?.count ?? 0}`,
    '',
    '| λ | replay weight | free classes | memory (k, weight) | sites | before % | after % | errors cut (pooled) | mean errors cut per site | other sources (points) | absent classes before → after % | mean fit ms |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const seeds = arg('seeds', '20261127').split(',').map(Number);
  const jsonOut: SweepJson = {
    model: `${model.manifest.modelId} ${model.manifest.version}`,
    seeds,
    methods: [],
  };
  const siteLines: string[] = [
    '',
    '| method (λ, ρ, memory k/weight) | site | seeds | mean before % | mean after % | mean errors cut | min errors cut | mean others Δ points | min others Δ | mean fit ms |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  // A method without `memory` means none (not the default's).
  for (const method of sweepRows(arg('set', '1')).map((m) => ({ memory: undefined, ...m }))) {
    const perSite = new Map<string, SiteSeeds>();
    for (const seed of seeds.slice(1)) {
      const r = await simulateSites(selected, { k, seed, method, modelFor: () => ({ name: 'model', assets }), runsCache });
      for (const f of r.sites) {
        const e = perSite.get(f.site) ?? { before: [], after: [], cut: [], others: [], ms: [] };
        e.before.push(f.before.decoded ?? NaN);
        e.after.push(f.after.decoded ?? NaN);
        if (f.errorReduction !== null) e.cut.push(f.errorReduction);
        if (f.others.changePoints !== null) e.others.push(f.others.changePoints);
        e.ms.push(f.fit.ms);
        perSite.set(f.site, e);
      }
    }
    const r = await simulateSites(selected, {
      k,
      seed: seeds[0],
      method,
      modelFor: () => ({ name: 'model', assets }),
      runsCache,
      log: (l) => process.stderr.write(`${l}\n`),
    });
    const o = r.overall;
    const fitMs = r.sites.reduce((a, s) => a + s.fit.ms, 0) / Math.max(1, r.sites.length);
    lines.push(
      `| ${method.lambda} | ${method.replayWeight}${method.replayTargets === 'base' ? ' (base head)' : ''} | ${method.freeClasses} | ${method.memory ? `${method.memory.k}, ${method.memory.weight}` : '–'} | ${o.sites} | ${pct(o.before.decoded)} | ${pct(o.after.decoded)} | ${pct(o.errorReduction)} % | ${pct(o.meanErrorReduction)} % | ` +
        `${o.meanOthersChangePoints === null ? '–' : o.meanOthersChangePoints.toFixed(2)} | ${pct(o.absentClasses.before.decoded)} → ${pct(o.absentClasses.after.decoded)} | ${fitMs.toFixed(0)} |`,
    );
    process.stderr.write(`${lines[lines.length - 1]}\n`);
    for (const f of r.sites) {
      const e = perSite.get(f.site) ?? { before: [], after: [], cut: [], others: [], ms: [] };
      e.before.push(f.before.decoded ?? NaN);
      e.after.push(f.after.decoded ?? NaN);
      if (f.errorReduction !== null) e.cut.push(f.errorReduction);
      if (f.others.changePoints !== null) e.others.push(f.others.changePoints);
      e.ms.push(f.fit.ms);
      perSite.set(f.site, e);
    }
    const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
    const name =
      `${method.lambda}, ${method.replayWeight}, ${method.memory ? `${method.memory.k}/${method.memory.weight}` : '–'}` +
      (method.freeClasses === 'corrected' ? ', corrected classes only' : '') +
      (method.replayTargets === 'base' ? ", replay: base head's probabilities" : '');
    jsonOut.methods.push({ method, sites: Object.fromEntries(perSite) });
    for (const [site, e] of perSite) {
      siteLines.push(
        `| ${name} | ${site} | ${e.before.length} | ${(100 * avg(e.before)).toFixed(1)} | ${(100 * avg(e.after)).toFixed(1)} | ${(100 * avg(e.cut)).toFixed(0)} % | ${(100 * Math.min(...e.cut)).toFixed(0)} % | ` +
          `${avg(e.others).toFixed(2)} | ${Math.min(...e.others).toFixed(2)} | ${avg(e.ms).toFixed(0)} |`,
      );
      process.stderr.write(`${siteLines[siteLines.length - 1]}\n`);
    }
  }
  await model.dispose();
  process.stdout.write([...lines, ...siteLines].join('\n') + '\n');
  const jsonPath = arg('json', '');
  if (jsonPath) fs.writeFileSync(jsonPath, JSON.stringify(jsonOut, null, 1));
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
