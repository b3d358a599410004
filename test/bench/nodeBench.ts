/**
 * The Node path: onnxruntime-web (wasm) in this process, DICOMweb through the bench server's proxy.
 * Modes run one after the other in one process (fast first, so its memory is measured from a clean
 * baseline); memory is this process' resident set (VmRSS before, VmHWM peak during the run).
 */
import { installXhrPolyfill } from '../../extension/src/cli/xhrPolyfill';
import { loadModelFromDir } from '../../extension/src/engine/infer/loadModelNode';
import { DEFAULT_SAMPLE_MM } from '../../extension/src/engine/decode/coarseToFine';
import type { BenchServer } from './benchServer';
import type { HostModeResult, HostResult } from './hostResult';
import { medianInference, medianTimings, withCounters, type FastSweepRow } from './hostResult';
import { compareMaps } from './compareMaps';
import { simulateFastSettings, type SimulatedFastRow } from './simulatedSweep';
import { measureInference, runMode, type Mode, type RunOptions, type SeriesRef } from './measure';
import { peakRssMB, resetPeakRss, rssMB } from './procMemory';

export interface NodeBenchOptions extends RunOptions {
  server: BenchServer;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  modelDir: string;
  threads: number;
  inferenceImages: number;
  /** Runs of fast mode and of the inference measurement (median reported); exhaustive runs once. */
  repeat?: number;
  /** Fast mode's first sampling distances (mm) to try after the main runs; [] for none. */
  sweepSampleMm?: number[];
  log?: (s: string) => void;
}

export async function runNodeBench(o: NodeBenchOptions): Promise<HostResult> {
  installXhrPolyfill();
  const notes: string[] = [];
  const t0 = performance.now();
  const model = await loadModelFromDir(o.modelDir, { numThreads: o.threads });
  const modelLoadSeconds = (performance.now() - t0) / 1000;
  const ref: SeriesRef = {
    dicomWebUrl: `${o.server.url}/dicom-web`,
    studyInstanceUID: o.studyInstanceUID,
    seriesInstanceUID: o.seriesInstanceUID,
  };
  try {
    const modes: Partial<Record<Mode, HostModeResult>> = {};
    for (const mode of ['fast', 'exhaustive'] as Mode[]) {
      o.log?.(`node: ${mode}…`);
      (globalThis as { gc?: () => void }).gc?.();
      const baseline = rssMB();
      const heap0 = process.memoryUsage().heapUsed;
      let heapPeak = heap0;
      const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 50);
      const canReset = resetPeakRss();
      o.server.resetCounters();
      const run = await runMode(ref, model, mode, { ...o, keepProbabilities: mode === 'exhaustive' });
      clearInterval(sampler);
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      const peak = canReset ? peakRssMB() : rssMB();
      if (!canReset && mode === 'fast') notes.push('node: /proc/self/clear_refs not writable, peak memory is the RSS after the run');
      const first: HostModeResult = {
        ...withCounters(run, o.server.counters),
        baselineMemoryMB: baseline,
        peakMemoryMB: peak,
        extraMemoryMB: baseline !== null && peak !== null ? peak - baseline : null,
        jsHeapExtraMB: (heapPeak - heap0) / 2 ** 20,
      };
      const more = [];
      for (let r = 1; mode === 'fast' && r < (o.repeat ?? 1); r++) more.push(await runMode(ref, model, mode, o));
      modes[mode] = medianTimings(first, more);
    }
    const fastSweep: FastSweepRow[] = [];
    for (const sampleMm of o.sweepSampleMm ?? []) {
      o.log?.(`node: fast mode, first samples ${sampleMm} mm apart…`);
      const run = await runMode(ref, model, 'fast', { ...o, sampleMm });
      const c = compareMaps(run.segments, modes.exhaustive!.segments, 1);
      fastSweep.push({
        sampleMm,
        framesFetched: run.framesFetched,
        framesFraction: run.framesFetched / run.framesTotal,
        wallSeconds: run.wallSeconds,
        equal: c.equal,
        maxBoundaryShift: c.maxBoundaryShift,
        problems: c.problems,
      });
    }
    let simulatedFast: SimulatedFastRow[] = [];
    const stack0 = modes.exhaustive?.stack0;
    if (stack0 && stack0.probabilities.every((p) => p !== null)) {
      simulatedFast = await simulateFastSettings({
        ...stack0,
        labelNames: model.labelNames,
        exhaustive: modes.exhaustive!.segments,
        sampleMm: [DEFAULT_SAMPLE_MM, ...(o.sweepSampleMm ?? [])],
        margins: [0, 1, 2],
      });
      delete modes.exhaustive!.stack0; // 1,000 × 20 numbers: not for the report
    }
    o.log?.('node: inference throughput…');
    const inferenceRuns = [];
    for (let r = 0; r < Math.max(1, o.repeat ?? 1); r++)
      inferenceRuns.push(await measureInference(ref, model, o.inferenceImages, o.batchSize ?? 16));
    const inference = medianInference(inferenceRuns);
    notes.push(
      `node: ${process.version}, onnxruntime-web wasm, ${o.threads} thread(s) requested; exhaustive runs after fast in the same process (its extra memory is over a baseline that fast already grew)`,
    );
    return {
      host: 'node',
      threads: o.threads,
      crossOriginIsolated: null,
      modelLoadSeconds,
      inference,
      fast: modes.fast!,
      exhaustive: modes.exhaustive!,
      fastSweep,
      simulatedFast,
      notes,
    };
  } finally {
    await model.dispose();
  }
}
