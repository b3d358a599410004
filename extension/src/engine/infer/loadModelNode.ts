/**
 * Node only (reads files): the browser bundle never imports this module.
 * Loads models/model.json, the ONNX file and the labels file it names; and, for site adaptation,
 * the shipped head and replay set. Every Node reader of a model folder goes through here.
 */
import { readFile } from 'fs/promises';
import * as path from 'path';
import type { LabelsFile } from '../types';
import { BodyRegionModel } from './BodyRegionModel';
import { ModelLoadError, parseHead, parseManifest, parseReplay, type LinearHead, type ModelManifest, type ReplaySet } from './manifest';

/** <repo>/models, both from extension/src/engine/infer (ts-jest) and build/node/engine/infer (tsc). */
export const DEFAULT_MODEL_DIR = path.resolve(__dirname, '../../../../models');

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    throw new ModelLoadError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

async function readJson<T>(file: string): Promise<T> {
  const text = Buffer.from(await readBytes(file)).toString('utf8');
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ModelLoadError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/** model.json of a model folder, checked. */
export async function readManifest(dir: string = DEFAULT_MODEL_DIR): Promise<ModelManifest> {
  const file = path.join(dir, 'model.json');
  return parseManifest(await readJson<unknown>(file), file);
}

export async function loadModelFromDir(dir: string = DEFAULT_MODEL_DIR, opts: { numThreads?: number } = {}): Promise<BodyRegionModel> {
  const manifest = await readManifest(dir);
  const labels = await readJson<LabelsFile>(path.join(dir, manifest.labels));
  const modelBytes = await readBytes(path.join(dir, manifest.file));
  return BodyRegionModel.load({ manifest, modelBytes, labels, numThreads: opts.numThreads });
}

/** The shipped linear head (model.json `head`), or null when the model ships none. */
export async function readHead(dir: string, manifest: ModelManifest): Promise<LinearHead | null> {
  if (!manifest.head) return null;
  if (!manifest.embeddingSize) throw new ModelLoadError(`${dir}/model.json names a head but no embeddingSize`);
  const file = path.join(dir, manifest.head);
  return parseHead(await readJson<unknown>(file), manifest.numClasses, manifest.embeddingSize, file);
}

/** The replay set (model.json `replay`), or null when the model ships none. */
export async function readReplay(dir: string, manifest: ModelManifest): Promise<ReplaySet | null> {
  if (!manifest.replay) return null;
  const bytes = await readBytes(path.join(dir, manifest.replay.file));
  const labels = await readJson<unknown>(path.join(dir, manifest.replay.labels));
  return parseReplay(bytes, labels, manifest.replay, manifest.numClasses);
}
