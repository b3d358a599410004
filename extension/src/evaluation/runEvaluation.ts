/**
 * One evaluation run: read the data set, classify every selected series through the engine, build
 * the report and write report.json, report.md, confusion.svg, confusion-raw.svg and predictions.csv.
 * Node only.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { areAdjacent } from '../engine/decode/anatomy';
import { DEFAULT_MODEL_DIR, loadModelFromDir } from '../engine/infer/loadModelNode';
import { buildReport, EvaluationReport, type ReportAdapter } from './buildReport';
import { parseAdapter, type SiteAdapter } from '../engine/adapt/adapter';
import type { BodyRegionModel } from '../engine/infer/BodyRegionModel';
import { classifySeriesVolume, EvaluationMode } from './classifyVolumes';
import { readDataset, selectSeries } from './dataset';
import type { SeriesOutcome } from './outcome';
import { confusionSvg } from './report/confusionSvg';
import { reportMarkdown } from './report/markdown';

/** The selection (split, modality, series ids) names no series of the data set. */
export class NothingSelectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NothingSelectedError';
  }
}

export interface EvaluationOptions {
  data: string;
  split: string;
  out: string;
  modelDir?: string;
  modality?: string;
  seriesIds?: string[];
  limitSeries?: number;
  bootstrapReps: number;
  seed: number;
  batchSize: number;
  mode?: EvaluationMode;
  /** `--adapter <file>`: a site adapter applied to every image. */
  adapterFile?: string;
  log?: (line: string) => void;
}

/** JSON with numbers rounded to 6 significant decimals: exact enough, and diffs stay readable. */
function reportJson(report: EvaluationReport): string {
  return JSON.stringify(report, (_, v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(6)) : v), 2) + '\n';
}

/** `--adapter`: read, parse and check against the model (AdapterError says why not). */
export async function readAdapter(file: string, model: BodyRegionModel): Promise<SiteAdapter> {
  const adapter = parseAdapter(JSON.parse(await fs.readFile(file, 'utf8')));
  adapter.checkModel(model);
  return adapter;
}

export function reportAdapter(file: string, adapter: SiteAdapter): ReportAdapter {
  const f = adapter.file;
  return {
    file,
    id: adapter.id,
    corrections: f.corrections.images,
    series: f.corrections.series,
    classes: f.corrections.classes,
    createdAt: f.createdAt,
  };
}

/** model.json may record what the model was trained on (`training.trainedOn`, written by train.py). */
function trainedOnOf(manifest: object): string | null {
  const training = (manifest as { training?: { trainedOn?: unknown } }).training;
  return typeof training?.trainedOn === 'string' ? training.trainedOn : null;
}

/** One line per image: for error analysis and for comparing with the training pipeline's predictions. */
export function predictionsCsv(outcomes: readonly SeriesOutcome[]): string {
  const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = ['series,modality,subject,slice,truth,raw,decoded,raw_confidence'];
  for (const o of outcomes) {
    o.truth.forEach((truth, k) => {
      lines.push(
        [o.series.id, o.series.modality, o.series.subject, String(k), truth, o.raw[k], o.decoded[k], o.rawConfidence[k].toFixed(4)]
          .map(quote)
          .join(','),
      );
    });
  }
  return lines.join('\n') + '\n';
}

export async function runEvaluation(options: EvaluationOptions): Promise<EvaluationReport> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const dataset = await readDataset(options.data);
  let selected = selectSeries(dataset.series, { split: options.split, modality: options.modality, ids: options.seriesIds });
  if (options.seriesIds && options.seriesIds.length > 0) {
    const found = new Set(selected.map((s) => s.id));
    const unknown = options.seriesIds.filter((id) => !found.has(id));
    if (unknown.length > 0) throw new NothingSelectedError(`series not found in split "${options.split}": ${unknown.join(', ')}`);
  }
  if (options.limitSeries !== undefined) selected = selected.slice(0, options.limitSeries);
  if (selected.length === 0)
    throw new NothingSelectedError(
      `no series in ${options.data} for split "${options.split}"${options.modality ? ` and modality ${options.modality}` : ''}`,
    );

  const modelDir = path.resolve(options.modelDir ?? DEFAULT_MODEL_DIR);
  const model = await loadModelFromDir(modelDir);
  const outcomes: SeriesOutcome[] = [];
  let adapter: SiteAdapter | null;
  try {
    adapter = options.adapterFile ? await readAdapter(options.adapterFile, model) : null;
    for (const [i, series] of selected.entries()) {
      outcomes.push(await classifySeriesVolume(series, model, { batchSize: options.batchSize, mode: options.mode, adapter }));
      if ((i + 1) % 10 === 0 || i + 1 === selected.length) log(`classified ${i + 1}/${selected.length} series`);
    }
  } finally {
    await model.dispose();
  }
  const classifiedAt = Date.now();

  const report = buildReport(outcomes, model.labelNames, {
    model: {
      id: model.manifest.modelId,
      version: model.manifest.version,
      file: model.manifest.file,
      sha256: model.sha256 ?? '',
      inputSize: model.manifest.inputSize,
      preprocessing: model.manifest.preprocessing,
      trainedOn: trainedOnOf(model.manifest),
    },
    data: {
      path: options.data,
      folders: dataset.folders.map((f) => path.relative(path.resolve(options.data), f) || '.'),
      split: options.split,
      modality: options.modality ?? null,
      seriesFilter: options.seriesIds && options.seriesIds.length > 0 ? options.seriesIds : null,
      mode: options.mode ?? 'exhaustive',
    },
    createdAt: new Date().toISOString(),
    // Reading, preprocessing, inference and decoding; the bootstrap below is not included.
    runtimeSeconds: (classifiedAt - started) / 1000,
    bootstrap: { reps: options.bootstrapReps, seed: options.seed },
    adjacency: { test: areAdjacent, source: 'engine REGION_ADJACENCY (extension/src/engine/decode/anatomy.ts)' },
    hasBodyPartExamined: dataset.hasBodyPartExamined,
    adapter: adapter && options.adapterFile ? reportAdapter(options.adapterFile, adapter) : null,
  });

  await fs.mkdir(options.out, { recursive: true });
  const title = `${report.model.id} ${report.model.version}, split ${report.data.split}`;
  await fs.writeFile(path.join(options.out, 'report.json'), reportJson(report));
  await fs.writeFile(path.join(options.out, 'report.md'), reportMarkdown(report));
  await fs.writeFile(path.join(options.out, 'predictions.csv'), predictionsCsv(outcomes));
  await fs.writeFile(
    path.join(options.out, 'confusion.svg'),
    confusionSvg(report.confusion.labels, report.confusion.decoded, `${title}: decoded labels`),
  );
  await fs.writeFile(
    path.join(options.out, 'confusion-raw.svg'),
    confusionSvg(report.confusion.labels, report.confusion.raw, `${title}: raw (argmax) labels`),
  );
  log(`report written to ${options.out} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return report;
}
