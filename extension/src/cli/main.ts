/**
 * The `body-region` command line: classify series of a DICOMweb archive or DICOM files on disk,
 * and (delegated) evaluate the model. `main(argv)` resolves to the exit code (docs/CLI.md).
 */
import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_MODEL_DIR } from '../engine/infer/loadModelNode';
import { loadModel } from './loadModel';
import type { BodyRegionModel } from '../engine/infer/BodyRegionModel';
import { AbortError } from '../engine/fetch/retry';
import { evaluateCommand } from '../evaluation/command';
import { classifyArchive } from './classifyArchive';
import { classifyFiles } from './classifyFiles';
import { CliError, ExitCode } from './exitCodes';
import { archiveHeaders, AUTH_HEADER_ENV, HEADER_FILE_ENV } from './headers';
import { collect, nonNegativeInteger, positiveInteger } from './options';
import { ProgressReporter } from './progress';
import { ResultsSink } from './resultsFile';
import { openCliResultsCache } from './resultsCacheFile';
import { installXhrPolyfill } from './xhrPolyfill';
import { algorithmIdentityOf } from './archiveSrs';
import { useNodeWasmCodecs } from './nodeCodecs';
import { addQueueCommands } from './queue/commands';
import { readAdapterFile } from './adapterFile';
import type { SiteAdapter } from '../engine/adapt/adapter';
import { adaptCommand } from '../evaluation/adaptCommand';
import { buildReplayCommand } from '../evaluation/buildReplayCommand';

interface CommonFlags {
  out?: string;
  mode: 'exhaustive' | 'fast';
  model?: string;
  concurrency: number;
  quiet?: boolean;
  adapter?: string;
}
interface ClassifyFlags extends CommonFlags {
  url: string;
  study?: string[];
  series?: string[];
  all?: boolean;
  header?: string[];
  headerFile?: string;
  retries: number;
  timeout: number;
  cache?: string | boolean;
  stow?: boolean;
  readBack: boolean;
}

function addCommonOptions(cmd: Command): Command {
  return cmd
    .option('--out <file>', 'JSON Lines output (appended; series already done are skipped); stdout when absent')
    .addOption(
      new Option('--mode <mode>', 'exhaustive: every image; fast: samples and refines boundaries')
        .choices(['exhaustive', 'fast'])
        .default('exhaustive'),
    )
    .option('--model <dir>', 'folder with model.json, the ONNX file and labels.json', DEFAULT_MODEL_DIR)
    .option('--concurrency <n>', 'frames fetched and decoded at the same time', positiveInteger, 4)
    .option('-q, --quiet', 'no progress on stderr (errors are still reported)')
    .option('--adapter <file>', 'site adapter (body-region-adapter/2, from `body-region adapt`) applied to every image');
}

type Action = (flags: never) => Promise<number>;

export function buildProgram(run: { classify: Action; classifyFiles: Action }, setExit: (code: number) => void): Command {
  const program = new Command('body-region')
    .description('Labels every CT and MR image with the body region it shows (DICOM PS3.16 Annex L terms per series and study).')
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });

  addCommonOptions(
    program
      .command('classify')
      .description('classify the series of studies in a DICOMweb archive')
      .requiredOption('--url <url>', 'DICOMweb root, e.g. http://localhost:8042/dicom-web')
      .option('--study <uid>', 'StudyInstanceUID to classify (repeatable)', collect)
      .option('--all', 'every study the archive lists')
      .option('--series <uid>', 'only this SeriesInstanceUID of the chosen studies (repeatable)', collect)
      .option(
        '--header <header>',
        "HTTP header sent with every request, e.g. 'Authorization: Bearer …' (repeatable; never logged, but visible in ps: prefer --header-file)",
        collect,
      )
      .option(
        '--header-file <file>',
        `file of 'Name: value' lines sent with every request (or ${HEADER_FILE_ENV}=<file>, or ${AUTH_HEADER_ENV}='Name: value')`,
      )
      .option('--retries <n>', 'retries per request on 5xx, network errors and timeouts', nonNegativeInteger, 3)
      .option('--timeout <ms>', 'per-request timeout in milliseconds', positiveInteger, 30000)
      .option(
        '--cache [file]',
        'reuse results of earlier runs with the same model and mode (default file ~/.cache/body-region/results.json)',
      )
      .option('--no-cache', 'do not read or write the results cache (the default)')
      .option('--stow', 'store each new result as a DICOM SR on the same archive (STOW-RS, same --header); see docs/SR.md')
      .option('--no-read-back', 'classify even where the archive has our SR for the series and model'),
  ).action(async (flags: ClassifyFlags) => setExit(await run.classify(flags as never)));

  addCommonOptions(
    program
      .command('classify-files')
      .description('classify DICOM Part-10 files on disk (folders are searched recursively; files are grouped by series)')
      .argument('<paths...>', 'files or folders'),
  ).action(async (paths: string[], flags: CommonFlags) => setExit(await run.classifyFiles({ ...flags, paths } as never)));

  addQueueCommands(program, setExit);

  program
    .command('evaluate')
    .description('evaluate the model on a data set in the shared format (see `body-region evaluate --help`)')
    .allowUnknownOption()
    .helpOption(false);
  for (const [name, what] of [
    ['adapt', 'fit a site adapter on a labelled data set or a corrections export (see `body-region adapt --help`)'],
    ['build-replay', "build a model's replay set for site adaptation (see `body-region build-replay --help`)"],
  ]) {
    program.command(name).description(what).allowUnknownOption().helpOption(false);
  }
  return program;
}

/** Aborts on Ctrl-C so finished series stay in the output and the run can be resumed. */
function interruptController(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.removeListener('SIGINT', onSigint) };
}

async function withSession<T extends CommonFlags>(
  flags: T,
  body: (ctx: {
    model: BodyRegionModel;
    adapter: SiteAdapter | null;
    sink: ResultsSink;
    progress: ProgressReporter;
    signal: AbortSignal;
  }) => Promise<number>,
): Promise<number> {
  const model = await loadModel(flags.model ?? DEFAULT_MODEL_DIR);
  let adapter: SiteAdapter | null;
  try {
    adapter = flags.adapter ? readAdapterFile(flags.adapter, model) : null;
  } catch (error) {
    await model.dispose().catch(() => undefined);
    throw error;
  }
  const sink = new ResultsSink(flags.out ?? null);
  const progress = new ProgressReporter(process.stderr, Boolean(flags.quiet));
  const interrupt = interruptController();
  try {
    return await body({ model, adapter, sink, progress, signal: interrupt.signal });
  } catch (error) {
    if (error instanceof AbortError || interrupt.signal.aborted) {
      process.stderr.write('body-region: interrupted; finished series are in the output, run again to resume\n');
      return ExitCode.Interrupted;
    }
    throw error;
  } finally {
    interrupt.dispose();
    sink.close();
    await model.dispose().catch(() => undefined);
  }
}

async function runClassify(flags: ClassifyFlags): Promise<number> {
  const studies = flags.study ?? [];
  if (!flags.all && studies.length === 0) throw new CliError('classify needs --study <uid> (repeatable) or --all', ExitCode.Usage);
  if (flags.all && studies.length > 0) throw new CliError('use either --study or --all, not both', ExitCode.Usage);
  const headers = archiveHeaders({ header: flags.header, headerFile: flags.headerFile });
  installXhrPolyfill();
  const warn = (message: string) => process.stderr.write(`body-region: warning: ${message}\n`);
  return withSession(flags, async ({ model, adapter, sink, progress, signal }) => {
    const cache = openCliResultsCache(flags.cache, model, flags.mode, warn, adapter?.id ?? null);
    try {
      return await classifyArchive({
        url: flags.url,
        studies,
        series: flags.series ?? [],
        all: Boolean(flags.all),
        headers,
        mode: flags.mode,
        concurrency: flags.concurrency,
        retries: flags.retries,
        timeoutMs: flags.timeout,
        sink,
        progress,
        model,
        adapter,
        signal,
        cache,
        sr: {
          algorithm: algorithmIdentityOf(model.manifest, flags.model ?? DEFAULT_MODEL_DIR, adapter?.id ?? null),
          readBack: flags.readBack !== false,
          stow: Boolean(flags.stow),
        },
      });
    } finally {
      cache?.close(warn);
    }
  });
}

async function runClassifyFiles(flags: CommonFlags & { paths: string[] }): Promise<number> {
  return withSession(flags, ({ model, adapter, sink, progress, signal }) =>
    classifyFiles({ inputs: flags.paths, mode: flags.mode, concurrency: flags.concurrency, sink, progress, model, adapter, signal }),
  );
}

/** `evaluate`, `adapt` and `build-replay` live in extension/src/evaluation, with their own option parsing. */
const DELEGATED: Record<string, (argv: string[]) => Promise<number>> = {
  evaluate: evaluateCommand,
  adapt: adaptCommand,
  'build-replay': buildReplayCommand,
};

export async function main(argv: string[]): Promise<number> {
  useNodeWasmCodecs();
  if (argv.length > 0 && Object.prototype.hasOwnProperty.call(DELEGATED, argv[0])) return DELEGATED[argv[0]](argv.slice(1));
  let exitCode: number = ExitCode.Ok;
  const program = buildProgram({ classify: runClassify as Action, classifyFiles: runClassifyFiles as Action }, (code) => (exitCode = code));
  if (argv.length === 0) {
    program.outputHelp();
    return ExitCode.Usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; bad arguments with 1.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    if (error instanceof CliError) {
      process.stderr.write(`body-region: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`body-region: internal error: ${(error as Error).message ?? String(error)}\n`);
    return ExitCode.Internal;
  }
}
