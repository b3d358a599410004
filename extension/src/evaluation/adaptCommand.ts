/**
 * `body-region adapt`: fits a site adapter (`body-region-adapter/2`) on a labelled data set in the
 * shared format (every series of a split, through the engine) and/or a corrections export of the
 * viewer, plus the model's replay set. Exit codes as the CLI's (extension/src/cli/exitCodes.ts).
 */
import { Command, CommanderError, Option } from 'commander';
import { addAdapterMethodOptions, methodOf, type AdapterMethodFlags } from './adapterOptions';
import { promises as fs } from 'fs';
import * as path from 'path';
import { ExitCode } from '../cli/exitCodes';
import { AdapterError, fitAdapter, type AdapterFile, type AdapterMethod } from '../engine/adapt/adapter';
import { correctedEmbeddings, parseCorrections } from '../engine/adapt/corrections';
import { correctionSet, type LabelledEmbedding } from '../engine/adapt/trainingSet';
import type { BodyRegionModel } from '../engine/infer/BodyRegionModel';
import { DEFAULT_MODEL_DIR, loadModelFromDir, readHead, readReplay } from '../engine/infer/loadModelNode';
import { ModelLoadError, type LinearHead, type ReplaySet } from '../engine/infer/manifest';
import { classifySeriesVolumeDetailed } from './classifyVolumes';
import { readDataset, selectSeries } from './dataset';
import { labelledEmbeddings } from './labelledEmbeddings';
import { NothingSelectedError } from './runEvaluation';

/** What fitting an adapter for a model needs besides the corrections. */
export interface AdaptationAssets {
  model: BodyRegionModel;
  head: LinearHead;
  replay: ReplaySet | null;
}

/** Head and replay set of the model in `dir` (the head is required: it is the adapter's anchor). */
export async function adaptationAssets(dir: string, model: BodyRegionModel): Promise<AdaptationAssets> {
  if (!model.embeddingSize) throw new ModelLoadError(`${dir}/model.json names no embeddingOutputName: this model cannot be adapted`);
  const head = await readHead(dir, model.manifest);
  if (!head) throw new ModelLoadError(`${dir}/model.json names no "head" (head.json): the adapter needs the shipped head`);
  return { model, head, replay: await readReplay(dir, model.manifest) };
}

export function fitForModel(assets: AdaptationAssets, items: LabelledEmbedding[], method: Partial<AdapterMethod> = {}): AdapterFile {
  const { model, head, replay } = assets;
  return fitAdapter({
    head,
    temperature: model.temperature,
    replay,
    corrections: correctionSet(items, model.embeddingSize),
    labels: model.labelNames,
    baseModel: { id: model.manifest.modelId, version: model.manifest.version, sha256: model.sha256 ?? '' },
    method,
  });
}

/** Every image of the selected series, classified by the engine, with its true label. */
export async function labelledDataEmbeddings(
  model: BodyRegionModel,
  data: string,
  selection: { split: string; modality?: string },
  log: (line: string) => void,
): Promise<LabelledEmbedding[]> {
  const dataset = await readDataset(data);
  const selected = selectSeries(dataset.series, selection);
  if (selected.length === 0) throw new NothingSelectedError(`no series in ${data} for split "${selection.split}"`);
  const items: LabelledEmbedding[] = [];
  for (const [i, series] of selected.entries()) {
    items.push(...labelledEmbeddings(await classifySeriesVolumeDetailed(series, model), model.labelNames));
    if ((i + 1) % 10 === 0 || i + 1 === selected.length) log(`embedded ${i + 1}/${selected.length} series`);
  }
  return items;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface AdaptFlags extends AdapterMethodFlags {
  data?: string;
  split: string;
  modality?: string;
  corrections?: string[];
  out: string;
  model?: string;
}

export function adaptProgram(): Command {
  const cmd = new Command('adapt')
    .usage('--data <dir> --split <name> --out <adapter.json> | --corrections <export.json> --out <adapter.json> [options]')
    .description(
      "Fit a site adapter: the model's linear head re-fitted on a site's labelled images (and/or its corrections export), pulled towards the shipped head, with the model's replay set",
    )
    .option(
      '--data <dir>',
      'labelled data set in the shared format (series.csv, labels.csv, volumes/): every series of --split is a correction',
    )
    .addOption(
      new Option('--split <split>', 'which rows of series.csv (rows without a split count as test)')
        .choices(['dev', 'test', 'train', 'all'])
        .default('all'),
    )
    .addOption(new Option('--modality <modality>', 'only this modality').choices(['CT', 'MR']))
    .option('--corrections <file>', 'a body-region-corrections/1 export of the viewer (repeatable)', collect)
    .requiredOption('--out <file>', 'adapter file to write (body-region-adapter/2)')
    .option(
      '--model <dir>',
      'folder with model.json, the ONNX file, labels.json, head.json and the replay set (default: the repository models/)',
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
  return addAdapterMethodOptions(cmd);
}

export async function adaptCommand(argv: string[]): Promise<number> {
  const program = adaptProgram();
  let flags: AdaptFlags;
  try {
    program.parse(argv, { from: 'user' });
    flags = program.opts<AdaptFlags>();
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    throw e;
  }
  if (!flags.data && !flags.corrections?.length) {
    process.stderr.write('body-region adapt: give --data <dir> (with --split) and/or --corrections <file>\n');
    return ExitCode.Usage;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const modelDir = path.resolve(flags.model ?? DEFAULT_MODEL_DIR);
  let model: BodyRegionModel | null = null;
  try {
    model = await loadModelFromDir(modelDir);
    const assets = await adaptationAssets(modelDir, model);
    if (!assets.replay) log(`warning: ${modelDir}/model.json names no replay set: the adapter may forget the classes its corrections lack`);
    const items: LabelledEmbedding[] = [];
    if (flags.data) items.push(...(await labelledDataEmbeddings(model, flags.data, { split: flags.split, modality: flags.modality }, log)));
    for (const file of flags.corrections ?? []) {
      const corrections = parseCorrections(JSON.parse(await fs.readFile(file, 'utf8')));
      if (model.sha256 && corrections.model.sha256 !== model.sha256) {
        throw new AdapterError(
          `${file}: corrections were made with model sha256 ${corrections.model.sha256.slice(0, 12)}…, this model is ${model.sha256.slice(0, 12)}…`,
        );
      }
      items.push(...correctedEmbeddings(corrections, model.labelNames));
    }
    const adapter = fitForModel(assets, items, methodOf(flags));
    await fs.mkdir(path.dirname(path.resolve(flags.out)), { recursive: true });
    await fs.writeFile(flags.out, JSON.stringify(adapter) + '\n');
    process.stdout.write(
      `adapter fitted on ${adapter.corrections.images} images of ${adapter.corrections.series} series (${adapter.corrections.classes.join(', ')}) ` +
        `+ ${adapter.replay.images} replay images in ${adapter.fit.ms.toFixed(0)} ms (${adapter.fit.iterations} iterations); written to ${flags.out}\n`,
    );
    return ExitCode.Ok;
  } catch (e) {
    process.stderr.write(`body-region adapt: ${(e as Error).message}\n`);
    if (e instanceof ModelLoadError) return ExitCode.ModelFailed;
    if (e instanceof NothingSelectedError) return ExitCode.NothingFound;
    if (e instanceof AdapterError || e instanceof SyntaxError) return ExitCode.Usage;
    return ExitCode.SomeSeriesFailed;
  } finally {
    await model?.dispose().catch(() => undefined);
  }
}
