/**
 * One benchmark run: build (or reuse) the whole-body series, store it in a real Orthanc, serve the
 * bench page with a /dicom-web proxy, measure fast and exhaustive mode in Node and/or headless
 * Chromium, check that the fast map equals the exhaustive one, and assemble the report.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { installXhrPolyfill } from '../../extension/src/cli/xhrPolyfill';
import { DicomWebArchive } from '../../extension/src/engine/fetch/dicomWebArchive';
import type { ModelManifest } from '../../extension/src/engine/infer/BodyRegionModel';
import { startBenchArchive } from './benchArchive';
import { startBenchServer } from './benchServer';
import { runChromiumBench } from './chromiumBench';
import { compareMaps, formatMap, runsOf } from './compareMaps';
import type { HostResult } from './hostResult';
import { seriesFrames } from './measure';
import { measureFetchVariants, type FetchVariant } from './fetchVariants';
import { runNodeBench } from './nodeBench';
import { BENCH_BUNDLE_DIR, BENCH_SOURCES, DEFAULT_MODEL_DIR, ORT_DIST } from './paths';
import { buildReport, type BenchReport, type Host } from './report';
import { buildWholeBodyStack, WHOLE_BODY_PARTS } from './wholeBodyStack';

export interface BenchOptions {
  slices: number;
  matrix: number;
  hosts: Host[];
  modelDir?: string;
  /** wasm threads; 0 = Node 1… see nodeThreads/browserThreads. */
  nodeThreads: number;
  /** 0: what the page may use (hardwareConcurrency when cross-origin isolated). */
  browserThreads: number;
  batchSize?: number;
  concurrency?: number;
  inferenceImages: number;
  /** Runs of fast mode and of the inference measurement; medians are reported. */
  repeat: number;
  quick: boolean;
  /** Read every frame once before measuring, so no host measures a cold archive. */
  warmUp: boolean;
  /** Fast mode's first sampling distances (mm) tried in Node after the main runs. */
  sweepSampleMm: number[];
  /** Frames sampled for the fetch-only variants (0: skip them). */
  fetchVariantFrames: number;
  /** Pass the client's Accept-Encoding to Orthanc (browsers ask for gzip); false forces identity. */
  archiveGzip: boolean;
  cacheRoot?: string;
  orthancStorageDir?: string;
  log?: (s: string) => void;
}

function machine(): BenchReport['machine'] {
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    nproc: os.cpus().length,
    memTotalGB: os.totalmem() / 2 ** 30,
    loadAverageStart: os.loadavg(),
    loadAverageEnd: [],
    node: process.version,
  };
}

/** Reads the metadata and every frame once through the proxy (no classification). */
async function warmUp(dicomWebUrl: string, study: string, series: string): Promise<void> {
  const archive = new DicomWebArchive({ url: dicomWebUrl });
  const frames = await seriesFrames({ dicomWebUrl, studyInstanceUID: study, seriesInstanceUID: series }, archive);
  // Keep only the sizes: holding 1,000 frames at once would grow this process by 500 MB and hide
  // the Node host's own memory growth behind a swollen baseline.
  await Promise.all(frames.map((f) => archive.retrieveFrame(f).then((r) => r.bytes.byteLength)));
}

export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const log = o.log ?? (() => undefined);
  const m0 = machine();
  const modelDir = path.resolve(o.modelDir ?? DEFAULT_MODEL_DIR);
  const manifestFile = path.join(modelDir, 'model.json');
  if (!fs.existsSync(manifestFile)) throw new Error(`no model: ${manifestFile} is missing (train and export one, or pass --model DIR)`);
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as ModelManifest;
  if (o.hosts.includes('chromium') && !fs.existsSync(path.join(BENCH_BUNDLE_DIR, 'bench-page.js'))) {
    throw new Error(`the bench page bundle is missing: run webpack --config test/bench/webpack.bench.config.js`);
  }

  let t = Date.now();
  log(`building the ${o.slices}-slice whole-body series (${o.matrix}²), or reusing the cache…`);
  let lastShown = 0;
  const stack = await buildWholeBodyStack({
    slices: o.slices,
    matrix: o.matrix,
    cacheRoot: o.cacheRoot,
    onProgress: (done, total) => {
      if (done - lastShown >= 100 || done === total) {
        lastShown = done;
        log(`  ${done}/${total} slices written`);
      }
    },
  });
  const generateSeconds = (Date.now() - t) / 1000;
  const archive = await startBenchArchive(stack, { storageDir: o.orthancStorageDir, log });
  const server = await startBenchServer({
    orthancUrl: archive.orthanc.url,
    passAcceptEncoding: o.archiveGzip,
    mounts: { '/bench/': path.join(BENCH_SOURCES, 'browser'), '/bench-build/': BENCH_BUNDLE_DIR, '/models/': modelDir, '/ort/': ORT_DIST },
  });
  const notes: string[] = [];
  try {
    installXhrPolyfill();
    if (o.warmUp) {
      t = Date.now();
      log('warming up the archive (every frame once)…');
      await warmUp(`${server.url}/dicom-web`, stack.studyInstanceUID, stack.seriesInstanceUID);
      notes.push(`warm-up: every frame read once before measuring (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    } else notes.push('no warm-up: the first host measured a cold archive');
    const common = {
      server,
      studyInstanceUID: stack.studyInstanceUID,
      seriesInstanceUID: stack.seriesInstanceUID,
      batchSize: o.batchSize,
      concurrency: o.concurrency,
      inferenceImages: o.inferenceImages,
      repeat: o.repeat,
      log,
    };
    const results: HostResult[] = [];
    for (const host of o.hosts) {
      if (host === 'node')
        results.push(await runNodeBench({ ...common, modelDir, threads: o.nodeThreads, sweepSampleMm: o.sweepSampleMm }));
      else results.push(await runChromiumBench({ ...common, threads: o.browserThreads }));
    }
    let fetchVariants: FetchVariant[] = [];
    if (o.fetchVariantFrames > 0) {
      log('fetch variants (uncompressed, gzip, /rendered)…');
      fetchVariants = await measureFetchVariants({
        orthancUrl: archive.orthanc.url,
        studyInstanceUID: stack.studyInstanceUID,
        seriesInstanceUID: stack.seriesInstanceUID,
        sopInstanceUIDs: stack.sopInstanceUIDs,
        size: manifest.inputSize,
        frames: o.fetchVariantFrames,
        concurrency: o.concurrency ?? 4,
      });
    }
    if (!o.archiveGzip)
      notes.push('proxy forced Accept-Encoding: identity towards Orthanc (--no-gzip): frames travel uncompressed in every host');
    else
      notes.push(
        "proxy passed each client's Accept-Encoding to Orthanc; the embedded Orthanc has HTTP compression off (extension/src/node/orthanc.ts), so frames travel uncompressed in every host",
      );
    const correctness: Partial<Record<Host, ReturnType<typeof compareMaps>>> = {};
    for (const r of results) correctness[r.host] = compareMaps(r.fast.segments, r.exhaustive.segments, 1);
    const report = buildReport({
      quick: o.quick,
      options: {
        repeat: o.repeat,
        archiveGzip: o.archiveGzip,
        warmUp: o.warmUp,
        batchSize: o.batchSize ?? null,
        concurrency: o.concurrency ?? null,
        nodeThreads: o.nodeThreads,
        browserThreads: o.browserThreads,
      },
      machine: { ...m0, loadAverageEnd: os.loadavg() },
      model: {
        id: manifest.modelId,
        version: manifest.version,
        dir: modelDir,
        file: manifest.file,
        bytes: fs.statSync(path.join(modelDir, manifest.file)).size,
        inputSize: manifest.inputSize,
      },
      stack: {
        slices: stack.slices,
        matrix: stack.matrix,
        spacingMm: stack.spacingMm,
        parts: WHOLE_BODY_PARTS.map((p) => (p.first !== undefined ? `${p.id}[${p.first}..${p.last}]` : p.id)),
        bytesPerFrame: stack.matrix * stack.matrix * 2,
        generateSeconds,
        storeSeconds: archive.storeSeconds,
        referenceMap: formatMap(runsOf(stack.truth)),
      },
      results,
      fetchVariants,
      correctness,
      notes,
    });
    return report;
  } finally {
    await server.close();
    await archive.orthanc.stop();
  }
}
