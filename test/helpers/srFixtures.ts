/**
 * A real classified series for SR tests: Part-10 files from the test factory (patient and study
 * attributes included), classified by the nearest-centre tiny model through the engine.
 */
import { classifySeries } from '../../extension/src/engine/pipeline';
import type { BodyRegionModel } from '../../extension/src/engine/infer/BodyRegionModel';
import { parsePart10, Part10PixelSource } from '../../extension/src/engine/fetch/part10';
import { naturalizeDicomJson } from '../../extension/src/engine/report/readSrDataset';
import type { SeriesResult } from '../../extension/src/engine/results/schema';
import type { SourceInstance } from '../../extension/src/engine/report/encodeSr';
import { makeSeries, type BuiltSeries, type SeriesSpec } from './dicomFactory';
import { LABEL_NAMES } from './synthetic';
import { huForLabel } from './tinyModel';

export const hu = (label: string) => huForLabel(LABEL_NAMES.indexOf(label));

/** Slices labelled `runs` (inferior → superior) to the tiny model, as real files. */
export async function labelledSeries(runs: Array<[string, number]>, spec: SeriesSpec = {}): Promise<BuiltSeries> {
  const truth = runs.flatMap(([label, n]) => Array<string>(n).fill(label));
  return makeSeries({ slices: truth.length, rows: 32, columns: 32, ...spec, pixel: (k) => hu(truth[k]) });
}

export interface ClassifiedFiles {
  result: SeriesResult;
  instances: SourceInstance[];
  /** Naturalized attributes of the first instance. */
  source: Record<string, unknown>;
}

export async function classifyFiles(series: BuiltSeries, model: BodyRegionModel): Promise<ClassifiedFiles> {
  const parsed = series.files.map((f) => parsePart10(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength) as ArrayBuffer));
  const frames = parsed.flatMap((p) => p.frames);
  const result = await classifySeries({ frames, pixels: new Part10PixelSource(parsed), model });
  const instances = parsed.map((p) => ({ sopInstanceUID: p.frames[0].sopInstanceUID, sopClassUID: p.frames[0].sopClassUID }));
  const { PixelData: _pixels, ...source } = naturalizeDicomJson(parsed[0].dataset);
  return { result, instances, source };
}
