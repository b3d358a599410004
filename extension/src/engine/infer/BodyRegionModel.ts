import * as ort from 'onnxruntime-web';
import type { LabelsFile } from '../types';
import { PREPROCESSING_VERSIONS, isPreprocessingVersion, type PreprocessingVersion } from '../preprocess/preprocessFrame';

/** models/model.json, written by models/training/export.py. */
export interface ModelManifest {
  modelId: string;
  version: string;
  /** ONNX file, relative to models/. */
  file: string;
  /** S of PREPROCESSING.md. */
  inputSize: number;
  /** Which version of models/PREPROCESSING.md the model was trained with. */
  preprocessing: PreprocessingVersion;
  inputName: string;
  outputName: string;
  /** Labels file, relative to models/. */
  labels: string;
  numClasses: number;
  sha256?: string;
}

export interface LoadModelOptions {
  manifest: ModelManifest;
  modelBytes: Uint8Array;
  labels: LabelsFile;
  /** Where the browser finds ort-wasm-*.{wasm,mjs} (a URL prefix); Node finds them itself. */
  wasmPaths?: string;
  /** wasm threads; 1 unless the page is cross-origin isolated and the machine idle. */
  numThreads?: number;
}

export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

/** Checks that manifest and labels describe the same output layer; returns the label names. */
export function checkManifestAndLabels(manifest: ModelManifest, labels: LabelsFile): string[] {
  if (!isPreprocessingVersion(manifest.preprocessing)) {
    throw new ModelLoadError(
      `model expects preprocessing "${String(manifest.preprocessing)}", the engine implements ${PREPROCESSING_VERSIONS.map((v) => `"${v}"`).join(', ')}`,
    );
  }
  if (!(Number.isInteger(manifest.inputSize) && manifest.inputSize > 0)) {
    throw new ModelLoadError(`model.json inputSize ${manifest.inputSize} is not a positive integer`);
  }
  if (!labels || !Array.isArray(labels.labels)) throw new ModelLoadError('labels file has no "labels" list');
  labels.labels.forEach((label, i) => {
    if (label.id !== i) throw new ModelLoadError(`labels file: entry ${i} has id ${label.id}; ids must be 0..n-1 in order`);
  });
  if (labels.labels.length !== manifest.numClasses) {
    throw new ModelLoadError(`labels file has ${labels.labels.length} labels but model.json says numClasses = ${manifest.numClasses}`);
  }
  return labels.labels.map((l) => l.name);
}

async function sha256Hex(bytes: Uint8Array): Promise<string | null> {
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!subtle) return null;
  const digest = await subtle.digest('SHA-256', bytes as unknown as ArrayBuffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Row-wise softmax of `count × k` logits (numerically stable). */
export function softmaxRows(logits: ArrayLike<number>, count: number, k: number): Float32Array {
  const out = new Float32Array(count * k);
  for (let r = 0; r < count; r++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits[r * k + j]);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += out[r * k + j] = Math.exp(logits[r * k + j] - max);
    for (let j = 0; j < k; j++) out[r * k + j] /= sum;
  }
  return out;
}

/** The one owner of the onnxruntime-web session: images in (NCHW float32), probabilities out. */
export class BodyRegionModel {
  readonly labelNames: string[];
  readonly inputSize: number;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly manifest: ModelManifest,
    readonly labels: LabelsFile,
    private session: ort.InferenceSession | null,
  ) {
    this.labelNames = labels.labels.map((l) => l.name);
    this.inputSize = manifest.inputSize;
  }

  static async load(opts: LoadModelOptions): Promise<BodyRegionModel> {
    const { manifest, modelBytes, labels } = opts;
    checkManifestAndLabels(manifest, labels);
    if (manifest.sha256) {
      const actual = await sha256Hex(modelBytes);
      if (actual && actual !== manifest.sha256.toLowerCase()) {
        throw new ModelLoadError(`${manifest.file}: sha256 ${actual} does not match model.json (${manifest.sha256})`);
      }
    }
    if (opts.wasmPaths) ort.env.wasm.wasmPaths = opts.wasmPaths;
    ort.env.wasm.numThreads = opts.numThreads ?? 1;
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(modelBytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    } catch (e) {
      throw new ModelLoadError(`cannot open ${manifest.file} with onnxruntime-web: ${(e as Error).message}`);
    }
    if (!session.inputNames.includes(manifest.inputName) || !session.outputNames.includes(manifest.outputName)) {
      await session.release();
      throw new ModelLoadError(
        `${manifest.file} has inputs [${session.inputNames}] and outputs [${session.outputNames}]; model.json names "${manifest.inputName}" → "${manifest.outputName}"`,
      );
    }
    const model = new BodyRegionModel(manifest, labels, session);
    // One blank image proves the output layer has one logit per label.
    const S = manifest.inputSize;
    const logits = await model.logits(new Float32Array(3 * S * S), 1);
    if (logits.length !== manifest.numClasses) {
      await model.dispose();
      throw new ModelLoadError(`${manifest.file} outputs ${logits.length} logits per image but labels.json has ${manifest.numClasses} labels`);
    }
    return model;
  }

  /** Raw logits, `count × numClasses`, for images 0..count-1 of `batch` (NCHW, 3 × S × S each). */
  logits(batch: Float32Array, count: number): Promise<Float32Array> {
    const S = this.inputSize;
    const per = 3 * S * S;
    if (!(Number.isInteger(count) && count > 0) || batch.length < count * per) {
      return Promise.reject(new Error(`BodyRegionModel.classify: need ${count} × ${per} values, got ${batch.length}`));
    }
    // Copy now: the caller may refill its batch buffer as soon as this returns.
    const input = batch.slice(0, count * per);
    const run = this.queue.then(() => this.runOnce(input, count));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Softmax probabilities, `count × numClasses`, in labels.json order. */
  async classify(batch: Float32Array, count: number): Promise<Float32Array> {
    if (count === 0) return new Float32Array(0);
    const logits = await this.logits(batch, count);
    return softmaxRows(logits, count, this.manifest.numClasses);
  }

  async dispose(): Promise<void> {
    const session = this.session;
    this.session = null;
    await this.queue;
    if (session) await session.release();
  }

  private async runOnce(input: Float32Array, count: number): Promise<Float32Array> {
    if (!this.session) throw new Error('BodyRegionModel: used after dispose()');
    const S = this.inputSize;
    const tensor = new ort.Tensor('float32', input, [count, 3, S, S]);
    const outputs = await this.session.run({ [this.manifest.inputName]: tensor });
    const output = outputs[this.manifest.outputName];
    const result = new Float32Array(output.data as Float32Array);
    tensor.dispose?.();
    output.dispose?.();
    return result;
  }
}
