/**
 * Where the bundles were loaded from. The model, labels, onnxruntime's wasm files and the worker
 * bundle are served beside the extension bundle, so every asset URL is resolved against it.
 * webpack's `publicPath: 'auto'` computes this at run time from the bundle's own URL
 * (import.meta.url in an ES-module bundle); a page may override it with window.BODY_REGION_ASSETS.
 */
declare const __webpack_public_path__: string;

export function assetBase(): string {
  const override = (globalThis as { BODY_REGION_ASSETS?: string }).BODY_REGION_ASSETS;
  if (override) return override.endsWith('/') ? override : `${override}/`;
  return new URL(__webpack_public_path__, globalThis.location?.href).href;
}
