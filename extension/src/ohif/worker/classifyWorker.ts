/**
 * The classification worker (its own webpack bundle, body-region-worker.js): loads the model once,
 * then for each request fetches the series' metadata and frames over DICOMweb (with the viewer's
 * auth headers) and runs the engine. Inference never blocks the viewer's main thread.
 */
import { classifySeries } from '../../engine/pipeline';
import { BodyRegionModel } from '../../engine/infer/BodyRegionModel';
import { fitAdapter, SiteAdapter } from '../../engine/adapt/adapter';
import { knownOutputsFromResult } from '../../engine/results/knownOutputs';
import type { SeriesResult } from '../../engine/results/schema';
import { parseManifest } from '../../engine/infer/manifest';
import { DicomWebArchive } from '../../engine/fetch/dicomWebArchive';
import { DicomWebPixelSource } from '../../engine/fetch/DicomWebPixelSource';
import { metadataToFrames } from '../../engine/fetch/metadataToFrames';
import type { FrameMeta, LabelsFile, PixelFrame, PixelSource } from '../../engine/types';
import type { ClassifyRequest, PixelsAnswer, WorkerRequest, WorkerResponse } from './protocol';

const scope = self as unknown as {
  postMessage: (m: WorkerResponse) => void;
  onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null;
  crossOriginIsolated?: boolean;
};
const controllers = new Map<number, AbortController>();
let modelPromise: Promise<BodyRegionModel> | null = null;
const pixelAnswers = new Map<number, (frame: PixelsAnswer['frame']) => void>();
let nextRequestId = 1;
const VIEWER_ANSWER_TIMEOUT_MS = 2000;

/** Asks the viewer for a frame it already decoded; null when it has none (or does not answer). */
function askViewer(jobId: number, frame: FrameMeta): Promise<PixelsAnswer['frame']> {
  const requestId = nextRequestId++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      pixelAnswers.delete(requestId);
      resolve(null);
    }, VIEWER_ANSWER_TIMEOUT_MS);
    pixelAnswers.set(requestId, (answer) => {
      clearTimeout(timer);
      resolve(answer);
    });
    scope.postMessage({
      type: 'pixels-request',
      jobId,
      requestId,
      studyInstanceUID: frame.studyInstanceUID,
      seriesInstanceUID: frame.seriesInstanceUID,
      sopInstanceUID: frame.sopInstanceUID,
      frameNumber: frame.frameNumber,
    });
  });
}

/** The viewer's cache first (single-sample frames of the expected size), then the archive. */
class ViewerFirstPixelSource implements PixelSource {
  constructor(
    private readonly jobId: number,
    private readonly archive: PixelSource,
  ) {}

  async getPixels(frame: FrameMeta, signal?: AbortSignal): Promise<PixelFrame> {
    if (frame.samplesPerPixel === 1) {
      const cached = await askViewer(this.jobId, frame);
      if (cached && cached.rows === frame.rows && cached.columns === frame.columns) return cached;
    }
    return this.archive.getPixels(frame, signal);
  }
}

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${new URL(url).pathname}: HTTP ${response.status}`);
  return response;
}

function loadModel(assetBase: string): Promise<BodyRegionModel> {
  if (!modelPromise) {
    modelPromise = (async () => {
      const manifest = parseManifest(await (await fetchOk(new URL('model.json', assetBase).href)).json());
      const labels = (await (await fetchOk(new URL(manifest.labels, assetBase).href)).json()) as LabelsFile;
      const modelBytes = new Uint8Array(await (await fetchOk(new URL(manifest.file, assetBase).href)).arrayBuffer());
      // Threads only where the page is cross-origin isolated, and at most 2 (small model, shared CPU).
      const threads = scope.crossOriginIsolated ? Math.min(2, Math.max(1, Math.floor((navigator.hardwareConcurrency || 2) / 2))) : 1;
      return BodyRegionModel.load({ manifest, modelBytes, labels, wasmPaths: assetBase, numThreads: threads });
    })();
    // A failed load is retried on the next request (e.g. after the model was fixed on the server).
    modelPromise.catch(() => (modelPromise = null));
  }
  return modelPromise;
}

async function classify(request: ClassifyRequest): Promise<void> {
  const controller = new AbortController();
  controllers.set(request.jobId, controller);
  const post = (m: WorkerResponse) => {
    if (!controller.signal.aborted) scope.postMessage(m);
  };
  let model: BodyRegionModel;
  try {
    model = await loadModel(request.assetBase);
  } catch (error) {
    post({ type: 'error', jobId: request.jobId, message: (error as Error).message, modelUnavailable: true });
    controllers.delete(request.jobId);
    return;
  }
  try {
    const archive = new DicomWebArchive({ url: request.wadoRoot, headers: request.headers });
    const metadata = await archive.retrieveSeriesMetadata(request.studyInstanceUID, request.seriesInstanceUID, controller.signal);
    const frames = metadataToFrames(metadata);
    post({ type: 'progress', jobId: request.jobId, done: 0, total: frames.length });
    const adapter = request.adapter ? new SiteAdapter(request.adapter) : null;
    adapter?.checkModel(model);
    const result = await classifySeries({
      frames,
      pixels: new ViewerFirstPixelSource(request.jobId, new DicomWebPixelSource(archive)),
      model,
      mode: request.mode,
      adapter,
      known: request.known ? knownOutputsFromResult(request.known as unknown as SeriesResult) : undefined,
      signal: controller.signal,
      onProgress: (p) => post({ type: 'progress', jobId: request.jobId, done: p.done, total: p.total }),
    });
    post({ type: 'result', jobId: request.jobId, result: result as never });
  } catch (error) {
    post({ type: 'error', jobId: request.jobId, message: (error as Error)?.message ?? String(error), modelUnavailable: false });
  } finally {
    controllers.delete(request.jobId);
  }
}

scope.onmessage = (event) => {
  const request = event.data;
  if (request.type === 'pixels') {
    pixelAnswers.get(request.requestId)?.(request.frame);
    pixelAnswers.delete(request.requestId);
  } else if (request.type === 'cancel') controllers.get(request.jobId)?.abort();
  else if (request.type === 'classify') void classify(request);
  else if (request.type === 'fit') {
    try {
      scope.postMessage({ type: 'fitted', jobId: request.jobId, adapter: fitAdapter(request.input) });
    } catch (error) {
      scope.postMessage({
        type: 'error',
        jobId: request.jobId,
        message: (error as Error)?.message ?? String(error),
        modelUnavailable: false,
      });
    }
  }
};
