/** Starts and stops the per-study session; wires the worker runner to the active data source. */
import type { OhifContext } from './ohifTypes';
import { runtime } from './runtime';
import { ViewerSession } from './services/viewerSession';
import { WorkerRunner } from './services/workerRunner';
import { withBrowserResultsCache } from './services/cachingRunner';
import { assetBase } from './assetBase';
import { summariseForPanel } from './services/summaryView';
import { cachedFrame, viewerImageId } from './services/viewerPixelCache';
import { optionalViewerCornerstone } from './viewerCornerstone';
import { resultSources, withArchiveSrs } from './archiveSession';
import { siteController } from './siteSession';
import type { ClassificationRunner } from './services/BodyRegionService';

export const WORKER_FILE = 'body-region-worker.js';

let runner: WorkerRunner | null = null;

function dataSourceRoot(ctx: OhifContext): string {
  const dataSource = ctx.extensionManager.getActiveDataSource()[0];
  const config = dataSource?.getConfig?.() ?? {};
  const root: string = config.wadoRoot ?? config.qidoRoot ?? '/dicom-web';
  return new URL(root, globalThis.location.href).href;
}

function authHeaders(ctx: OhifContext): Record<string, string> {
  const header = ctx.servicesManager.services.userAuthenticationService?.getAuthorizationHeader?.();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(header ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}

export function startSession(ctx: OhifContext): ViewerSession {
  stopSession();
  if (!runner) {
    const configured = runtime.configuration.assetBase;
    const base = configured
      ? new URL(configured.endsWith('/') ? configured : `${configured}/`, globalThis.location.href).href
      : assetBase();
    // The adapter is fitted in the classification worker (the same one; no second model load).
    const site = siteController(
      ctx,
      base,
      () => runtime.session?.classifyStudy(),
      (input) => runner!.fit(input),
    );
    const cornerstone = runtime.configuration.reuseViewerCache === false ? undefined : optionalViewerCornerstone(ctx.extensionManager);
    runner = new WorkerRunner({
      workerUrl: new URL(WORKER_FILE, base).href,
      assetBase: base,
      wadoRoot: () => dataSourceRoot(ctx),
      headers: () => authHeaders(ctx),
      mode: runtime.configuration.mode,
      viewerFrame: (request) => (cornerstone ? cachedFrame(cornerstone, viewerImageId(dataSourceRoot(ctx), request)) : null),
      adapter: () => site.adapterFile(),
      known: (seriesInstanceUID) => site.earlierResult(seriesInstanceUID),
    });
    runtime.runner = runner;
    const cached = withBrowserResultsCache(runner, base, runtime.configuration, () => site.adapterId());
    const archived = withArchiveSrs(cached, ctx, base, { root: () => dataSourceRoot(ctx), headers: () => authHeaders(ctx) });
    // The archive's SRs hold the shipped model's results: a site-adapted viewer classifies itself.
    const viewerRunner: ClassificationRunner & { readonly hits?: number } = {
      classify: async (job, onProgress, signal) => {
        await site.start(); // the stored corrections' adapter applies from the first series on
        return (site.adapterId() ? cached : archived).classify(job, onProgress, signal);
      },
      // results-cache hits, whichever path served them (the soak e2e reads this)
      get hits() {
        return (cached as { hits?: number }).hits;
      },
    };
    runtime.service.setRunner(viewerRunner, summariseForPanel);
  }
  resultSources.reset();
  runtime.session = new ViewerSession(ctx, runtime.service);
  runtime.session.start();
  return runtime.session;
}

export function stopSession(): void {
  runtime.session?.stop();
  runtime.session = null;
}
