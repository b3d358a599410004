/**
 * The extension's configuration: app-config's `extensions: [[urlOrPackage, { … }]]` in source builds;
 * the prebuilt viewer's app-config offers `bodyRegion: { writeBack }` instead. The services manager
 * hands it to the bodyRegionService.
 */
export interface BodyRegionConfiguration {
  /** Where model.json, labels.json, the ONNX file, ort-wasm-* and body-region-worker.js are served. */
  assetBase?: string;
  /** 'exhaustive' (default: every image) or 'fast' (samples, bisects boundaries). */
  mode?: 'exhaustive' | 'fast';
  /** false: do not keep results in IndexedDB between visits (services/cachingRunner.ts). */
  resultsCache?: boolean;
  /** false: the worker always fetches frames itself instead of reusing the viewer's decoded images. */
  reuseViewerCache?: boolean;
  /** true: the panel offers "Save to archive". */
  writeBack?: boolean;
}

/** The extension's configuration, with write-back also enabled by the app config's `bodyRegion.writeBack`. */
export function serviceConfiguration(extension: BodyRegionConfiguration | undefined, appConfig: unknown): BodyRegionConfiguration {
  const fromApp = (appConfig as { bodyRegion?: { writeBack?: unknown } } | undefined)?.bodyRegion?.writeBack;
  return { ...extension, writeBack: extension?.writeBack === true || fromApp === true };
}
