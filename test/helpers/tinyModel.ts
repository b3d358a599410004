import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ModelManifest } from '../../extension/src/engine/infer/manifest';

export const REPO = path.resolve(__dirname, '../..');
export const TINY_FIXTURES = path.join(REPO, 'test/fixtures/tiny-model');

export interface TinyModelDir {
  dir: string;
  manifest: ModelManifest;
  /** logits = weight · (channel means) + bias */
  weight: number[][];
  bias: number[];
}

export interface TinyModelOptions {
  /** Name the `embedding` output and head.json in model.json (default true); false: an old-style model. */
  embedding?: boolean;
  /** model.json `temperature`. */
  temperature?: number;
}

/**
 * A models/-like folder (model.json, tiny.onnx, head.json, labels.json copied from the repo) around
 * one of the committed plumbing-only ONNX fixtures (test/fixtures/tiny-model, made by buildTinyOnnx.py).
 * Nothing here claims accuracy.
 */
export function buildTinyModelDir(
  outputs = 20,
  inputSize = 16,
  seed = 0,
  nearestCentreSharpness?: number,
  options: TinyModelOptions = {},
): TinyModelDir {
  const name = `k${outputs}-s${seed}${nearestCentreSharpness === undefined ? '' : `-nc${nearestCentreSharpness}`}`;
  const fixture = path.join(TINY_FIXTURES, name);
  if (!fs.existsSync(fixture))
    throw new Error(`no tiny model fixture ${name}: make it with test/helpers/buildTinyOnnx.py (see ${TINY_FIXTURES}/README.md)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tiny-model-'));
  for (const file of ['tiny.onnx', 'head.json']) fs.copyFileSync(path.join(fixture, file), path.join(dir, file));
  const { weights: weight, bias } = JSON.parse(fs.readFileSync(path.join(dir, 'head.json'), 'utf8'));
  fs.copyFileSync(path.join(REPO, 'models/labels.json'), path.join(dir, 'labels.json'));
  const withEmbedding = options.embedding ?? true;
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
    ...(withEmbedding ? { embeddingOutputName: 'embedding', embeddingSize: 3, head: 'head.json' } : {}),
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
  };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(manifest, null, 2));
  return { dir, manifest, weight, bias };
}

/** HU value that the nearest-centre tiny model (K = 20) reads as label `id`. */
export function huForLabel(id: number): number {
  return 100 * id - 950;
}
