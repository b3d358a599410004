/**
 * Node only (reads files): the browser bundle never imports this module.
 * Loads models/model.json, the ONNX file and the labels file it names.
 */
import { readFile } from 'fs/promises';
import * as path from 'path';
import type { LabelsFile } from '../types';
import { BodyRegionModel, ModelLoadError, type ModelManifest } from './BodyRegionModel';

/** <repo>/models, both from extension/src/engine/infer (ts-jest) and build/node/engine/infer (tsc). */
export const DEFAULT_MODEL_DIR = path.resolve(__dirname, '../../../../models');

async function readJson<T>(file: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ModelLoadError(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ModelLoadError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}

export async function loadModelFromDir(dir: string = DEFAULT_MODEL_DIR, opts: { numThreads?: number } = {}): Promise<BodyRegionModel> {
  const manifest = await readJson<ModelManifest>(path.join(dir, 'model.json'));
  const labels = await readJson<LabelsFile>(path.join(dir, manifest.labels ?? 'labels.json'));
  const onnxPath = path.join(dir, manifest.file);
  let modelBytes: Uint8Array;
  try {
    modelBytes = new Uint8Array(await readFile(onnxPath));
  } catch (e) {
    throw new ModelLoadError(`cannot read ${onnxPath}: ${(e as Error).message}`);
  }
  return BodyRegionModel.load({ manifest, modelBytes, labels, numThreads: opts.numThreads });
}
