/**
 * The benchmark page's script (bundled by test/bench/webpack.bench.config.js). It loads the model
 * from /models/ with onnxruntime-web's wasm from /ort/ and runs the same measured work as the Node
 * path (../measure.ts) against the same-origin /dicom-web proxy. The runner drives it through
 * window.bench.
 */
import * as ort from 'onnxruntime-web';
import { BodyRegionModel, type ModelManifest } from '../../../extension/src/engine/infer/BodyRegionModel';
import type { LabelsFile } from '../../../extension/src/engine/types';
import { measureInference, runMode, type Mode, type RunOptions, type SeriesRef } from '../measure';

let model: BodyRegionModel | null = null;

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

function seriesRef(studyInstanceUID: string, seriesInstanceUID: string): SeriesRef {
  return { dicomWebUrl: `${location.origin}/dicom-web`, studyInstanceUID, seriesInstanceUID };
}

function required(): BodyRegionModel {
  if (!model) throw new Error('call bench.loadModel first');
  return model;
}

const bench = {
  /** threads 0: as many as the page may use (hardwareConcurrency when cross-origin isolated, else 1). */
  async loadModel(threads: number) {
    const t0 = performance.now();
    const manifest = await getJson<ModelManifest>('/models/model.json');
    const labels = await getJson<LabelsFile>(`/models/${manifest.labels}`);
    const res = await fetch(`/models/${manifest.file}`);
    if (!res.ok) throw new Error(`/models/${manifest.file}: HTTP ${res.status}`);
    const modelBytes = new Uint8Array(await res.arrayBuffer());
    const isolated = globalThis.crossOriginIsolated === true;
    const numThreads = threads > 0 ? threads : isolated ? navigator.hardwareConcurrency : 1;
    model = await BodyRegionModel.load({ manifest, modelBytes, labels, wasmPaths: '/ort/', numThreads });
    return {
      loadSeconds: (performance.now() - t0) / 1000,
      crossOriginIsolated: isolated,
      // What onnxruntime-web settled on (it falls back to 1 without SharedArrayBuffer).
      threads: typeof SharedArrayBuffer === 'undefined' ? 1 : Number(ort.env.wasm.numThreads ?? numThreads),
      requestedThreads: numThreads,
      hardwareConcurrency: navigator.hardwareConcurrency,
      modelBytes: modelBytes.byteLength,
      userAgent: navigator.userAgent,
    };
  },
  runMode(study: string, series: string, mode: Mode, opts: RunOptions) {
    return runMode(seriesRef(study, series), required(), mode, opts);
  },
  inference(study: string, series: string, images: number, batchSize: number) {
    return measureInference(seriesRef(study, series), required(), images, batchSize);
  },
  /** JS heap as Chromium reports it in the page (non-standard performance.memory). */
  jsHeapMB() {
    const memory = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
    return memory ? memory.usedJSHeapSize / 2 ** 20 : null;
  },
  /** measureUserAgentSpecificMemory when the page is cross-origin isolated (may take seconds). */
  async userAgentMemoryMB(): Promise<number | null> {
    const fn = (performance as unknown as { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> })
      .measureUserAgentSpecificMemory;
    if (!fn) return null;
    const result = await fn.call(performance);
    return result.bytes / 2 ** 20;
  },
};

(globalThis as unknown as { bench: typeof bench }).bench = bench;
document.title = 'body-region bench: ready';
