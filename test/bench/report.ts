/** The benchmark's JSON report (documented field by field in BENCHMARKS.md) and its text table. */
import type { MapComparison } from './compareMaps';
import { formatMap } from './compareMaps';
import { DEFAULT_BOUNDARY_MARGIN, DEFAULT_SAMPLE_MM } from '../../extension/src/engine/decode/coarseToFine';
import type { FastSweepRow, HostModeResult, HostResult } from './hostResult';
import type { InferenceRun, MapSegment } from './measure';
import type { FetchVariant } from './fetchVariants';
import type { SimulatedFastRow } from './simulatedSweep';

export const BENCH_SCHEMA = 'body-region-bench/1';
export type Host = 'node' | 'chromium';
/** One value per host; a host that was not run is absent. */
export type PerHost<T> = Partial<Record<Host, T>>;

export interface ModeReport {
  framesTotal: number;
  framesFetched: PerHost<number>;
  wallSeconds: PerHost<number>;
  /** Every repeat's wall time (fast mode: --repeat runs, median in wallSeconds; exhaustive: one). */
  wallSecondsRuns: PerHost<number[]>;
  metadataSeconds: PerHost<number>;
  classifySeconds: PerHost<number>;
  httpFrameBytes: PerHost<number>;
  httpMetadataBytes: PerHost<number>;
  pixelBytes: PerHost<number>;
  extraMemoryMB: PerHost<number | null>;
  peakMemoryMB: PerHost<number | null>;
  jsHeapExtraMB: PerHost<number | null>;
  /** Frames per second of the whole run (fetch + decode + preprocess + inference), classifySeconds only. */
  pipelineImagesPerSecond: PerHost<number>;
  /** Engine timing (result.timing): milliseconds summed over concurrent fetch workers, so they overlap. */
  stagesMs: PerHost<{ fetch: number; preprocess: number; infer: number; decode: number }>;
  errors: PerHost<string | null>;
  segments: PerHost<MapSegment[]>;
  map: PerHost<string>;
}

export interface TargetRow {
  name: string;
  field: string;
  comparison: '<=' | '>=';
  target: number;
  unit: string;
  measured: number | null;
  met: boolean | null;
  /** Relative headroom (positive: met by that fraction of the target; negative: missed by it). */
  margin: number | null;
}

export interface BenchReport {
  schema: typeof BENCH_SCHEMA;
  date: string;
  quick: boolean;
  /** How the run was set up (engine defaults where null). */
  options: {
    repeat: number;
    archiveGzip: boolean;
    warmUp: boolean;
    batchSize: number | null;
    concurrency: number | null;
    nodeThreads: number;
    browserThreads: number;
  };
  machine: { cpuModel: string; nproc: number; memTotalGB: number; loadAverageStart: number[]; loadAverageEnd: number[]; node: string };
  model: { id: string; version: string; dir: string; file: string; bytes: number; inputSize: number };
  stack: {
    slices: number;
    matrix: number;
    spacingMm: number;
    parts: string[];
    bytesPerFrame: number;
    generateSeconds: number;
    storeSeconds: number;
    referenceMap: string;
  };
  hosts: Host[];
  threads: PerHost<number>;
  crossOriginIsolated: boolean | null;
  modelLoadSeconds: PerHost<number>;
  inference: PerHost<InferenceRun>;
  /** Inference with one wasm thread where the host used more (Chromium). */
  inferenceSingleThread: PerHost<InferenceRun>;
  fast: ModeReport & { framesFraction: number };
  exhaustive: ModeReport & { imagesPerSecond: PerHost<number> };
  /** fast ÷ exhaustive, per host, from the same run. */
  ratios: {
    wallSeconds: PerHost<number>;
    framesFetched: PerHost<number>;
    httpFrameBytes: PerHost<number>;
    extraMemoryMB: PerHost<number | null>;
  };
  correctness: PerHost<MapComparison> & { fastMapsAgreeAcrossHosts: boolean | null };
  /** Node: fast mode at other first sampling distances (frames, time, equality with exhaustive); [] when skipped. */
  fastSweep: FastSweepRow[];
  /** Node: fast-mode settings (first sampling distance × boundary margin) simulated over the exhaustive probabilities. */
  simulatedFast: SimulatedFastRow[];
  /** Fetch-only comparison of frame formats (Node, straight from Orthanc); [] when skipped. */
  fetchVariants: FetchVariant[];
  targets: TargetRow[];
  notes: string[];
}

function perHost<T>(results: HostResult[], pick: (r: HostResult) => T): PerHost<T> {
  const out: PerHost<T> = {};
  for (const r of results) out[r.host] = pick(r);
  return out;
}

function modeReport(results: HostResult[], pick: (r: HostResult) => HostModeResult): ModeReport {
  const first = pick(results[0]);
  return {
    framesTotal: first.framesTotal,
    framesFetched: perHost(results, (r) => pick(r).framesFetched),
    wallSeconds: perHost(results, (r) => pick(r).wallSeconds),
    wallSecondsRuns: perHost(results, (r) => pick(r).wallSecondsRuns),
    metadataSeconds: perHost(results, (r) => pick(r).metadataSeconds),
    classifySeconds: perHost(results, (r) => pick(r).classifySeconds),
    httpFrameBytes: perHost(results, (r) => pick(r).httpFrameBytes),
    httpMetadataBytes: perHost(results, (r) => pick(r).httpMetadataBytes),
    pixelBytes: perHost(results, (r) => pick(r).pixelBytes),
    extraMemoryMB: perHost(results, (r) => pick(r).extraMemoryMB),
    peakMemoryMB: perHost(results, (r) => pick(r).peakMemoryMB),
    jsHeapExtraMB: perHost(results, (r) => pick(r).jsHeapExtraMB),
    pipelineImagesPerSecond: perHost(results, (r) => pick(r).framesClassified / pick(r).classifySeconds),
    stagesMs: perHost(results, (r) => ({
      fetch: pick(r).fetchMs,
      preprocess: pick(r).preprocessMs,
      infer: pick(r).inferMs,
      decode: pick(r).decodeMs,
    })),
    errors: perHost(results, (r) => pick(r).error),
    segments: perHost(results, (r) => pick(r).segments),
    map: perHost(results, (r) => formatMap(pick(r).segments)),
  };
}

const ratio = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null || b === 0 ? null : a / b);

function target(
  name: string,
  field: string,
  comparison: '<=' | '>=',
  value: number,
  unit: string,
  measured: number | null | undefined,
): TargetRow {
  if (measured == null || !Number.isFinite(measured))
    return { name, field, comparison, target: value, unit, measured: null, met: null, margin: null };
  const met = comparison === '<=' ? measured <= value : measured >= value;
  const margin = comparison === '<=' ? (value - measured) / value : (measured - value) / value;
  return { name, field, comparison, target: value, unit, measured, met, margin };
}

export interface ReportInput {
  quick: boolean;
  options: BenchReport['options'];
  machine: BenchReport['machine'];
  model: BenchReport['model'];
  stack: BenchReport['stack'];
  results: HostResult[];
  fetchVariants: FetchVariant[];
  correctness: PerHost<MapComparison>;
  notes: string[];
}

export function buildReport(input: ReportInput): BenchReport {
  const { results } = input;
  if (!results.length) throw new Error('no host results');
  const fast = modeReport(results, (r) => r.fast);
  const exhaustive = modeReport(results, (r) => r.exhaustive);
  const preferred = (p: PerHost<number>) => p.chromium ?? p.node ?? null;
  const framesFraction = (preferred(fast.framesFetched) ?? 0) / fast.framesTotal;
  const fastMaps = results.map((r) => formatMap(r.fast.segments));
  const ratios = {
    wallSeconds: perHost(results, (r) => r.fast.wallSeconds / r.exhaustive.wallSeconds),
    framesFetched: perHost(results, (r) => r.fast.framesFetched / r.exhaustive.framesFetched),
    httpFrameBytes: perHost(results, (r) => r.fast.httpFrameBytes / r.exhaustive.httpFrameBytes),
    extraMemoryMB: perHost(results, (r) => ratio(r.fast.extraMemoryMB, r.exhaustive.extraMemoryMB)),
  };
  const imagesPerSecond = perHost(results, (r) => r.inference.imagesPerSecond);
  const targets = [
    target('fast mode fetches at most 10 % of the frames', 'fast.framesFraction', '<=', 0.1, 'fraction', framesFraction),
    target('fast map within 2 s in headless Chromium', 'fast.wallSeconds.chromium', '<=', 2, 's', fast.wallSeconds.chromium),
    target(
      'exhaustive inference at least 300 images/s in the browser',
      'exhaustive.imagesPerSecond.chromium',
      '>=',
      300,
      'images/s',
      imagesPerSecond.chromium,
    ),
    target(
      'at most 200 MB extra memory while classifying (fast, Chromium)',
      'fast.extraMemoryMB.chromium',
      '<=',
      200,
      'MB',
      fast.extraMemoryMB.chromium,
    ),
    target(
      'at most 200 MB extra memory while classifying (exhaustive, Chromium)',
      'exhaustive.extraMemoryMB.chromium',
      '<=',
      200,
      'MB',
      exhaustive.extraMemoryMB.chromium,
    ),
  ];
  return {
    schema: BENCH_SCHEMA,
    date: new Date().toISOString(),
    quick: input.quick,
    options: input.options,
    machine: input.machine,
    model: input.model,
    stack: input.stack,
    hosts: results.map((r) => r.host),
    threads: perHost(results, (r) => r.threads),
    crossOriginIsolated: results.find((r) => r.host === 'chromium')?.crossOriginIsolated ?? null,
    modelLoadSeconds: perHost(results, (r) => r.modelLoadSeconds),
    inference: perHost(results, (r) => r.inference),
    inferenceSingleThread: Object.fromEntries(
      results.filter((r) => r.inferenceSingleThread).map((r) => [r.host, r.inferenceSingleThread]),
    ) as PerHost<InferenceRun>,
    fast: { ...fast, framesFraction },
    exhaustive: { ...exhaustive, imagesPerSecond },
    ratios,
    correctness: { ...input.correctness, fastMapsAgreeAcrossHosts: fastMaps.length > 1 ? fastMaps.every((m) => m === fastMaps[0]) : null },
    fastSweep: results.find((r) => r.host === 'node')?.fastSweep ?? [],
    simulatedFast: results.find((r) => r.host === 'node')?.simulatedFast ?? [],
    fetchVariants: input.fetchVariants,
    targets,
    notes: [...input.notes, ...results.flatMap((r) => r.notes)],
  };
}

const mb = (bytes: number | undefined) => (bytes === undefined ? '–' : (bytes / 2 ** 20).toFixed(1));
const fixed = (v: number | null | undefined, d = 2) => (v == null || !Number.isFinite(v) ? '–' : v.toFixed(d));

/** The table printed to stdout. */
export function formatReport(r: BenchReport): string {
  const lines: string[] = [];
  const hosts = r.hosts;
  lines.push(`body-region benchmark ${r.date}${r.quick ? ' (quick)' : ''}`);
  lines.push(
    `machine: ${r.machine.cpuModel}, ${r.machine.nproc} cores, ${r.machine.memTotalGB.toFixed(1)} GB, load ${r.machine.loadAverageStart.map((l) => l.toFixed(2)).join('/')} → ${r.machine.loadAverageEnd.map((l) => l.toFixed(2)).join('/')}`,
  );
  lines.push(
    `model: ${r.model.id} ${r.model.version} (${r.model.file}, ${mb(r.model.bytes)} MB, input ${r.model.inputSize}); threads ${hosts.map((h) => `${h} ${r.threads[h]}`).join(', ')}; crossOriginIsolated ${r.crossOriginIsolated ?? '–'}`,
  );
  lines.push(
    `stack: ${r.stack.slices} slices of ${r.stack.matrix}² CT, ${r.stack.spacingMm.toFixed(2)} mm apart, ${mb(r.stack.bytesPerFrame * r.stack.slices)} MB of pixels; from ${r.stack.parts.join(', ')}`,
  );
  lines.push('');
  const header = ['', ...hosts.flatMap((h) => [`${h} fast`, `${h} exhaustive`, `${h} fast/exh`])];
  const rows: string[][] = [header];
  const row = (label: string, f: (h: Host) => [string, string, string]) => rows.push([label, ...hosts.flatMap((h) => f(h))]);
  const ratioCell = (a: number | null | undefined, b: number | null | undefined) => fixed(ratio(a, b), 3);
  row('wall time (s)', (h) => [
    fixed(r.fast.wallSeconds[h]),
    fixed(r.exhaustive.wallSeconds[h]),
    ratioCell(r.fast.wallSeconds[h], r.exhaustive.wallSeconds[h]),
  ]);
  row('  metadata (s)', (h) => [
    fixed(r.fast.metadataSeconds[h]),
    fixed(r.exhaustive.metadataSeconds[h]),
    ratioCell(r.fast.metadataSeconds[h], r.exhaustive.metadataSeconds[h]),
  ]);
  row('  classify (s)', (h) => [
    fixed(r.fast.classifySeconds[h]),
    fixed(r.exhaustive.classifySeconds[h]),
    ratioCell(r.fast.classifySeconds[h], r.exhaustive.classifySeconds[h]),
  ]);
  row('frames fetched', (h) => [
    String(r.fast.framesFetched[h] ?? '–'),
    String(r.exhaustive.framesFetched[h] ?? '–'),
    ratioCell(r.fast.framesFetched[h], r.exhaustive.framesFetched[h]),
  ]);
  row('frame bytes (MB, on the wire)', (h) => [
    mb(r.fast.httpFrameBytes[h]),
    mb(r.exhaustive.httpFrameBytes[h]),
    ratioCell(r.fast.httpFrameBytes[h], r.exhaustive.httpFrameBytes[h]),
  ]);
  row('metadata bytes (MB, wire)', (h) => [mb(r.fast.httpMetadataBytes[h]), mb(r.exhaustive.httpMetadataBytes[h]), '']);
  row('pipeline images/s', (h) => [fixed(r.fast.pipelineImagesPerSecond[h], 0), fixed(r.exhaustive.pipelineImagesPerSecond[h], 0), '']);
  row('  engine fetch ms (summed)', (h) => [fixed(r.fast.stagesMs[h]?.fetch, 0), fixed(r.exhaustive.stagesMs[h]?.fetch, 0), '']);
  row('  engine infer ms (queued)', (h) => [fixed(r.fast.stagesMs[h]?.infer, 0), fixed(r.exhaustive.stagesMs[h]?.infer, 0), '']);
  row('  engine preprocess ms', (h) => [fixed(r.fast.stagesMs[h]?.preprocess, 0), fixed(r.exhaustive.stagesMs[h]?.preprocess, 0), '']);
  row('extra memory (MB, RSS)', (h) => [
    fixed(r.fast.extraMemoryMB[h], 0),
    fixed(r.exhaustive.extraMemoryMB[h], 0),
    ratioCell(r.fast.extraMemoryMB[h], r.exhaustive.extraMemoryMB[h]),
  ]);
  row('extra JS heap (MB)', (h) => [fixed(r.fast.jsHeapExtraMB[h], 0), fixed(r.exhaustive.jsHeapExtraMB[h], 0), '']);
  const widths = header.map((_, i) => Math.max(...rows.map((x) => x[i].length)));
  for (const x of rows) lines.push(x.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  lines.push('');
  for (const h of hosts) {
    const inf = r.inference[h];
    const runs = (i: InferenceRun) =>
      i.imagesPerSecondRuns && i.imagesPerSecondRuns.length > 1
        ? ` (median of ${i.imagesPerSecondRuns.map((x) => x.toFixed(0)).join(', ')})`
        : '';
    if (inf)
      lines.push(
        `inference only (${h}, ${r.threads[h]} thread(s), batch ${inf.batchSize}, ${inf.images} images): ${inf.imagesPerSecond.toFixed(0)} images/s, ${inf.msPerImage.toFixed(2)} ms/image${runs(inf)}`,
      );
    const one = r.inferenceSingleThread[h];
    if (one)
      lines.push(
        `inference only (${h}, 1 thread, batch ${one.batchSize}, ${one.images} images): ${one.imagesPerSecond.toFixed(0)} images/s, ${one.msPerImage.toFixed(2)} ms/image${runs(one)}`,
      );
    const fr = r.fast.wallSecondsRuns[h];
    if (fr && fr.length > 1)
      lines.push(
        `fast wall time (${h}), every run: ${fr.map((x) => x.toFixed(2)).join(', ')} s (first: the run whose memory is reported; table: median)`,
      );
  }
  if (r.fastSweep.length) {
    lines.push('');
    lines.push(`fast mode at other first sampling distances (node; engine default ${DEFAULT_SAMPLE_MM} mm):`);
    for (const s of r.fastSweep) {
      lines.push(
        `  ${String(s.sampleMm).padStart(4)} mm: ${String(s.framesFetched).padStart(5)} frames (${(s.framesFraction * 100).toFixed(1)} %), ${s.wallSeconds.toFixed(2)} s, map ${s.equal ? '== exhaustive' : `DIFFERS: ${s.problems.join('; ')}`}`,
      );
    }
  }
  if (r.simulatedFast.length) {
    lines.push('');
    lines.push(
      `fast mode settings simulated over the exhaustive probabilities (node; engine default ${DEFAULT_SAMPLE_MM} mm, margin ${DEFAULT_BOUNDARY_MARGIN}):`,
    );
    for (const s of r.simulatedFast) {
      lines.push(
        `  ${String(s.sampleMm).padStart(4)} mm, margin ${s.boundaryMargin}: ${String(s.framesFetched).padStart(5)} frames (${(s.framesFraction * 100).toFixed(1)} %), map ${s.equal ? `== exhaustive (largest shift ${s.maxBoundaryShift})` : `DIFFERS: ${s.problems.join('; ')}`}`,
      );
    }
  }
  if (r.fetchVariants.length) {
    lines.push('');
    lines.push(`fetch only (Node → Orthanc, ${r.fetchVariants[0].frames} frames sampled along the series):`);
    for (const v of r.fetchVariants) {
      lines.push(
        `  ${v.name.padEnd(36)} ${v.framesPerSecond.toFixed(0).padStart(5)} frames/s  ${(v.bytesPerFrame / 1024).toFixed(1).padStart(7)} KiB/frame  ${v.sameResult ? 'same result' : 'NOT the same input'} (${v.note})`,
      );
    }
  }
  lines.push('');
  lines.push(`fast frames fetched: ${(r.fast.framesFraction * 100).toFixed(1)} % of ${r.fast.framesTotal}`);
  lines.push('');
  lines.push('region maps (slice indices, feet → head):');
  lines.push(`  reference (labels.csv): ${r.stack.referenceMap}`);
  for (const h of hosts) {
    lines.push(`  ${h} exhaustive: ${r.exhaustive.map[h]}`);
    lines.push(`  ${h} fast:       ${r.fast.map[h]}`);
    const c = r.correctness[h];
    if (c)
      lines.push(
        `  ${h} fast == exhaustive (±${c.toleranceSlices} slice): ${c.equal ? 'YES' : 'NO'}${c.maxBoundaryShift !== null ? `, largest boundary shift ${c.maxBoundaryShift}` : ''}${c.problems.length ? `: ${c.problems.join('; ')}` : ''}`,
      );
  }
  if (r.correctness.fastMapsAgreeAcrossHosts !== null)
    lines.push(`  fast maps identical in every host: ${r.correctness.fastMapsAgreeAcrossHosts ? 'yes' : 'NO'}`);
  lines.push('');
  lines.push('targets:');
  for (const t of r.targets) {
    const measured =
      t.measured === null
        ? 'not measured'
        : `${t.unit === 'fraction' ? `${(t.measured * 100).toFixed(1)} %` : `${fixed(t.measured, t.unit === 's' ? 2 : 0)} ${t.unit}`}`;
    const goal = t.unit === 'fraction' ? `${(t.target * 100).toFixed(0)} %` : `${t.target} ${t.unit}`;
    const verdict =
      t.met === null
        ? '–'
        : t.met
          ? `MET (${Math.round(Math.abs(t.margin ?? 0) * 100)} % headroom)`
          : `MISSED (by ${Math.round(Math.abs(t.margin ?? 0) * 100)} %)`;
    lines.push(`  ${t.name}: ${measured} vs ${t.comparison} ${goal} → ${verdict}`);
  }
  if (r.notes.length) {
    lines.push('');
    lines.push('notes:');
    for (const n of r.notes) lines.push(`  - ${n}`);
  }
  return lines.join('\n');
}
