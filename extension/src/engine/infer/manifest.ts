/**
 * models/model.json, its head (head.json) and replay set (replay-embeddings.bin + replay-labels.json):
 * the one reader of these files' contents, for the engine, the CLI, the evaluation and the viewer.
 * Pure (no I/O): Node reads the bytes in loadModelNode.ts, the viewer fetches them.
 */
import type { PreprocessingVersion } from '../preprocess/preprocessFrame';

/** models/model.json, written by models/training/export.py. */
export interface ModelManifest {
  modelId: string;
  version: string;
  /** ONNX file, relative to models/. */
  file: string;
  /** S of PREPROCESSING.md. */
  inputSize: number;
  /** Preprocessing version the model was trained with ("br-pre-1", …). */
  /** Which version of models/PREPROCESSING.md the model was trained with (checked on load). */
  preprocessing: PreprocessingVersion;
  inputName: string;
  outputName: string;
  /** Labels file, relative to models/. */
  labels: string;
  numClasses: number;
  sha256?: string;
  /** ONNX output with the penultimate features (logits = embedding · headᵀ + bias); absent: no embeddings. */
  embeddingOutputName?: string;
  embeddingSize?: number;
  /** Calibration: probabilities = softmax(logits / temperature); absent: 1. */
  temperature?: number;
  /** The shipped linear head (HeadFile), relative to models/. */
  head?: string;
  /** Reference embeddings of the training data that the site adapter replays so as not to forget. */
  replay?: ReplayManifest;
  /** Whatever else export.py records (training details) is kept as is. */
  [extra: string]: unknown;
}

export interface ReplayManifest {
  /** float32 little-endian, row-major [count, dim]. */
  file: string;
  /** ReplayLabelsFile. */
  labels: string;
  count: number;
  dim: number;
}

/** head.json: logits = weights · embedding + bias. */
export interface HeadFile {
  weights: number[][];
  bias: number[];
}

/** replay-labels.json. */
export interface ReplayLabelsFile {
  /** Class indices (labels.json order), one per replay row. */
  labels: number[];
  /** Where each row came from (data source), for balance and reports. */
  sources: string[];
}

/** A linear head in memory: row-major weights [classes × dim]. */
export interface LinearHead {
  classes: number;
  dim: number;
  weights: Float32Array;
  bias: Float32Array;
}

export interface ReplaySet {
  count: number;
  dim: number;
  /** Row-major [count × dim]. */
  embeddings: Float32Array;
  labels: Int32Array;
  sources: string[];
}

export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const positiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

/** model.json's parsed JSON → a checked ModelManifest (ModelLoadError names the first problem). */
export function parseManifest(value: unknown, where = 'model.json'): ModelManifest {
  if (!isObject(value)) throw new ModelLoadError(`${where} is not a JSON object`);
  const m = value as Record<string, unknown>;
  for (const key of ['modelId', 'version', 'file', 'preprocessing', 'inputName', 'outputName'] as const) {
    if (typeof m[key] !== 'string' || m[key] === '') throw new ModelLoadError(`${where}: "${key}" must be a non-empty string`);
  }
  if (m.labels === undefined) m.labels = 'labels.json';
  if (typeof m.labels !== 'string') throw new ModelLoadError(`${where}: "labels" must be a file name`);
  if (!positiveInt(m.inputSize)) throw new ModelLoadError(`${where}: inputSize ${String(m.inputSize)} is not a positive integer`);
  if (!positiveInt(m.numClasses)) throw new ModelLoadError(`${where}: numClasses ${String(m.numClasses)} is not a positive integer`);
  if (m.sha256 !== undefined && typeof m.sha256 !== 'string') throw new ModelLoadError(`${where}: "sha256" must be a string`);
  if (m.embeddingOutputName !== undefined) {
    if (typeof m.embeddingOutputName !== 'string' || !m.embeddingOutputName)
      throw new ModelLoadError(`${where}: "embeddingOutputName" must be a string`);
    if (!positiveInt(m.embeddingSize)) throw new ModelLoadError(`${where}: embeddingOutputName needs a positive integer embeddingSize`);
  }
  if (m.temperature !== undefined && !(typeof m.temperature === 'number' && m.temperature > 0 && Number.isFinite(m.temperature))) {
    throw new ModelLoadError(`${where}: temperature ${String(m.temperature)} must be a positive number`);
  }
  if (m.head !== undefined && typeof m.head !== 'string') throw new ModelLoadError(`${where}: "head" must be a file name`);
  if (m.replay !== undefined) {
    const r = m.replay;
    if (!isObject(r) || typeof r.file !== 'string' || typeof r.labels !== 'string' || !positiveInt(r.count) || !positiveInt(r.dim)) {
      throw new ModelLoadError(`${where}: "replay" must be {file, labels, count, dim}`);
    }
    if (m.embeddingSize !== undefined && r.dim !== m.embeddingSize) {
      throw new ModelLoadError(`${where}: replay.dim ${r.dim} differs from embeddingSize ${String(m.embeddingSize)}`);
    }
  }
  return m as ModelManifest;
}

/** head.json → LinearHead of `classes` × `dim` (the manifest's numClasses and embeddingSize). */
export function parseHead(value: unknown, classes: number, dim: number, where = 'head.json'): LinearHead {
  if (!isObject(value) || !Array.isArray(value.weights) || !Array.isArray(value.bias)) {
    throw new ModelLoadError(`${where}: expected {"weights": number[][], "bias": number[]}`);
  }
  const { weights, bias } = value as unknown as HeadFile;
  if (weights.length !== classes || bias.length !== classes) {
    throw new ModelLoadError(`${where}: ${weights.length} weight rows and ${bias.length} biases, the model has ${classes} classes`);
  }
  const head: LinearHead = { classes, dim, weights: new Float32Array(classes * dim), bias: Float32Array.from(bias) };
  weights.forEach((row, j) => {
    if (!Array.isArray(row) || row.length !== dim)
      throw new ModelLoadError(`${where}: weights[${j}] has ${row?.length} values, embeddingSize is ${dim}`);
    head.weights.set(row, j * dim);
  });
  if (!head.weights.every(Number.isFinite) || !head.bias.every(Number.isFinite)) throw new ModelLoadError(`${where}: non-finite values`);
  return head;
}

/** replay-embeddings.bin bytes + replay-labels.json → ReplaySet, checked against the manifest. */
export function parseReplay(bytes: Uint8Array, labelsJson: unknown, replay: ReplayManifest, classes: number): ReplaySet {
  const { count, dim } = replay;
  if (bytes.byteLength !== count * dim * 4) {
    throw new ModelLoadError(`${replay.file}: ${bytes.byteLength} bytes, expected ${count} × ${dim} float32 (${count * dim * 4})`);
  }
  // Copy to an aligned buffer and read little-endian whatever the platform.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const embeddings = new Float32Array(count * dim);
  for (let i = 0; i < embeddings.length; i++) embeddings[i] = view.getFloat32(i * 4, true);
  if (!isObject(labelsJson) || !Array.isArray(labelsJson.labels) || labelsJson.labels.length !== count) {
    throw new ModelLoadError(`${replay.labels}: expected {"labels": number[${count}], "sources": string[${count}]}`);
  }
  const labels = Int32Array.from(labelsJson.labels as number[]);
  if (labels.some((l, i) => l < 0 || l >= classes || l !== (labelsJson.labels as number[])[i])) {
    throw new ModelLoadError(`${replay.labels}: labels must be class indices 0..${classes - 1}`);
  }
  const sources = Array.isArray(labelsJson.sources) ? (labelsJson.sources as unknown[]).map(String) : new Array<string>(count).fill('');
  return { count, dim, embeddings, labels, sources };
}

/** ReplaySet → the two files of the contract (bytes of replay-embeddings.bin, replay-labels.json). */
export function serialiseReplay(set: ReplaySet): { bin: Uint8Array; labels: ReplayLabelsFile } {
  const bin = new Uint8Array(set.count * set.dim * 4);
  const view = new DataView(bin.buffer);
  for (let i = 0; i < set.count * set.dim; i++) view.setFloat32(i * 4, set.embeddings[i], true);
  return { bin, labels: { labels: Array.from(set.labels), sources: set.sources } };
}

/** sha256 (hex) of bytes with WebCrypto (browser and Node ≥ 18); null where there is none. */
export async function sha256Hex(bytes: Uint8Array): Promise<string | null> {
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!subtle) return null;
  const digest = await subtle.digest('SHA-256', bytes as unknown as ArrayBuffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
