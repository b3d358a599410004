/**
 * `evaluate --simulate-sites k`: reads the data set, loads the model with its head and replay set,
 * runs the site simulation and writes simulate-sites.json and simulate-sites.md to --out. Node only.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { ExitCode } from '../cli/exitCodes';
import { AdapterError, type AdapterMethod } from '../engine/adapt/adapter';
import { DEFAULT_MODEL_DIR, loadModelFromDir } from '../engine/infer/loadModelNode';
import { ModelLoadError } from '../engine/infer/manifest';
import { adaptationAssets } from './adaptCommand';
import { readDataset, selectSeries } from './dataset';
import { NothingSelectedError } from './runEvaluation';
import { simulateSites, simulationMarkdown, type SimulationReport } from './simulateSites';

export interface SimulationOptions {
  data: string;
  split: string;
  out: string;
  modelDir?: string;
  modality?: string;
  k: number;
  seed: number;
  batchSize: number;
  method: AdapterMethod;
  log?: (line: string) => void;
}

export async function runSimulation(options: SimulationOptions): Promise<SimulationReport> {
  const log = options.log ?? (() => undefined);
  const dataset = await readDataset(options.data);
  const selected = selectSeries(dataset.series, { split: options.split, modality: options.modality });
  if (selected.length === 0) throw new NothingSelectedError(`no series in ${options.data} for split "${options.split}"`);
  const modelDir = path.resolve(options.modelDir ?? DEFAULT_MODEL_DIR);
  const model = await loadModelFromDir(modelDir);
  try {
    const assets = await adaptationAssets(modelDir, model);
    if (!assets.replay) log(`warning: ${modelDir}/model.json names no replay set: adapters are fitted without replay`);
    const name = `${model.manifest.modelId} ${model.manifest.version}`;
    const report = await simulateSites(selected, {
      k: options.k,
      seed: options.seed,
      method: options.method,
      batchSize: options.batchSize,
      modelFor: () => ({ name, assets }),
      log,
    });
    await fs.mkdir(options.out, { recursive: true });
    const json = JSON.stringify(
      {
        ...report,
        model: {
          dir: modelDir,
          id: model.manifest.modelId,
          version: model.manifest.version,
          sha256: model.sha256,
          trainedOn: (model.manifest.training as { trainedOn?: string } | undefined)?.trainedOn ?? null,
        },
        data: { path: options.data, split: options.split, modality: options.modality ?? null },
      },
      null,
      2,
    );
    await fs.writeFile(path.join(options.out, 'simulate-sites.json'), json + '\n');
    await fs.writeFile(path.join(options.out, 'simulate-sites.md'), simulationMarkdown(report, `${name}, split ${options.split}`));
    return report;
  } finally {
    await model.dispose();
  }
}

export async function runSimulationCommand(options: SimulationOptions): Promise<number> {
  try {
    const report = await runSimulation({ ...options, log: (line) => process.stderr.write(`${line}\n`) });
    const o = report.overall;
    const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)} %`);
    process.stdout.write(
      `${o.sites} simulated sites (k = ${report.k}): ${pct(o.before.decoded)} → ${pct(o.after.decoded)} on their other series, ` +
        `mean error reduction ${pct(o.meanErrorReduction)}, other sources ${o.meanOthersChangePoints === null ? '–' : o.meanOthersChangePoints.toFixed(2)} points; ` +
        `report in ${options.out}/simulate-sites.md\n`,
    );
    return ExitCode.Ok;
  } catch (e) {
    process.stderr.write(`body-region evaluate: ${(e as Error).message}\n`);
    if (e instanceof ModelLoadError) return ExitCode.ModelFailed;
    if (e instanceof NothingSelectedError) return ExitCode.NothingFound;
    if (e instanceof AdapterError) return ExitCode.Usage;
    return ExitCode.SomeSeriesFailed;
  }
}
