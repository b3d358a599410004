/**
 * Pools `adaptationSweep.ts --json` files of several source-held-out twins (one per CV fold) into
 * the figure issue 11 asks for: per method, the errors cut on each held-out site's other subjects
 * (mean over seeds), their mean over sites, and the change on the other sources. Not a test: run by
 * hand, e.g.
 *   node build/bench/test/bench/twinSweepSummary.js --select set4_fold0.json,set4_fold1.json,set4_fold2.json \
 *     --confirm set4_fold3.json,set4_fold4.json > summary.md
 * Methods are ranked on the --select folds only; the --confirm folds report the chosen method on
 * sites that played no part in choosing it.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { SweepJson } from './adaptationSweepFormat';

interface SiteRow {
  fold: string;
  site: string;
  before: number;
  after: number;
  cut: number;
  worstCut: number;
  others: number;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

function arg(name: string): string[] {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? [] : process.argv[i + 1].split(',').filter(Boolean);
}

function methodName(m: SweepJson['methods'][number]['method']): string {
  return (
    `λ ${m.lambda}, ρ ${m.replayWeight}` +
    (m.freeClasses === 'corrected' ? ', corrected classes only' : '') +
    (m.memory ? `, memory ${m.memory.k}/${m.memory.weight}` : '') +
    (m.replayTargets === 'base' ? ", replay: base head's probabilities" : '')
  );
}

/** Per method: one row per site that had errors to cut (a site at 100 % before has nothing to cut). */
function rows(files: string[]): Map<string, SiteRow[]> {
  const out = new Map<string, SiteRow[]>();
  for (const file of files) {
    const sweep = JSON.parse(fs.readFileSync(file, 'utf8')) as SweepJson;
    for (const { method, sites } of sweep.methods) {
      const list = out.get(methodName(method)) ?? [];
      for (const [site, s] of Object.entries(sites)) {
        if (!s.cut.length) continue;
        list.push({
          fold: `${path.basename(path.dirname(file))}/${path.basename(file, '.json')}`,
          site,
          before: mean(s.before),
          after: mean(s.after),
          cut: mean(s.cut),
          worstCut: Math.min(...s.cut),
          others: mean(s.others),
        });
      }
      out.set(methodName(method), list);
    }
  }
  return out;
}

function summaryLine(name: string, list: SiteRow[]): string {
  const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
  return (
    `| ${name} | ${list.length} | ${pct(mean(list.map((r) => r.cut)))} | ${pct(Math.min(...list.map((r) => r.cut)))} | ` +
    `${mean(list.map((r) => r.others)).toFixed(2)} | ${Math.min(...list.map((r) => r.others)).toFixed(2)} |`
  );
}

function main(): void {
  const select = rows(arg('select'));
  const confirm = rows(arg('confirm'));
  const header = [
    '| method | sites | mean errors cut per site | lowest site | mean others Δ points | lowest others Δ |',
    '|---|---|---|---|---|---|',
  ];
  const ranked = [...select.entries()].sort((a, b) => mean(b[1].map((r) => r.cut)) - mean(a[1].map((r) => r.cut)));
  const out = [
    confirm.size ? '## Selection folds' : '## All folds (methods ranked)',
    '',
    ...header,
    ...ranked.map(([n, l]) => summaryLine(n, l)),
  ];
  if (confirm.size) {
    out.push('', '## Confirmation folds (not used to choose)', '', ...header);
    for (const [n, l] of confirm) out.push(summaryLine(n, l));
  }
  out.push(
    '',
    '## Per site',
    '',
    '| method | twin | site | before % | after % | errors cut (mean over seeds) | worst seed | others Δ points |',
    '|---|---|---|---|---|---|---|---|',
  );
  for (const [n, l] of [...select.entries(), ...confirm.entries()]) {
    for (const r of l) {
      out.push(
        `| ${n} | ${r.fold} | ${r.site} | ${(100 * r.before).toFixed(1)} | ${(100 * r.after).toFixed(1)} | ${(100 * r.cut).toFixed(0)} % | ${(100 * r.worstCut).toFixed(0)} % | ${r.others.toFixed(2)} |`,
      );
    }
  }
  process.stdout.write(out.join('\n') + '\n');
}

main();
