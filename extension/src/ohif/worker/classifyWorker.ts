/**
 * The classification worker (its own webpack bundle, body-region-worker.js): loads the model once,
 * then for each request fetches the series' metadata and frames over DICOMweb (with the viewer's
 * auth headers) and runs the engine. Inference never blocks the viewer's main thread.
 */
import { classifySeries } from '../../engine/pipeline';
import { BodyRegionModel, ModelManifest } from '../../engine/infer/BodyRegionModel';
import { DicomWebArchive } from '../../engine/fetch/dicomWebArchive';
import { DicomWebPixelSource } from '../../engine/fetch/DicomWebPixelSource';
import { metadataToFrames } from '../../engine/fetch/metadataToFrames';
import type { LabelsFile } from '../../engine/types';
import type { ClassifyRequest, WorkerRequest, WorkerResponse } from './protocol';

const scope = self as unknown as { postMessage: (m: WorkerResponse) => void; onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null; crossOriginIsolated?: boolean };
const controllers = new Map<number, AbortController>();
let modelPromise: Promise<BodyRegionModel> | null = null;

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${new URL(url).pathname}: HTTP ${response.status}`);
  return response;
}

function loadModel(assetBase: string): Promise<BodyRegionModel> {
  if (!modelPromise) {
    modelPromise = (async () => {
      const manifest = (await (await fetchOk(new URL('model.json', assetBase).href)).json()) as ModelManifest;
      const labels = (await (await fetchOk(new URL(manifest.labels ?? 'labels.json', assetBase).href)).json()) as LabelsFile;
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
    const result = await classifySeries({
      frames,
      pixels: new DicomWebPixelSource(archive),
      model,
      mode: request.mode,
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
  if (request.type === 'cancel') controllers.get(request.jobId)?.abort();
  else if (request.type === 'classify') void classify(request);
};
