/** Messages between the viewer (main thread) and the classification worker. */
import type { RawSeriesResult } from '../services/resultView';

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
}

export interface CancelRequest {
  type: 'cancel';
  jobId: number;
}

export type WorkerRequest = ClassifyRequest | CancelRequest;

export type WorkerResponse =
  | { type: 'progress'; jobId: number; done: number; total: number }
  | { type: 'result'; jobId: number; result: RawSeriesResult }
  | { type: 'error'; jobId: number; message: string; modelUnavailable: boolean };
