/**
 * `body-region classify-files`: DICOM files on disk, grouped by series. A first pass reads headers
 * only; pixels are read from disk when the pipeline asks for them, so large folders fit in memory.
 */
import * as fs from 'fs';
import * as path from 'path';
import { checkFrameSize, parsePart10, framePixelBytes, Part10Instance } from '../engine/fetch/part10';
import { decodeFrame } from '../engine/fetch/decodeFrame';
import { getString, Tags } from '../engine/fetch/dicomJson';
import { DecodableFrameMeta, frameKey } from '../engine/fetch/frameInfo';
import type { SkippedInstance } from '../engine/fetch/metadataToFrames';
import { AbortError } from '../engine/fetch/retry';
import type { SliceClassifier } from '../engine/pipeline';
import type { FrameMeta, PixelFrame, PixelSource } from '../engine/types';
import { ExitCode } from './exitCodes';
import type { SiteAdapter } from '../engine/adapt/adapter';
import type { ProgressReporter } from './progress';
import { ResultsSink } from './resultsFile';
import { classifyEachSeries, runSeries } from './seriesRunner';

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
}

/** A DICOM file left out, and why (named on stderr). */
export interface UnreadableFile {
  file: string;
  reason: string;
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

export function groupBySeries(files: string[]): { series: FileSeries[]; notDicom: number; unreadable: UnreadableFile[] } {
  const bySeries = new Map<string, FileSeries>();
  let notDicom = 0;
  const unreadable: UnreadableFile[] = [];
  for (const file of files) {
    if (!looksLikeDicom(file)) {
      notDicom++;
      continue;
    }
    let instance: Part10Instance;
    try {
      instance = parsePart10(readArrayBuffer(file), { headerOnly: true });
    } catch (error) {
      unreadable.push({ file, reason: (error as Error).message });
      continue;
    }
    const ds = instance.dataset;
    const first = instance.frames[0];
    const studyInstanceUID = first?.studyInstanceUID || getString(ds, Tags.StudyInstanceUID) || '';
    const seriesInstanceUID = first?.seriesInstanceUID || getString(ds, Tags.SeriesInstanceUID) || '';
    // Without both UIDs a file cannot be put in a series (nor its result in a study).
    const missing = [!studyInstanceUID && 'StudyInstanceUID (0020,000D)', !seriesInstanceUID && 'SeriesInstanceUID (0020,000E)'].filter(
      Boolean,
    );
    if (missing.length) {
      unreadable.push({ file, reason: `empty or missing ${missing.join(' and ')}` });
      continue;
    }
    let series = bySeries.get(seriesInstanceUID);
    if (!series) {
      series = {
        studyInstanceUID,
        seriesInstanceUID,
        modality: first?.modality || getString(ds, Tags.Modality) || '',
        frames: [],
        skipped: [],
        files: new Map(),
      };
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
  for (const { file, reason } of unreadable) process.stderr.write(`body-region: skipped ${file}: ${reason}\n`);
  if (notDicom || unreadable.length)
    opts.progress.note(`skipped ${notDicom} files that are not DICOM Part-10 and ${unreadable.length} unreadable DICOM files`);
  if (series.length === 0) {
    process.stderr.write('body-region: no DICOM series found\n');
    return ExitCode.NothingFound;
  }
  const failures = await classifyEachSeries(series, opts, async (s, label) => ({
    result: await runSeries(s, s.frames, s.skipped, new FilePixelSource(s.files), label, opts),
  }));
  return failures > 0 ? ExitCode.SomeSeriesFailed : ExitCode.Ok;
}
