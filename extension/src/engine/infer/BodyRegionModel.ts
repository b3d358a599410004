import * as ort from 'onnxruntime-web';
import type { LabelsFile } from '../types';
import { PREPROCESSING_VERSIONS, isPreprocessingVersion } from '../preprocess/preprocessFrame';
import { ModelLoadError, parseManifest, sha256Hex, type ModelManifest } from './manifest';

export { ModelLoadError, type ModelManifest } from './manifest';

export interface LoadModelOptions {
  manifest: ModelManifest;
  modelBytes: Uint8Array;
  labels: LabelsFile;
  /** Where the browser finds ort-wasm-*.{wasm,mjs} (a URL prefix); Node finds them itself. */
  wasmPaths?: string;
  /** wasm threads; 1 unless the page is cross-origin isolated and the machine idle. */
  numThreads?: number;
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

/** Row-wise softmax of `count × k` logits divided by `temperature` (calibration; 1 = plain softmax). */
export function softmaxRowsT(logits: ArrayLike<number>, count: number, k: number, temperature = 1): Float32Array {
  if (temperature === 1) return softmaxRows(logits, count, k);
  return softmaxRows(
    Float32Array.from(logits, (v) => v / temperature),
    count,
    k,
  );
}

/** What one inference call gives per image: calibrated probabilities, and embeddings when the model has them. */
export interface ModelOutputs {
  /** count × numClasses, labels.json order, softmax(logits / temperature). */
  probabilities: Float32Array;
  /** count × embeddingSize penultimate features; null when model.json names no embedding output. */
  embeddings: Float32Array | null;
}

interface RawOutputs {
  logits: Float32Array;
  embeddings: Float32Array | null;
}

/** The one owner of the onnxruntime-web session: images in (NCHW float32), probabilities (and embeddings) out. */
export class BodyRegionModel {
  readonly labelNames: string[];
  readonly inputSize: number;
  /** Per-image embedding length, 0 when the model has no embedding output. */
  readonly embeddingSize: number;
  readonly temperature: number;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly manifest: ModelManifest,
    readonly labels: LabelsFile,
    private session: ort.InferenceSession | null,
    /** sha256 (hex) of the ONNX bytes actually loaded: the model's identity for caches and adapters (null without WebCrypto). */
    readonly sha256: string | null,
  ) {
    this.labelNames = labels.labels.map((l) => l.name);
    this.inputSize = manifest.inputSize;
    this.embeddingSize = manifest.embeddingOutputName ? (manifest.embeddingSize ?? 0) : 0;
    this.temperature = manifest.temperature ?? 1;
  }

  static async load(opts: LoadModelOptions): Promise<BodyRegionModel> {
    const { modelBytes, labels } = opts;
    const manifest = parseManifest(opts.manifest);
    checkManifestAndLabels(manifest, labels);
    const actual = await sha256Hex(modelBytes);
    if (manifest.sha256 && actual && actual !== manifest.sha256.toLowerCase()) {
      throw new ModelLoadError(`${manifest.file}: sha256 ${actual} does not match model.json (${manifest.sha256})`);
    }
    if (opts.wasmPaths) ort.env.wasm.wasmPaths = opts.wasmPaths;
    ort.env.wasm.numThreads = opts.numThreads ?? 1;
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(modelBytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    } catch (e) {
      throw new ModelLoadError(`cannot open ${manifest.file} with onnxruntime-web: ${(e as Error).message}`);
    }
    const wanted = [manifest.outputName, ...(manifest.embeddingOutputName ? [manifest.embeddingOutputName] : [])];
    if (!session.inputNames.includes(manifest.inputName) || wanted.some((name) => !session.outputNames.includes(name))) {
      await session.release();
      throw new ModelLoadError(
        `${manifest.file} has inputs [${session.inputNames}] and outputs [${session.outputNames}]; model.json names "${manifest.inputName}" → "${wanted.join('", "')}"`,
      );
    }
    const model = new BodyRegionModel(manifest, labels, session, actual);
    // One blank image proves the output layers have one logit per label and embeddingSize features.
    const S = manifest.inputSize;
    const raw = await model.run(new Float32Array(3 * S * S), 1);
    if (raw.logits.length !== manifest.numClasses) {
      await model.dispose();
      throw new ModelLoadError(
        `${manifest.file} outputs ${raw.logits.length} logits per image but labels.json has ${manifest.numClasses} labels`,
      );
    }
    if (raw.embeddings && raw.embeddings.length !== model.embeddingSize) {
      await model.dispose();
      throw new ModelLoadError(
        `${manifest.file} outputs ${raw.embeddings.length} embedding values per image but model.json says embeddingSize = ${model.embeddingSize}`,
      );
    }
    return model;
  }

  /** Raw logits, `count × numClasses`, for images 0..count-1 of `batch` (NCHW, 3 × S × S each). */
  async logits(batch: Float32Array, count: number): Promise<Float32Array> {
    return (await this.run(batch, count)).logits;
  }

  /** Calibrated probabilities, `count × numClasses`, in labels.json order. */
  async classify(batch: Float32Array, count: number): Promise<Float32Array> {
    return (await this.infer(batch, count)).probabilities;
  }

  /** Probabilities and (when the model has them) embeddings of images 0..count-1 of `batch`. */
  async infer(batch: Float32Array, count: number): Promise<ModelOutputs> {
    if (count === 0) return { probabilities: new Float32Array(0), embeddings: this.embeddingSize ? new Float32Array(0) : null };
    const raw = await this.run(batch, count);
    return { probabilities: softmaxRowsT(raw.logits, count, this.manifest.numClasses, this.temperature), embeddings: raw.embeddings };
  }

  async dispose(): Promise<void> {
    const session = this.session;
    this.session = null;
    await this.queue;
    if (session) await session.release();
  }

  private run(batch: Float32Array, count: number): Promise<RawOutputs> {
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

  private async runOnce(input: Float32Array, count: number): Promise<RawOutputs> {
    if (!this.session) throw new Error('BodyRegionModel: used after dispose()');
    const S = this.inputSize;
    const tensor = new ort.Tensor('float32', input, [count, 3, S, S]);
    const outputs = await this.session.run({ [this.manifest.inputName]: tensor });
    const output = outputs[this.manifest.outputName];
    const logits = new Float32Array(output.data as Float32Array);
    const embeddingOutput = this.manifest.embeddingOutputName ? outputs[this.manifest.embeddingOutputName] : undefined;
    const embeddings = embeddingOutput ? new Float32Array(embeddingOutput.data as Float32Array) : null;
    tensor.dispose?.();
    for (const o of Object.values(outputs)) o.dispose?.();
    return { logits, embeddings };
  }
}
