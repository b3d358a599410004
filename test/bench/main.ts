/**
 * `npm run bench [-- options]`: performance of fast vs exhaustive classification of a whole-body
 * CT series from a real Orthanc, in Node and headless Chromium. Prints a table; --json writes the
 * report (fields in BENCHMARKS.md). Exit code 2 when the fast map differs from the exhaustive one.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Command, InvalidArgumentError } from 'commander';
import { BENCH_BUNDLE_DIR, REPO_ROOT } from './paths';
import { formatReport, type Host } from './report';
import { runBench } from './runBench';

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};
const nonNegativeInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer ≥ 0');
  return n;
};

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (/\.(ts|js)$/.test(entry.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Rebuilds the bench page bundle when the engine or the bench sources are newer than it. */
function ensureBundle(log: (s: string) => void): void {
  const bundle = path.join(BENCH_BUNDLE_DIR, 'bench-page.js');
  const built = fs.existsSync(bundle) ? fs.statSync(bundle).mtimeMs : 0;
  const sources = Math.max(newestMtime(path.join(REPO_ROOT, 'extension/src/engine')), newestMtime(path.join(REPO_ROOT, 'test/bench')));
  if (built > sources) return;
  log('bundling the bench page (webpack)…');
  execFileSync(
    path.join(REPO_ROOT, 'node_modules/.bin/webpack'),
    ['--config', path.join(REPO_ROOT, 'test/bench/webpack.bench.config.js')],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('bench')
    .description('Benchmark fast vs exhaustive body-region classification of a whole-body CT series (Node and headless Chromium).')
    .option('--slices <n>', 'slices in the whole-body series', positiveInt)
    .option('--matrix <n>', 'rows and columns of each slice', positiveInt, 512)
    .option('--quick', 'small smoke run (120 slices, Node and Chromium, fewer inference images)')
    .option('--json <file>', 'write the JSON report to this file')
    .option('--host <host>', 'node, chromium or both', 'both')
    .option('--model <dir>', 'model folder (model.json, ONNX, labels)', undefined)
    .option('--node-threads <n>', 'wasm threads in Node', positiveInt, 1)
    .option('--browser-threads <n>', 'wasm threads in Chromium (0: hardwareConcurrency when cross-origin isolated)', nonNegativeInt, 0)
    .option('--batch <n>', 'images per inference batch (engine default 16)', positiveInt)
    .option('--concurrency <n>', 'frames fetched at the same time (engine default 4)', positiveInt)
    .option('--repeat <n>', 'runs of fast mode and of the inference measurement, median reported (exhaustive runs once)', positiveInt)
    .option('--inference-images <n>', 'images for the inference-only throughput run', positiveInt)
    .option('--no-warmup', 'do not read every frame once before measuring')
    .option('--sweep <mm,...>', 'fast mode first sampling distances to try in Node ("" for none)', '25,50,70')
    .option('--fetch-variants <n>', 'frames sampled for the fetch-only variants (0: skip)', nonNegativeInt)
    .option('--no-gzip', 'make the proxy ask Orthanc for uncompressed answers even when the browser asks for gzip')
    .option('--cache <dir>', 'folder for generated DICOM and the archive storage (default .cache/bench)')
    .exitOverride();
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    return (e as { exitCode?: number }).exitCode ?? 1;
  }
  const o = program.opts<{
    slices?: number;
    matrix: number;
    quick?: boolean;
    json?: string;
    host: string;
    model?: string;
    nodeThreads: number;
    browserThreads: number;
    batch?: number;
    concurrency?: number;
    inferenceImages?: number;
    warmup: boolean;
    cache?: string;
    fetchVariants?: number;
    gzip: boolean;
    sweep: string;
    repeat?: number;
  }>();
  const hosts: Host[] = o.host === 'both' ? ['node', 'chromium'] : o.host === 'node' || o.host === 'chromium' ? [o.host] : [];
  if (!hosts.length) {
    process.stderr.write(`bench: --host must be node, chromium or both, not ${o.host}\n`);
    return 1;
  }
  const log = (s: string) => process.stderr.write(`${s}\n`);
  if (hosts.includes('chromium')) ensureBundle(log);
  const report = await runBench({
    slices: o.slices ?? (o.quick ? 120 : 1000),
    matrix: o.matrix,
    hosts,
    modelDir: o.model,
    nodeThreads: o.nodeThreads,
    browserThreads: o.browserThreads,
    batchSize: o.batch,
    concurrency: o.concurrency,
    inferenceImages: o.inferenceImages ?? (o.quick ? 64 : 512),
    repeat: o.repeat ?? (o.quick ? 1 : 3),
    quick: Boolean(o.quick),
    warmUp: o.warmup,
    sweepSampleMm: o.sweep
      .split(',')
      .filter((x) => x.trim() !== '')
      .map(Number)
      .filter((x) => x > 0),
    fetchVariantFrames: o.fetchVariants ?? (o.quick ? 20 : 100),
    archiveGzip: o.gzip,
    cacheRoot: o.cache,
    orthancStorageDir: o.cache ? path.join(o.cache, 'orthanc') : undefined,
    log,
  });
  process.stdout.write(`${formatReport(report)}\n`);
  if (o.json) {
    fs.mkdirSync(path.dirname(path.resolve(o.json)), { recursive: true });
    fs.writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
    log(`report written to ${o.json}`);
  }
  const mismatch = report.hosts.some((h) => report.correctness[h]?.equal === false);
  return mismatch ? 2 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
