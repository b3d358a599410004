/** What each host (Node, Chromium) reports for one benchmark run. */
import type { InferenceRun, ModeRun } from './measure';
import type { ProxyCounters } from './benchServer';
import type { SimulatedFastRow } from './simulatedSweep';

export interface HostModeResult extends ModeRun {
  /** HTTP body bytes through the proxy: frames (multipart) and metadata (JSON). */
  httpFrameBytes: number;
  httpFrameRequests: number;
  httpMetadataBytes: number;
  /** Resident memory (MB) of the classifying process before the run, its peak during it, and the difference. */
  baselineMemoryMB: number | null;
  peakMemoryMB: number | null;
  extraMemoryMB: number | null;
  /** JS heap growth (MB) over the run, sampled (Chromium: CDP Performance.getMetrics JSHeapUsedSize). */
  jsHeapExtraMB: number | null;
  /** Wall time of every repeat, the first (fresh page / first run) first; the timing fields are the median run's. */
  wallSecondsRuns: number[];
}

/** The median run's timings over `runs` (first: the measured-memory run, whose other fields are kept). */
export function medianTimings(first: HostModeResult, more: ModeRun[]): HostModeResult {
  const all: ModeRun[] = [first, ...more];
  const sorted = [...all].sort((a, b) => a.wallSeconds - b.wallSeconds);
  const m = sorted[Math.floor((sorted.length - 1) / 2)];
  return {
    ...first,
    wallSeconds: m.wallSeconds,
    metadataSeconds: m.metadataSeconds,
    classifySeconds: m.classifySeconds,
    fetchMs: m.fetchMs,
    preprocessMs: m.preprocessMs,
    inferMs: m.inferMs,
    decodeMs: m.decodeMs,
    wallSecondsRuns: all.map((r) => r.wallSeconds),
  };
}

/** The median of several inference runs, with every run's images/s. */
export function medianInference(runs: InferenceRun[]): InferenceRun {
  const sorted = [...runs].sort((a, b) => a.imagesPerSecond - b.imagesPerSecond);
  return { ...sorted[Math.floor((sorted.length - 1) / 2)], imagesPerSecondRuns: runs.map((r) => r.imagesPerSecond) };
}

export interface HostResult {
  host: 'node' | 'chromium';
  /** wasm threads onnxruntime-web used. */
  threads: number;
  crossOriginIsolated: boolean | null;
  modelLoadSeconds: number;
  inference: InferenceRun;
  /** The same inference run with one wasm thread, when `threads` > 1 (Chromium only). */
  inferenceSingleThread?: InferenceRun;
  fast: HostModeResult;
  exhaustive: HostModeResult;
  /** Node only: fast mode at other first sampling distances, against this run's exhaustive map. */
  fastSweep?: FastSweepRow[];
  /** Node only: fast mode settings simulated over the exhaustive run's probabilities. */
  simulatedFast?: SimulatedFastRow[];
  notes: string[];
}

export interface FastSweepRow {
  sampleMm: number;
  framesFetched: number;
  framesFraction: number;
  wallSeconds: number;
  equal: boolean;
  maxBoundaryShift: number | null;
  problems: string[];
}

export function withCounters(
  run: ModeRun,
  c: ProxyCounters,
): Pick<HostModeResult, 'httpFrameBytes' | 'httpFrameRequests' | 'httpMetadataBytes' | 'wallSecondsRuns'> & ModeRun {
  return {
    ...run,
    httpFrameBytes: c.frameBytes,
    httpFrameRequests: c.frameRequests,
    httpMetadataBytes: c.metadataBytes,
    wallSecondsRuns: [run.wallSeconds],
  };
}
