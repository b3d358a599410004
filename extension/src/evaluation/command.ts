/**
 * `body-region evaluate`: model evaluation on a data set in the shared format, through the engine.
 * `argv` holds the arguments after the subcommand name; resolves to the process exit code, with the
 * CLI's meanings (extension/src/cli/exitCodes.ts): 0 report written, 1 bad arguments, 2 a series
 * could not be read or classified, 4 the model did not load, 5 nothing selected.
 */
import { Command, CommanderError, Option } from 'commander';
import { ExitCode } from '../cli/exitCodes';
import { nonNegativeInteger, positiveInteger } from '../cli/options';
import { ModelLoadError } from '../engine/infer/BodyRegionModel';
import { NothingSelectedError, runEvaluation } from './runEvaluation';
import { AdapterError } from '../engine/adapt/adapter';
import { addAdapterMethodOptions, methodOf, type AdapterMethodFlags } from './adapterOptions';
import { runSimulationCommand } from './runSimulation';

function idList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  ];
}

interface EvaluateFlags extends AdapterMethodFlags {
  data: string;
  split: string;
  out: string;
  model?: string;
  modality?: string;
  series?: string[];
  limitSeries?: number;
  bootstrap: number;
  seed: number;
  batchSize: number;
  mode: 'exhaustive' | 'fast';
  adapter?: string;
  simulateSites?: number;
}

export function evaluateProgram(): Command {
  const cmd = new Command('evaluate')
    .usage('--data <dir> [--split dev|test|all] [--out <dir>] [--model <dir>] [--modality CT|MR] [options]')
    .description('Evaluate the body-region model on a data set in the shared format (series.csv, labels.csv, volumes/*.nii.gz)')
    .requiredOption('--data <dir>', 'data root holding ct/ and mr/, or one modality folder')
    .addOption(
      new Option('--split <split>', 'which rows of series.csv (rows without a split count as test)')
        .choices(['dev', 'test', 'train', 'all'])
        .default('all'),
    )
    .option(
      '--out <dir>',
      'output folder for report.md, report.json, confusion.svg, confusion-raw.svg, predictions.csv',
      'evaluation-report',
    )
    .option('--model <dir>', 'folder with model.json, the ONNX file and labels.json (default: the repository models/)')
    .addOption(new Option('--modality <modality>', 'only this modality').choices(['CT', 'MR']))
    .option('--series <ids>', 'only these series ids (comma-separated, repeatable)', idList)
    .option('--limit-series <n>', 'only the first n selected series', positiveInteger)
    .option('--bootstrap <reps>', 'bootstrap resamples over subjects (0: no intervals)', nonNegativeInteger, 1000)
    .option('--seed <n>', 'bootstrap random seed', nonNegativeInteger, 20261127)
    .option('--batch-size <n>', 'images per inference call', positiveInteger, 32)
    .addOption(
      new Option('--mode <mode>', "the engine's mode: classify every image, or sample and bisect boundaries")
        .choices(['exhaustive', 'fast'])
        .default('exhaustive'),
    )
    .option(
      '--adapter <file>',
      'site adapter (body-region-adapter/2, from `body-region adapt`) applied to every image; the report records it',
    )
    .option(
      '--simulate-sites <k>',
      'instead of the report: every source with ≥ 3 series corrects k series (k subjects) and is scored on its others, with and without the adapter (docs/ADAPTATION.md)',
      positiveInteger,
    )

    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
  return addAdapterMethodOptions(cmd, 'with --simulate-sites: ');
}

export async function evaluateCommand(argv: string[]): Promise<number> {
  const program = evaluateProgram();
  let flags: EvaluateFlags;
  try {
    program.parse(argv, { from: 'user' });
    flags = program.opts<EvaluateFlags>();
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    throw e;
  }
  if (flags.simulateSites !== undefined) {
    if (flags.adapter) {
      process.stderr.write('body-region evaluate: --simulate-sites fits its own adapters; do not give --adapter\n');
      return ExitCode.Usage;
    }
    return runSimulationCommand({
      data: flags.data,
      split: flags.split,
      out: flags.out,
      modelDir: flags.model,
      modality: flags.modality,
      k: flags.simulateSites,
      seed: flags.seed,
      batchSize: flags.batchSize,
      method: methodOf(flags),
    });
  }
  try {
    const report = await runEvaluation({
      data: flags.data,
      split: flags.split,
      out: flags.out,
      modelDir: flags.model,
      modality: flags.modality,
      seriesIds: flags.series,
      limitSeries: flags.limitSeries,
      bootstrapReps: flags.bootstrap,
      seed: flags.seed,
      batchSize: flags.batchSize,
      mode: flags.mode,
      adapterFile: flags.adapter,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    const pct = (v: number | null) => (v === null ? '–' : `${(100 * v).toFixed(1)} %`);
    process.stdout.write(
      `${report.counts.images} images, ${report.counts.series} series: accuracy ${pct(report.imageAccuracy)} raw, ` +
        `${pct(report.imageAccuracyDecoded)} decoded; series exact match ${pct(report.seriesExactMatch)}; report in ${flags.out}\n`,
    );
    return ExitCode.Ok;
  } catch (e) {
    process.stderr.write(`body-region evaluate: ${(e as Error).message}\n`);
    if (e instanceof ModelLoadError) return ExitCode.ModelFailed;
    if (e instanceof NothingSelectedError) return ExitCode.NothingFound;
    if (e instanceof AdapterError || e instanceof SyntaxError) return ExitCode.Usage;
    return ExitCode.SomeSeriesFailed;
  }
}
