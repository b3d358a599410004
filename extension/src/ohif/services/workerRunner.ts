/**
 * Runs classifications in a Web Worker (inference off the main thread). One worker, one series at
 * a time; cancelling aborts the worker's fetches and inference for that series.
 */
import type { ClassificationRunner, SeriesJob } from './jobs';
import { ModelUnavailableError } from './errors';
import type { SeriesResult } from '../../engine/results/schema';
import type { AdapterFile, FitAdapterInput } from '../../engine/adapt/adapter';
import type { PixelsAnswer, PixelsRequest, WorkerRequest, WorkerResponse } from '../worker/protocol';

export interface WorkerRunnerOptions {
  workerUrl: string;
  assetBase: string;
  /** DICOMweb root of the active data source (absolute). */
  wadoRoot: () => string;
  /** Current auth headers of the data source (tokens can change while the study is open). */
  headers: () => Record<string, string>;
  mode?: 'exhaustive' | 'fast';
  /** A frame the viewer already decoded (cornerstone cache), or null: the worker then fetches it. */
  viewerFrame?: (request: PixelsRequest) => PixelsAnswer['frame'];
  /** The site adapter in use now (siteSession.ts), or null. */
  adapter?: () => AdapterFile | null;
  /** An earlier result of the series whose kept embeddings the worker may re-decode instead of classifying again. */
  known?: (seriesInstanceUID: string) => SeriesResult | null;
}

interface Pending {
  resolve: (r: SeriesResult | AdapterFile) => void;
  reject: (e: Error) => void;
  onProgress: (done: number, total: number) => void;
}

export class WorkerRunner implements ClassificationRunner {
  private worker: Worker | null = null;
  private nextJobId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Frames the worker took from the viewer's cache instead of the archive. */
  framesFromViewer = 0;

  constructor(private readonly options: WorkerRunnerOptions) {}

  classify(job: SeriesJob, onProgress: (done: number, total: number) => void, signal: AbortSignal): Promise<SeriesResult> {
    const worker = this.ensureWorker();
    const jobId = this.nextJobId++;
    return new Promise<SeriesResult>((resolve, reject) => {
      this.pending.set(jobId, { resolve: (r) => resolve(r as SeriesResult), reject, onProgress });
      signal.addEventListener('abort', () => {
        this.post(worker, { type: 'cancel', jobId });
        this.pending.delete(jobId);
        reject(new DOMException('cancelled', 'AbortError'));
      });
      this.post(worker, {
        type: 'classify',
        jobId,
        wadoRoot: this.options.wadoRoot(),
        headers: this.options.headers(),
        studyInstanceUID: job.studyInstanceUID,
        seriesInstanceUID: job.seriesInstanceUID,
        assetBase: this.options.assetBase,
        mode: this.options.mode,
        adapter: this.options.adapter?.() ?? null,
        known: this.options.known?.(job.seriesInstanceUID) ?? null,
      });
    });
  }

  /** Fits the site adapter in the worker. */
  fit(input: Omit<FitAdapterInput, 'now'>): Promise<AdapterFile> {
    const worker = this.ensureWorker();
    const jobId = this.nextJobId++;
    return new Promise<AdapterFile>((resolve, reject) => {
      this.pending.set(jobId, { resolve: (r) => resolve(r as AdapterFile), reject, onProgress: () => undefined });
      this.post(worker, { type: 'fit', jobId, input });
    });
  }

  terminate(): void {
    this.worker?.terminate();
    this.worker = null;
    for (const p of this.pending.values()) p.reject(new Error('worker stopped'));
    this.pending.clear();
  }

  private post(worker: Worker, message: WorkerRequest): void {
    worker.postMessage(message);
  }

  private answerPixels(request: PixelsRequest): void {
    let frame: PixelsAnswer['frame'];
    try {
      frame = this.options.viewerFrame?.(request) ?? null;
    } catch {
      frame = null;
    }
    if (frame) this.framesFromViewer++;
    const answer: PixelsAnswer = { type: 'pixels', requestId: request.requestId, frame };
    this.worker?.postMessage(answer, frame ? [frame.data.buffer] : []);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.options.workerUrl, { type: 'module', name: 'body-region' });
    worker.onmessage = (event: MessageEvent<WorkerResponse>) => this.onMessage(event.data);
    worker.onerror = (event) => {
      // The worker script itself failed (e.g. not served): every pending and future job fails.
      const error = new ModelUnavailableError(`the classification worker failed to start: ${event.message || 'unknown error'}`);
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
      this.worker = null;
    };
    this.worker = worker;
    return worker;
  }

  private onMessage(message: WorkerResponse): void {
    if (message.type === 'pixels-request') {
      this.answerPixels(message);
      return;
    }
    const pending = this.pending.get(message.jobId);
    if (!pending) return;
    if (message.type === 'progress') {
      pending.onProgress(message.done, message.total);
      return;
    }
    this.pending.delete(message.jobId);
    if (message.type === 'result') pending.resolve(message.result);
    else if (message.type === 'fitted') pending.resolve(message.adapter);
    else if (message.modelUnavailable) this.discardWorker(pending, new ModelUnavailableError(message.message));
    else pending.reject(new Error(message.message));
  }

  /**
   * onnxruntime remembers a failed start for the life of its worker, so a worker whose model could
   * not load is ended: the next job (a re-run) starts a fresh one and tries again.
   */
  private discardWorker(failed: Pending, error: Error): void {
    failed.reject(error);
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.worker?.terminate();
    this.worker = null;
  }
}
