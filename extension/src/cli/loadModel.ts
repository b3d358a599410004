/** The model of a CLI run, with the CLI's exit code when it cannot be loaded. */
import * as fs from 'fs';
import * as path from 'path';
import type { BodyRegionModel } from '../engine/infer/BodyRegionModel';
import { parseManifest } from '../engine/infer/manifest';
import { loadModelFromDir } from '../engine/infer/loadModelNode';
import { CliError, ExitCode } from './exitCodes';
import { sha256OfFile } from './resultsCacheFile';

export async function loadModel(dir: string): Promise<BodyRegionModel> {
  try {
    return await loadModelFromDir(dir);
  } catch (error) {
    throw new CliError(`model failed to load from ${dir}: ${(error as Error).message}`, ExitCode.ModelFailed);
  }
}

/** Which model a result comes from: id and version from model.json, sha256 of the ONNX bytes. */
export interface ModelKey {
  id: string;
  version: string;
  sha256: string;
}

/** Reads model.json and hashes the ONNX file it names, without starting onnxruntime. */
export function modelKeyOfDir(dir: string): ModelKey {
  try {
    const manifest = parseManifest(JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')));
    const sha256 = sha256OfFile(path.join(dir, manifest.file));
    return { id: manifest.modelId, version: manifest.version, sha256 };
  } catch (error) {
    throw new CliError(`model failed to load from ${dir}: ${(error as Error).message}`, ExitCode.ModelFailed);
  }
}
