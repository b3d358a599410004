/**
 * The extension's state in one page: the service (created in preRegistration), the session of the
 * open study and the runner. Module-level because the viewer creates the extension once per page.
 */
import { BodyRegionService } from './services/BodyRegionService';
import { ViewerSession } from './services/viewerSession';

/** Extension configuration (app-config: `extensions: [[urlOrPackage, { assetBase, mode }]]` in source builds). */
export interface BodyRegionConfiguration {
  /** Where model.json, labels.json, the ONNX file, ort-wasm-* and body-region-worker.js are served. */
  assetBase?: string;
  /** 'exhaustive' (default: every image) or 'fast' (samples, bisects boundaries). */
  mode?: 'exhaustive' | 'fast';
  /** false: do not keep results in IndexedDB between visits (services/cachingRunner.ts). */
  resultsCache?: boolean;
  /** false: the worker always fetches frames itself instead of reusing the viewer's decoded images. */
  reuseViewerCache?: boolean;
  /** true: the panel offers "Save to archive" (source builds; the prebuilt viewer reads `bodyRegion.writeBack` from app-config). */
  writeBack?: boolean;
}

export interface Runtime {
  configuration: BodyRegionConfiguration;
  service: BodyRegionService;
  session: ViewerSession | null;
  /** The worker runner, once a session started (exposes framesFromViewer). */
  runner: { framesFromViewer: number } | null;
}

export const runtime: Runtime = {
  configuration: {},
  service: new BodyRegionService(),
  session: null,
  runner: null,
};
