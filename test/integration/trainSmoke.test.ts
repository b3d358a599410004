/**
 * The training pipeline end to end: models/training/smoke_train.py builds a slice cache from a few
 * shared volumes, trains a tiny net for a few steps and exports ONNX + model.json; the engine's
 * BodyRegionModel must load it and reproduce PyTorch's outputs (softmax of the exported logits).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { softmaxRows, type BodyRegionModel } from '../../extension/src/engine/infer/BodyRegionModel';
import { loadModelFromDir } from '../../extension/src/engine/infer/loadModelNode';

const REPO = path.resolve(__dirname, '../..');
const PYTHON = '/usr/bin/python3';

function decodeF32(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

describe('smoke training run → ONNX → BodyRegionModel', () => {
  let dir: string;
  let model: BodyRegionModel;
  let report: { manifest: { inputSize: number; sha256: string }; slices: number };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'br-smoke-'));
    const stdout = execFileSync(
      PYTHON,
      [path.join(REPO, 'models/training/smoke_train.py'), '--out', dir, '--size', '32', '--steps', '15'],
      {
        cwd: REPO,
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    report = JSON.parse(stdout.trim().split('\n').pop() as string);
    model = await loadModelFromDir(dir);
  }, 150_000);

  afterAll(async () => {
    await model?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('writes a manifest that matches the exported file', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(manifest).toMatchObject({
      file: 'body-region.onnx',
      inputSize: 32,
      preprocessing: 'br-pre-2',
      inputName: 'input',
      outputName: 'logits',
      embeddingOutputName: 'embedding',
      numClasses: 20,
    });
    const sha = crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(dir, 'body-region.onnx')))
      .digest('hex');
    expect(manifest.sha256).toBe(sha);
    expect(report.slices).toBeGreaterThan(0);
  });

  test('the engine reproduces the PyTorch outputs of the trained net', async () => {
    const ref = JSON.parse(fs.readFileSync(path.join(dir, 'model-outputs.json'), 'utf8'));
    expect(ref.size).toBe(model.inputSize);
    const input = decodeF32(ref.input);
    const logits = decodeF32(ref.logits);
    expect(input.length).toBe(ref.count * 3 * ref.size * ref.size);
    const probs = await model.classify(input, ref.count);
    const expected = softmaxRows(logits, ref.count, 20);
    expect(probs).toHaveLength(ref.count * 20);
    let maxDiff = 0;
    for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(probs[i] - expected[i]));
    expect(maxDiff).toBeLessThan(1e-4);
  });
});

describe('the training side of PREPROCESSING.md', () => {
  test("preprocess.py matches the spec's written formulas for br-pre-1 and br-pre-2 (test_preprocess.py)", () => {
    // unittest writes its summary to stderr and exits non-zero on any failure
    const run = spawnSync(PYTHON, [path.join(REPO, 'models/training/test_preprocess.py')], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.stderr).toMatch(/Ran \d+ tests/);
    expect(run.stderr.trim().split('\n').pop()).toBe('OK');
    expect(run.status).toBe(0);
  }, 150_000);
});
