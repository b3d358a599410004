import * as fs from 'fs';
import * as path from 'path';
import { BodyRegionModel, softmaxRows } from '../../extension/src/engine/infer/BodyRegionModel';
import { DEFAULT_MODEL_DIR, loadModelFromDir } from '../../extension/src/engine/infer/loadModelNode';
import type { LabelsFile } from '../../extension/src/engine/types';
import { seededRandom } from '../helpers/synthetic';
import { buildTinyModelDir, REPO, type TinyModelDir } from '../helpers/tinyModel';

const S = 16;
const PER = 3 * S * S;

function randomBatch(count: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: count * PER }, () => random());
}

function expectedLogits(tiny: TinyModelDir, image: Float32Array): number[] {
  const means = [0, 1, 2].map((c) => image.subarray(c * S * S, (c + 1) * S * S).reduce((a, b) => a + b, 0) / (S * S));
  return tiny.weight.map((w, j) => w[0] * means[0] + w[1] * means[1] + w[2] * means[2] + tiny.bias[j]);
}

describe('BodyRegionModel with a tiny plumbing model (onnxruntime-web, wasm)', () => {
  let tiny: TinyModelDir;
  let model: BodyRegionModel;
  const labels = (): LabelsFile => JSON.parse(fs.readFileSync(path.join(REPO, 'models/labels.json'), 'utf8'));

  beforeAll(async () => {
    tiny = buildTinyModelDir(20, S);
    model = await loadModelFromDir(tiny.dir);
  });
  afterAll(async () => {
    await model?.dispose();
    fs.rmSync(tiny.dir, { recursive: true, force: true });
  });

  test('loads manifest, labels and session from a folder', () => {
    expect(model.inputSize).toBe(S);
    expect(model.labelNames).toHaveLength(20);
    expect(model.labelNames[0]).toBe('OTHER');
    expect(model.manifest.modelId).toBe('tiny-plumbing');
  });

  test('classify returns softmax of the logits, per image, in a batch', async () => {
    const batch = randomBatch(5, 11);
    const probs = await model.classify(batch, 5);
    expect(probs).toHaveLength(5 * 20);
    for (let i = 0; i < 5; i++) {
      const expected = softmaxRows(expectedLogits(tiny, batch.subarray(i * PER, (i + 1) * PER)), 1, 20);
      const row = probs.subarray(i * 20, (i + 1) * 20);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expected.forEach((p, j) => expect(row[j]).toBeCloseTo(p, 5));
    }
  });

  test('batched and one-by-one results agree; a larger reusable buffer is fine', async () => {
    const buffer = new Float32Array(8 * PER);
    buffer.set(randomBatch(3, 5));
    const batched = await model.classify(buffer, 3);
    for (let i = 0; i < 3; i++) {
      const single = await model.classify(buffer.slice(i * PER, (i + 1) * PER), 1);
      single.forEach((p, j) => expect(batched[i * 20 + j]).toBeCloseTo(p, 6));
    }
    await expect(model.classify(new Float32Array(PER), 2)).rejects.toThrow(/need 2/);
  });

  test('concurrent calls are queued on the one session', async () => {
    const batches = [1, 2, 3].map((seed) => randomBatch(2, seed));
    const results = await Promise.all(batches.map((b) => model.classify(b, 2)));
    results.forEach((probs, i) => {
      const expected = softmaxRows(expectedLogits(tiny, batches[i].subarray(0, PER)), 1, 20);
      expect(probs[0]).toBeCloseTo(expected[0], 5);
    });
  });

  test('refuses labels that do not match the manifest or the model output', async () => {
    const modelBytes = new Uint8Array(fs.readFileSync(path.join(tiny.dir, 'tiny.onnx')));
    const short = labels();
    short.labels = short.labels.slice(0, 19);
    await expect(BodyRegionModel.load({ manifest: tiny.manifest, modelBytes, labels: short })).rejects.toThrow(
      /19 labels .* numClasses = 20/,
    );

    const other = buildTinyModelDir(19, S);
    try {
      const bytes19 = new Uint8Array(fs.readFileSync(path.join(other.dir, 'tiny.onnx')));
      await expect(BodyRegionModel.load({ manifest: tiny.manifest, modelBytes: bytes19, labels: labels() })).rejects.toThrow(
        /outputs 19 logits .* 20 labels/,
      );
    } finally {
      fs.rmSync(other.dir, { recursive: true, force: true });
    }
    await expect(
      BodyRegionModel.load({ manifest: { ...tiny.manifest, inputName: 'image' }, modelBytes, labels: labels() }),
    ).rejects.toThrow(/model.json names "image"/);
    await expect(
      BodyRegionModel.load({ manifest: { ...tiny.manifest, sha256: '00'.repeat(32) }, modelBytes, labels: labels() }),
    ).rejects.toThrow(/sha256/);
    await expect(loadModelFromDir(path.join(tiny.dir, 'missing'))).rejects.toThrow(/cannot read/);
  });
});

const MODELS = path.join(REPO, 'models');
const GOLDEN_OUTPUTS = path.join(MODELS, 'golden/model-outputs.json');
describe('the shipped model (models/model.json)', () => {
  test('onnxruntime-web logits match the training pipeline (models/golden/model-outputs.json)', async () => {
    expect(fs.existsSync(GOLDEN_OUTPUTS)).toBe(true);
    const golden = JSON.parse(fs.readFileSync(GOLDEN_OUTPUTS, 'utf8')) as { size: number; count: number; input: string; logits: string };
    const floats = (b64: string) => new Float32Array(new Uint8Array(Buffer.from(b64, 'base64')).buffer);
    expect(DEFAULT_MODEL_DIR).toBe(MODELS);
    const model = await loadModelFromDir();
    try {
      expect(model.manifest.sha256).toMatch(/^[0-9a-f]{64}$/); // checked against the bytes by load()
      expect(model.inputSize).toBe(golden.size);
      const expected = floats(golden.logits);
      const actual = await model.logits(floats(golden.input), golden.count);
      expect(actual.length).toBe(expected.length);
      // Relative to each logit, with a floor at 1 % of the largest so that near-zero logits do not demand 1e-9.
      const scale = Math.max(...Array.from(expected, Math.abs));
      let worst = 0;
      for (let i = 0; i < expected.length; i++) {
        worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), scale * 1e-2));
      }
      console.log(`${golden.count} golden images: worst relative logit difference ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1e-3);
      // And the verdicts agree.
      const probs = await model.classify(floats(golden.input), golden.count);
      const argmax = (a: ArrayLike<number>, r: number) => {
        let best = 0;
        for (let j = 1; j < 20; j++) if (a[r * 20 + j] > a[r * 20 + best]) best = j;
        return best;
      };
      for (let r = 0; r < golden.count; r++) expect(argmax(probs, r)).toBe(argmax(expected, r));
    } finally {
      await model.dispose();
    }
  });

  test('the embedding output is what the head reads: logits = embedding · Wᵀ + b (head.json), and the temperature softens', async () => {
    const golden = JSON.parse(fs.readFileSync(GOLDEN_OUTPUTS, 'utf8')) as { count: number; input: string };
    const floats = (b64: string) => new Float32Array(new Uint8Array(Buffer.from(b64, 'base64')).buffer);
    const head = JSON.parse(fs.readFileSync(path.join(MODELS, 'head.json'), 'utf8')) as { weights: number[][]; bias: number[] };
    const model = await loadModelFromDir();
    try {
      const input = floats(golden.input);
      const logits = await model.logits(input, golden.count);
      const { probabilities, embeddings } = await model.infer(input, golden.count);
      expect(embeddings).not.toBeNull();
      const d = model.manifest.embeddingSize as number;
      expect(embeddings!.length).toBe(golden.count * d);
      expect(head.weights).toHaveLength(20);
      for (let r = 0; r < golden.count; r++) {
        for (let j = 0; j < 20; j++) {
          let z = head.bias[j];
          for (let i = 0; i < d; i++) z += head.weights[j][i] * embeddings![r * d + i];
          expect(Math.abs(z - logits[r * 20 + j])).toBeLessThan(1e-3 * Math.max(1, Math.abs(logits[r * 20 + j])));
        }
      }
      const t = model.manifest.temperature as number;
      expect(t).toBeGreaterThan(1);
      const softened = softmaxRows(
        Array.from(logits.subarray(0, 20), (v) => v / t),
        1,
        20,
      );
      const sharp = softmaxRows(logits.subarray(0, 20), 1, 20);
      for (let j = 0; j < 20; j++) expect(Math.abs(probabilities[j] - softened[j])).toBeLessThan(1e-6);
      expect(Math.max(...probabilities.subarray(0, 20))).toBeLessThan(Math.max(...sharp));
    } finally {
      await model.dispose();
    }
  });
});
