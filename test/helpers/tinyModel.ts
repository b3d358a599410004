import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ModelManifest } from '../../extension/src/engine/infer/BodyRegionModel';

export const REPO = path.resolve(__dirname, '../..');
export const PYTHON = '/usr/bin/python3';

export interface TinyModelDir {
  dir: string;
  manifest: ModelManifest;
  /** logits = weight · (channel means) + bias */
  weight: number[][];
  bias: number[];
}

/**
 * A models/-like folder (model.json, tiny.onnx, labels.json copied from the repo) around the
 * plumbing-only ONNX model of buildTinyOnnx.py. Nothing here claims accuracy.
 */
export function buildTinyModelDir(outputs = 20, inputSize = 16, seed = 0, nearestCentreSharpness?: number): TinyModelDir {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tiny-model-'));
  const onnx = path.join(dir, 'tiny.onnx');
  const extra = nearestCentreSharpness === undefined ? [] : ['--nearest-centre', String(nearestCentreSharpness)];
  execFileSync(PYTHON, [path.join(__dirname, 'buildTinyOnnx.py'), onnx, String(outputs), String(seed), ...extra], { stdio: 'pipe' });
  const { weight, bias } = JSON.parse(fs.readFileSync(`${onnx}.params.json`, 'utf8'));
  fs.copyFileSync(path.join(REPO, 'models/labels.json'), path.join(dir, 'labels.json'));
  const manifest: ModelManifest = {
    modelId: 'tiny-plumbing',
    version: '0.0.0',
    file: 'tiny.onnx',
    inputSize,
    preprocessing: 'br-pre-1',
    inputName: 'input',
    outputName: 'logits',
    labels: 'labels.json',
    numClasses: 20,
  };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(manifest, null, 2));
  return { dir, manifest, weight, bias };
}

/** HU value that the nearest-centre tiny model (K = 20) reads as label `id`. */
export function huForLabel(id: number): number {
  return 100 * id - 950;
}
