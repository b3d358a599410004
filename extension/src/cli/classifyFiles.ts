/**
 * `body-region classify-files`: DICOM files on disk, grouped by series. A first pass reads headers
 * only; pixels are read from disk when the pipeline asks for them, so large folders fit in memory.
 */
import * as fs from 'fs';
import * as path from 'path';
import { checkFrameSize, parsePart10, framePixelBytes, Part10Instance } from '../engine/fetch/part10';
import { decodeFrame } from '../engine/fetch/decodeFrame';
import { DecodableFrameMeta, frameKey } from '../engine/fetch/frameInfo';
import type { SkippedInstance } from '../engine/fetch/metadataToFrames';
import { AbortError } from '../engine/fetch/retry';
import type { SliceClassifier } from '../engine/pipeline';
import type { FrameMeta, PixelFrame, PixelSource } from '../engine/types';
import { ExitCode } from './exitCodes';
import type { SiteAdapter } from '../engine/adapt/adapter';
import { ProgressReporter, SeriesLabel } from './progress';
import { ResultsSink } from './resultsFile';
import { describeOutcome, errorResult, isFailure, noFramesResult, runSeries, studySummary } from './seriesRunner';

export interface ClassifyFilesOptions {
  inputs: string[];
  mode: 'exhaustive' | 'fast';
  concurrency: number;
  sink: ResultsSink;
  progress: ProgressReporter;
  model: SliceClassifier;
  signal: AbortSignal;
  /** `--adapter`: the site adapter applied to every image. */
  adapter?: SiteAdapter | null;
}

interface FileSeries {
  studyInstanceUID: string;
  seriesInstanceUID: string;
  modality: string;
  frames: DecodableFrameMeta[];
  skipped: SkippedInstance[];
  /** frame key → file path */
  files: Map<string, string>;
  /** files of this series that could not be read as images, with the reason */
  unreadable: string[];
}

export function listFiles(inputs: string[]): string[] {
  const out: string[] = [];
  const visit = (p: string) => {
    const stat = fs.statSync(p);
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) visit(path.join(p, name));
    } else if (stat.isFile()) out.push(p);
  };
  for (const input of inputs) {
    if (!fs.existsSync(input)) throw new Error(`no such file or folder: ${input}`);
    visit(input);
  }
  return out;
}

function readArrayBuffer(file: string): ArrayBuffer {
  const b = fs.readFileSync(file);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** Quick check of the Part-10 preamble, so stray files (README, .DS_Store) are skipped cheaply. */
function looksLikeDicom(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(132);
    const n = fs.readSync(fd, head, 0, 132, 0);
    return n === 132 && head.toString('latin1', 128, 132) === 'DICM';
  } finally {
    fs.closeSync(fd);
  }
}

export function groupBySeries(files: string[]): { series: FileSeries[]; notDicom: number; unreadable: number } {
  const bySeries = new Map<string, FileSeries>();
  let notDicom = 0;
  let unreadable = 0;
  for (const file of files) {
    if (!looksLikeDicom(file)) {
      notDicom++;
      continue;
    }
    let instance: Part10Instance;
    try {
      instance = parsePart10(readArrayBuffer(file), { headerOnly: true });
    } catch {
      unreadable++;
      continue;
    }
    const ds = instance.dataset;
    const first = instance.frames[0];
    const studyInstanceUID = first?.studyInstanceUID ?? String(ds['0020000D']?.Value?.[0] ?? '');
    const seriesInstanceUID = first?.seriesInstanceUID ?? String(ds['0020000E']?.Value?.[0] ?? '');
    if (!seriesInstanceUID) {
      unreadable++;
      continue;
    }
    let series = bySeries.get(seriesInstanceUID);
    if (!series) {
      series = { studyInstanceUID, seriesInstanceUID, modality: first?.modality ?? String(ds['00080060']?.Value?.[0] ?? ''), frames: [], skipped: [], files: new Map(), unreadable: [] };
      bySeries.set(seriesInstanceUID, series);
    }
    for (const frame of instance.frames) {
      // The same instance twice (copies in two folders) counts once.
      if (series.files.has(frameKey(frame))) continue;
      series.frames.push(frame);
      series.files.set(frameKey(frame), file);
    }
    series.skipped.push(...instance.skipped);
  }
  return { series: [...bySeries.values()], notDicom, unreadable };
}

/** Reads a frame's file when asked; keeps the last file parsed (multi-frame instances). */
class FilePixelSource implements PixelSource {
  private cached: { file: string; instance: Part10Instance } | null = null;
  constructor(private readonly files: Map<string, string>) {}

  async getPixels(frame: FrameMeta, signal?: AbortSignal): Promise<PixelFrame> {
    if (signal?.aborted) throw new AbortError();
    checkFrameSize(frame);
    const file = this.files.get(frameKey(frame));
    if (!file) throw new Error(`no file holds ${frame.sopInstanceUID} frame ${frame.frameNumber}`);
    if (this.cached?.file !== file) this.cached = { file, instance: parsePart10(readArrayBuffer(file)) };
    const { instance } = this.cached;
    const own = instance.frames.find((f) => f.frameNumber === frame.frameNumber) ?? (frame as DecodableFrameMeta);
    return decodeFrame(framePixelBytes(instance, own), instance.transferSyntaxUID, own);
  }
}

export async function classifyFiles(opts: ClassifyFilesOptions): Promise<number> {
  const files = listFiles(opts.inputs);
  const { series, notDicom, unreadable } = groupBySeries(files);
  if (notDicom || unreadable) opts.progress.note(`skipped ${notDicom} files that are not DICOM Part-10 and ${unreadable} unreadable DICOM files`);
  if (series.length === 0) {
    process.stderr.write('body-region: no DICOM series found\n');
    return ExitCode.NothingFound;
  }
  let failures = 0;
  const studies = [...new Set(series.map((s) => s.studyInstanceUID))];
  let index = 0;
  for (const study of studies) {
    let classifiedAny = false;
    for (const s of series.filter((x) => x.studyInstanceUID === study)) {
      index++;
      const label: SeriesLabel = { index, total: series.length, seriesInstanceUID: s.seriesInstanceUID, modality: s.modality };
      if (opts.sink.isDone(s.seriesInstanceUID)) {
        opts.progress.endSeries(label, 'already in the output, skipped');
        continue;
      }
      opts.progress.startSeries(label);
      const id = { studyInstanceUID: s.studyInstanceUID, seriesInstanceUID: s.seriesInstanceUID, modality: s.modality };
      let result;
      if (s.frames.length === 0) result = noFramesResult(id, s.skipped, opts.model, opts.mode);
      else {
        try {
          result = await runSeries(s.frames, new FilePixelSource(s.files), { model: opts.model, adapter: opts.adapter, mode: opts.mode, concurrency: opts.concurrency, signal: opts.signal, progress: opts.progress, label });
        } catch (error) {
          if (opts.signal.aborted) throw new AbortError();
          result = errorResult(id, opts.model, opts.mode, 'internal-error', `classification failed: ${(error as Error).message}`);
        }
      }
      opts.sink.write(result);
      classifiedAny = true;
      if (isFailure(result)) {
        failures++;
        process.stderr.write(`body-region: series ${s.seriesInstanceUID} failed: ${result.error!.code}: ${result.error!.message}\n`);
      }
      opts.progress.endSeries(label, describeOutcome(result));
    }
    if (classifiedAny) opts.sink.writeStudy(studySummary(opts.sink.resultsOfStudy(study)));
  }
  return failures > 0 ? ExitCode.SomeSeriesFailed : ExitCode.Ok;
}
