/** Messages between the viewer (main thread) and the classification worker. */
import type { SeriesResult } from '../../engine/results/schema';
import type { AdapterFile, FitAdapterInput } from '../../engine/adapt/adapter';

export interface ClassifyRequest {
  type: 'classify';
  jobId: number;
  /** DICOMweb root the worker fetches metadata and frames from (absolute URL). */
  wadoRoot: string;
  /** Request headers of the viewer's data source (e.g. Authorization). */
  headers: Record<string, string>;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  /** Where model.json, labels.json, the ONNX model and onnxruntime's wasm files are served. */
  assetBase: string;
  mode?: 'exhaustive' | 'fast';
  /** The site adapter to classify with (fitted on the main thread from the site's corrections), or none. */
  adapter?: AdapterFile | null;
  /** An earlier result of this series with its embeddings: re-decoded with the adapter, no pixels fetched. */
  known?: SeriesResult | null;
}

export interface CancelRequest {
  type: 'cancel';
  jobId: number;
}

/** The viewer's answer to a pixels-request: the decoded frame from its cache, or null. */
export interface PixelsAnswer {
  type: 'pixels';
  requestId: number;
  frame: { rows: number; columns: number; data: Float32Array | Int16Array | Uint16Array | Uint8Array | Int8Array } | null;
}

/** Fit the site adapter (a second of CPU with a full replay set: not on the viewer's main thread). */
export interface FitRequest {
  type: 'fit';
  jobId: number;
  input: Omit<FitAdapterInput, 'now'>;
}

export type WorkerRequest = ClassifyRequest | CancelRequest | PixelsAnswer | FitRequest;

/** The worker asks whether the viewer already holds a frame (its cornerstone cache). */
export interface PixelsRequest {
  type: 'pixels-request';
  jobId: number;
  requestId: number;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  sopInstanceUID: string;
  frameNumber: number;
}

export type WorkerResponse =
  | PixelsRequest
  | { type: 'progress'; jobId: number; done: number; total: number }
  | { type: 'result'; jobId: number; result: SeriesResult }
  | { type: 'fitted'; jobId: number; adapter: AdapterFile }
  | { type: 'error'; jobId: number; message: string; modelUnavailable: boolean };
