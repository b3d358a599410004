/**
 * `evaluate --simulate-sites k`: every source (modality × source) with ≥ 3 series plays a site that
 * corrects k series (of k different subjects) and then reads its other series with the adapter.
 * Figures per site and overall: decoded accuracy (image-weighted) on the site's other series with
 * and without the adapter, and the change on every other site's series (forgetting). The model
 * runs once per series; each site's adapter re-decodes from the kept embeddings.
 */
import type { AdapterFile, AdapterMethod } from '../engine/adapt/adapter';
import { SiteAdapter } from '../engine/adapt/adapter';
import type { BodyRegionModel } from '../engine/infer/BodyRegionModel';
import { fitForModel, type AdaptationAssets } from './adaptCommand';
import { classifySeriesVolumeDetailed, redecodeSeriesVolume, type DetailedVolumeOutcome } from './classifyVolumes';
import type { SeriesRecord } from './dataset';
import { labelledEmbeddings } from './labelledEmbeddings';
import { seededRandom } from './metrics/random';
import type { SeriesOutcome } from './outcome';

export const SIMULATION_SCHEMA = 'body-region-site-simulation/1';

export interface Accuracy {
  images: number;
  /** Decoded (after the sequence decoder), image-weighted; null without images. */
  decoded: number | null;
  raw: number | null;
}

export interface SiteFigures {
  site: string;
  modality: string;
  source: string;
  series: number;
  /** The k series the site corrected (one per subject). */
  fitSeries: string[];
  fitImages: number;
  /** The site's series of other subjects, scored. */
  scoredSeries: number;
  before: Accuracy;
  after: Accuracy;
  /** (errors before − errors after) / errors before, decoded; null when there were no errors. */
  errorReduction: number | null;
  /** Scored images whose true class the corrections lack. */
  absentClasses: { before: Accuracy; after: Accuracy };
  /** Every other site's series (same split), with this site's adapter: the forgetting. */
  others: { before: Accuracy; after: Accuracy; changePoints: number | null };
  fit: { ms: number; iterations: number };
  /** Which model this site used (a source-held-out twin, or the one model). */
  model: string;
}

export interface SimulationReport {
  schema: typeof SIMULATION_SCHEMA;
  createdAt: string;
  k: number;
  seed: number;
  method: AdapterMethod;
  replayImages: number;
  sites: SiteFigures[];
  overall: {
    sites: number;
    /** Mean over sites of errorReduction (sites without errors before left out). */
    meanErrorReduction: number | null;
    /** All sites' scored images together. */
    before: Accuracy;
    after: Accuracy;
    errorReduction: number | null;
    /** Mean over sites of the change on other sites' images (points; negative = forgetting). */
    meanOthersChangePoints: number | null;
    absentClasses: { before: Accuracy; after: Accuracy };
  };
}

interface Tally {
  n: number;
  decoded: number;
  raw: number;
}
const tally = (): Tally => ({ n: 0, decoded: 0, raw: 0 });
function add(t: Tally, o: SeriesOutcome, keep: (truth: string) => boolean = () => true): void {
  o.truth.forEach((truth, k) => {
    if (!keep(truth)) return;
    t.n++;
    if (o.decoded[k] === truth) t.decoded++;
    if (o.raw[k] === truth) t.raw++;
  });
}
const accuracy = (t: Tally): Accuracy => ({ images: t.n, decoded: t.n ? t.decoded / t.n : null, raw: t.n ? t.raw / t.n : null });
function reduction(before: Accuracy, after: Accuracy): number | null {
  if (before.decoded === null || after.decoded === null || before.decoded >= 1) return null;
  return (1 - before.decoded - (1 - after.decoded)) / (1 - before.decoded);
}
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export interface SiteModel {
  name: string;
  assets: AdaptationAssets;
}

export interface SimulateOptions {
  k: number;
  seed: number;
  method?: Partial<AdapterMethod>;
  batchSize?: number;
  /** The model a site's simulation uses (default: the one model): a twin trained without that source. */
  modelFor: (site: { modality: string; source: string }) => SiteModel;
  log?: (line: string) => void;
  /** First runs per model name, kept across calls (a sweep over methods classifies once). */
  runsCache?: Map<string, Map<string, DetailedVolumeOutcome>>;
}

/** The site's fit series: k subjects in seeded order, the first series (by id) of each. */
function pickFitSeries(series: SeriesRecord[], k: number, seed: number): SeriesRecord[] {
  const subjects = [...new Set(series.map((s) => s.subject))].sort();
  const random = seededRandom(seed);
  for (let i = subjects.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [subjects[i], subjects[j]] = [subjects[j], subjects[i]];
  }
  return subjects.slice(0, k).map((subject) => series.filter((s) => s.subject === subject).sort((a, b) => a.id.localeCompare(b.id))[0]);
}

export async function simulateSites(selected: SeriesRecord[], options: SimulateOptions): Promise<SimulationReport> {
  const log = options.log ?? (() => undefined);
  const siteKey = (s: SeriesRecord) => `${s.modality}|${s.source}`;
  const bySite = new Map<string, SeriesRecord[]>();
  for (const s of selected) bySite.set(siteKey(s), [...(bySite.get(siteKey(s)) ?? []), s]);
  const sites = [...bySite.entries()]
    .filter(([, list]) => list.length >= 3 && new Set(list.map((s) => s.subject)).size > options.k)
    .sort(([a], [b]) => a.localeCompare(b));

  // One inference pass per model over every series; adapters then only re-decode.
  const firstRuns = options.runsCache ?? new Map<string, Map<string, DetailedVolumeOutcome>>();
  async function runsOf(model: SiteModel): Promise<Map<string, DetailedVolumeOutcome>> {
    let runs = firstRuns.get(model.name);
    if (!runs) {
      runs = new Map();
      for (const [i, s] of selected.entries()) {
        runs.set(s.id, await classifySeriesVolumeDetailed(s, model.assets.model as BodyRegionModel, { batchSize: options.batchSize }));
        if ((i + 1) % 20 === 0 || i + 1 === selected.length) log(`${model.name}: classified ${i + 1}/${selected.length} series`);
      }
      firstRuns.set(model.name, runs);
    }
    return runs;
  }

  const figures: SiteFigures[] = [];
  let lastMethod: AdapterMethod | null = null;
  let replayImages = 0;
  for (const [key, list] of sites) {
    const [modality, source] = [list[0].modality, list[0].source];
    const siteModel = options.modelFor({ modality, source });
    const runs = await runsOf(siteModel);
    const fitSeries = pickFitSeries(list, options.k, options.seed);
    const fitSubjects = new Set(fitSeries.map((s) => s.subject));
    const model = siteModel.assets.model;
    const items = fitSeries.flatMap((s) => labelledEmbeddings(runs.get(s.id) as DetailedVolumeOutcome, model.labelNames));
    const file: AdapterFile = fitForModel(siteModel.assets, items, options.method);
    lastMethod = file.method;
    replayImages = file.replay.images;
    const adapter = new SiteAdapter(file);
    const corrected = new Set(file.corrections.classes);

    const siteBefore = tally(),
      siteAfter = tally(),
      absentBefore = tally(),
      absentAfter = tally(),
      othersBefore = tally(),
      othersAfter = tally();
    const scored = list.filter((s) => !fitSubjects.has(s.subject));
    for (const s of selected) {
      const first = runs.get(s.id) as DetailedVolumeOutcome;
      const isSite = siteKey(s) === key;
      if (isSite && fitSubjects.has(s.subject)) continue;
      const adapted = (await redecodeSeriesVolume(first, model as BodyRegionModel, adapter)).outcome;
      if (isSite) {
        add(siteBefore, first.outcome);
        add(siteAfter, adapted);
        add(absentBefore, first.outcome, (t) => !corrected.has(t));
        add(absentAfter, adapted, (t) => !corrected.has(t));
      } else {
        add(othersBefore, first.outcome);
        add(othersAfter, adapted);
      }
    }
    const before = accuracy(siteBefore);
    const after = accuracy(siteAfter);
    const oBefore = accuracy(othersBefore);
    const oAfter = accuracy(othersAfter);
    figures.push({
      site: key,
      modality,
      source,
      series: list.length,
      fitSeries: fitSeries.map((s) => s.id),
      fitImages: items.length,
      scoredSeries: scored.length,
      before,
      after,
      errorReduction: reduction(before, after),
      absentClasses: { before: accuracy(absentBefore), after: accuracy(absentAfter) },
      others: {
        before: oBefore,
        after: oAfter,
        changePoints: oBefore.decoded !== null && oAfter.decoded !== null ? 100 * (oAfter.decoded - oBefore.decoded) : null,
      },
      fit: { ms: file.fit.ms, iterations: file.fit.iterations },
      model: siteModel.name,
    });
    const pct = (a: Accuracy) => (a.decoded === null ? '–' : (100 * a.decoded).toFixed(1));
    log(`${key}: ${pct(before)} → ${pct(after)} % on ${before.images} images; others ${pct(oBefore)} → ${pct(oAfter)} %`);
  }

  const sum = (pick: (f: SiteFigures) => Accuracy): Accuracy => {
    const t = tally();
    for (const f of figures) {
      const a = pick(f);
      t.n += a.images;
      t.decoded += (a.decoded ?? 0) * a.images;
      t.raw += (a.raw ?? 0) * a.images;
    }
    return accuracy(t);
  };
  const before = sum((f) => f.before);
  const after = sum((f) => f.after);
  return {
    schema: SIMULATION_SCHEMA,
    createdAt: new Date().toISOString(),
    k: options.k,
    seed: options.seed,
    method: lastMethod ?? ({ ...options.method } as AdapterMethod),
    replayImages,
    sites: figures,
    overall: {
      sites: figures.length,
      meanErrorReduction: mean(figures.map((f) => f.errorReduction).filter((x): x is number => x !== null)),
      before,
      after,
      errorReduction: reduction(before, after),
      meanOthersChangePoints: mean(figures.map((f) => f.others.changePoints).filter((x): x is number => x !== null)),
      absentClasses: { before: sum((f) => f.absentClasses.before), after: sum((f) => f.absentClasses.after) },
    },
  };
}

/** simulate-sites.md: one table row per site, then the overall figures. */
export function simulationMarkdown(report: SimulationReport, title: string): string {
  const pct = (a: Accuracy) => (a.decoded === null ? '–' : (100 * a.decoded).toFixed(1));
  const signed = (x: number | null, digits = 1) => (x === null ? '–' : `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`);
  const lines = [
    `# Simulated sites: ${title}`,
    '',
    `Each source with ≥ 3 series corrects k = ${report.k} series (different subjects, seed ${report.seed}) and reads its other series with the adapter ` +
      `(λ = ${report.method.lambda}, replay weight ${report.method.replayWeight}, ${report.replayImages} replay images, free classes: ${report.method.freeClasses}, replay fitted to ${report.method.replayTargets === 'base' ? "the base head's probabilities" : 'its labels'}, ` +
      `site memory: ${report.method.memory ? `${report.method.memory.k} nearest corrections, weight ${report.method.memory.weight}` : 'none'}). ` +
      'Accuracy: decoded, image-weighted. "Others": every other source\'s series with this site\'s adapter (forgetting).',
    '',
    '| site | model | series (fit/scored) | images | before % | after % | errors cut | absent classes before → after % | others before → after % (Δ points) | fit ms |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const f of report.sites) {
    lines.push(
      `| ${f.site} | ${f.model} | ${f.fitSeries.length}/${f.scoredSeries} | ${f.before.images} | ${pct(f.before)} | ${pct(f.after)} | ${f.errorReduction === null ? '–' : `${(100 * f.errorReduction).toFixed(0)} %`} | ` +
        `${pct(f.absentClasses.before)} → ${pct(f.absentClasses.after)} (${f.absentClasses.before.images}) | ${pct(f.others.before)} → ${pct(f.others.after)} (${signed(f.others.changePoints)}) | ${f.fit.ms.toFixed(0)} |`,
    );
  }
  const o = report.overall;
  lines.push(
    '',
    `**Overall** (${o.sites} sites): ${pct(o.before)} → ${pct(o.after)} % on all sites' scored images ` +
      `(errors ${o.errorReduction === null ? '–' : `${signed(-100 * o.errorReduction, 0)} %`}); mean error reduction per site ` +
      `${o.meanErrorReduction === null ? '–' : `${(100 * o.meanErrorReduction).toFixed(0)} %`}; other sources ${signed(o.meanOthersChangePoints, 2)} points on average; ` +
      `classes absent from the corrections ${pct(o.absentClasses.before)} → ${pct(o.absentClasses.after)} %.`,
    '',
  );
  return lines.join('\n');
}
