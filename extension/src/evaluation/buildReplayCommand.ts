/**
 * `body-region build-replay`: the replay set a model ships for site adaptation. Every image of a
 * split (default train) goes through the engine; `--count` embeddings are drawn balanced over classes
 * and, within a class, over sources; written as replay-embeddings.bin + replay-labels.json (model
 * contract, infer/manifest.ts). When --out holds the model's model.json, its `replay` entry is set.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { promises as fs } from 'fs';
import * as path from 'path';
import { ExitCode } from '../cli/exitCodes';
import { DEFAULT_MODEL_DIR, loadModelFromDir } from '../engine/infer/loadModelNode';
import { ModelLoadError, serialiseReplay, type ReplaySet } from '../engine/infer/manifest';
import type { BodyRegionModel } from '../engine/infer/BodyRegionModel';
import { classifySeriesVolumeDetailed } from './classifyVolumes';
import { readDataset, selectSeries } from './dataset';
import { labelledEmbeddings, type SourcedEmbedding } from './labelledEmbeddings';
import { seededRandom } from './metrics/random';
import { NothingSelectedError } from './runEvaluation';

export const REPLAY_FILES = { file: 'replay-embeddings.bin', labels: 'replay-labels.json' };

/**
 * Splits `quota` over groups as evenly as their sizes allow (small groups give all they have, the
 * rest is shared among the others), then draws within each group with `draw`.
 */
function waterFill<T>(groups: T[][], quota: number, draw: (group: T[], n: number) => T[]): T[] {
  const order = groups.map((g, i) => i).sort((a, b) => groups[a].length - groups[b].length);
  const out: T[] = [];
  let left = quota;
  order.forEach((gi, rank) => {
    const share = Math.floor(left / (order.length - rank));
    const n = Math.min(groups[gi].length, share);
    out.push(...draw(groups[gi], n));
    left -= n;
  });
  return out;
}

function groupBy<T>(items: T[], key: (t: T) => string | number): T[][] {
  const map = new Map<string | number, T[]>();
  for (const item of items) map.set(key(item), [...(map.get(key(item)) ?? []), item]);
  return [...map.keys()].sort().map((k) => map.get(k) as T[]);
}

/** `count` items balanced over classes, and over sources within a class; seeded, reproducible. */
export function balancedReplay(items: SourcedEmbedding[], count: number, seed: number): SourcedEmbedding[] {
  const random = seededRandom(seed);
  const sample = <T>(group: T[], n: number): T[] => {
    const copy = [...group];
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(random() * (copy.length - i));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy.slice(0, n);
  };
  return waterFill(
    groupBy(items, (i) => i.label),
    Math.min(count, items.length),
    (classItems, n) =>
      waterFill(
        groupBy(classItems, (i) => i.source),
        n,
        sample,
      ),
  );
}

export function replaySet(items: SourcedEmbedding[], dim: number): ReplaySet {
  const embeddings = new Float32Array(items.length * dim);
  items.forEach((item, i) => embeddings.set(item.embedding, i * dim));
  return { count: items.length, dim, embeddings, labels: Int32Array.from(items.map((i) => i.label)), sources: items.map((i) => i.source) };
}

export interface BuildReplayOptions {
  data: string;
  split: string;
  modelDir: string;
  out: string;
  count: number;
  seed: number;
  log?: (line: string) => void;
}

export async function buildReplay(options: BuildReplayOptions): Promise<{ set: ReplaySet; manifestUpdated: boolean }> {
  const log = options.log ?? (() => undefined);
  const dataset = await readDataset(options.data);
  const selected = selectSeries(dataset.series, { split: options.split });
  if (selected.length === 0) throw new NothingSelectedError(`no series in ${options.data} for split "${options.split}"`);
  let model: BodyRegionModel | null = null;
  const items: SourcedEmbedding[] = [];
  try {
    model = await loadModelFromDir(options.modelDir);
    if (!model.embeddingSize)
      throw new ModelLoadError(`${options.modelDir}/model.json names no embeddingOutputName: no embeddings to replay`);
    for (const [i, series] of selected.entries()) {
      items.push(...labelledEmbeddings(await classifySeriesVolumeDetailed(series, model), model.labelNames));
      if ((i + 1) % 20 === 0 || i + 1 === selected.length) log(`embedded ${i + 1}/${selected.length} series (${items.length} images)`);
    }
  } finally {
    await model?.dispose();
  }
  const set = replaySet(balancedReplay(items, options.count, options.seed), (model as BodyRegionModel).embeddingSize);
  const { bin, labels } = serialiseReplay(set);
  await fs.mkdir(options.out, { recursive: true });
  await fs.writeFile(path.join(options.out, REPLAY_FILES.file), bin);
  await fs.writeFile(path.join(options.out, REPLAY_FILES.labels), JSON.stringify(labels) + '\n');
  // The model folder itself: point its model.json at the new files (other fields kept as they are).
  const manifestFile = path.join(options.out, 'model.json');
  let manifestUpdated = false;
  if (path.resolve(options.out) === path.resolve(options.modelDir)) {
    const manifest = JSON.parse(await fs.readFile(manifestFile, 'utf8')) as Record<string, unknown>;
    manifest.replay = { ...REPLAY_FILES, count: set.count, dim: set.dim };
    await fs.writeFile(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
    manifestUpdated = true;
  }
  return { set, manifestUpdated };
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function buildReplayProgram(): Command {
  return new Command('build-replay')
    .usage('--data <dir> --model <dir> --out <dir> [--split train] [--count 2000]')
    .description(
      "Build a model's replay set for site adaptation (replay-embeddings.bin, replay-labels.json) from a labelled data set, through the engine",
    )
    .requiredOption('--data <dir>', 'labelled data set in the shared format (e.g. ../shared/data)')
    .addOption(new Option('--split <split>', 'which rows of series.csv').choices(['dev', 'test', 'train', 'all']).default('train'))
    .option('--model <dir>', 'model folder (model.json with embeddingOutputName)', DEFAULT_MODEL_DIR)
    .option(
      '--out <dir>',
      "where to write the two files; when it is the model folder, its model.json's replay entry is set (default: the model folder)",
    )
    .option('--count <n>', 'embeddings in the set, balanced over classes and sources', positiveInteger, 2000)
    .option('--seed <n>', 'random seed of the draw', positiveInteger, 20261207)
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
}

export async function buildReplayCommand(argv: string[]): Promise<number> {
  const program = buildReplayProgram();
  let flags: { data: string; split: string; model: string; out?: string; count: number; seed: number };
  try {
    program.parse(argv, { from: 'user' });
    flags = program.opts();
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    throw e;
  }
  const out = flags.out ?? flags.model;
  try {
    const { set, manifestUpdated } = await buildReplay({
      data: flags.data,
      split: flags.split,
      modelDir: flags.model,
      out,
      count: flags.count,
      seed: flags.seed,
      log: (l) => process.stderr.write(`${l}\n`),
    });
    const classes = new Set(set.labels).size;
    const sources = new Set(set.sources).size;
    process.stdout.write(
      `replay set: ${set.count} embeddings (${set.dim}-d) over ${classes} classes and ${sources} sources, written to ${out}` +
        `${manifestUpdated ? '; model.json replay entry set' : ''}\n`,
    );
    return ExitCode.Ok;
  } catch (e) {
    process.stderr.write(`body-region build-replay: ${(e as Error).message}\n`);
    if (e instanceof ModelLoadError) return ExitCode.ModelFailed;
    if (e instanceof NothingSelectedError) return ExitCode.NothingFound;
    return ExitCode.SomeSeriesFailed;
  }
}
