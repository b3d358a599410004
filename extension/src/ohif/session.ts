/**
 * What the bodyRegionService classifies with in the viewer: the worker runner wired to the active
 * data source, behind the browser's results cache and our SRs in the archive, with the site
 * corrections. Made when our mode's first session starts and kept for the page (its counts too);
 * the worker itself ends at each mode exit and starts again with the next series to classify.
 */
import type { OhifHost } from './ohifTypes';
import type { BodyRegionService } from './services/BodyRegionService';
import { WorkerRunner } from './services/workerRunner';
import { withBrowserResultsCache } from './services/cachingRunner';
import { assetBase } from './assetBase';
import { cachedFrame, viewerImageId } from './services/viewerPixelCache';
import { optionalViewerCornerstone } from './viewerCornerstone';
import { saveStudyToArchive, withArchiveSrs } from './archiveSession';
import { createSiteController } from './siteSession';
import type { SiteController } from './services/siteController';
import type { ClassificationRunner } from './services/jobs';

export const WORKER_FILE = 'body-region-worker.js';

/** Counts since the page loaded. */
export interface ViewerStats {
  /** Frames the worker took from the viewer's cache instead of the archive. */
  framesFromViewer: number;
  /** Series served by this browser's results cache (whichever path served them). */
  cacheHits: number;
  /** Series read back from our SRs in the archive. */
  readBack: number;
}

export interface ViewerRunner {
  runner: ClassificationRunner;
  site: SiteController;
  saveToArchive(): Promise<number>;
  stats(): ViewerStats;
  /** Ends the worker and the model it loaded; the next classification starts a new one. */
  stopWorker(): void;
}

function dataSourceRoot(host: OhifHost): string {
  const dataSource = host.extensionManager.getActiveDataSource()[0];
  const config = dataSource?.getConfig?.() ?? {};
  const root = config.wadoRoot ?? config.qidoRoot ?? '/dicom-web';
  return new URL(root, globalThis.location.href).href;
}

function authHeaders(host: OhifHost): Record<string, string> {
  const header = host.servicesManager.services.userAuthenticationService?.getAuthorizationHeader?.();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(header ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}

export function createViewerRunner(host: OhifHost, service: BodyRegionService): ViewerRunner {
  const configuration = service.configuration;
  const configured = configuration.assetBase;
  const base = configured ? new URL(configured.endsWith('/') ? configured : `${configured}/`, globalThis.location.href).href : assetBase();
  // The adapter is fitted in the classification worker (the same one; no second model load).
  const site = createSiteController(
    host,
    service,
    base,
    () => service.currentSession().classifyStudy(),
    (input) => worker.fit(input),
  );
  const cornerstone = configuration.reuseViewerCache === false ? undefined : optionalViewerCornerstone(host.extensionManager);
  const worker = new WorkerRunner({
    workerUrl: new URL(WORKER_FILE, base).href,
    assetBase: base,
    wadoRoot: () => dataSourceRoot(host),
    headers: () => authHeaders(host),
    mode: configuration.mode,
    viewerFrame: (request) => (cornerstone ? cachedFrame(cornerstone, viewerImageId(dataSourceRoot(host), request)) : null),
    adapter: () => site.adapterFile(),
    known: (seriesInstanceUID) => site.earlierResult(seriesInstanceUID),
  });
  const cached = withBrowserResultsCache(worker, base, configuration, () => site.adapterId());
  const archived = withArchiveSrs(cached, host, base, service, {
    root: () => dataSourceRoot(host),
    headers: () => authHeaders(host),
  });
  return {
    // The archive's SRs hold the shipped model's results: a site-adapted viewer classifies itself.
    runner: {
      classify: async (job, onProgress, signal) => {
        await site.start(); // the stored corrections' adapter applies from the first series on
        if (!site.adapterId()) return archived.classify(job, onProgress, signal);
        const hitsBefore = (cached as { hits?: number }).hits ?? 0;
        const result = await cached.classify(job, onProgress, signal);
        const fromCache = ((cached as { hits?: number }).hits ?? 0) > hitsBefore;
        // "Where results came from" says the adapter shaped this one (the archive path says the rest).
        service.resultSources.setSeries(job.seriesInstanceUID, {
          source: fromCache ? 'cache' : 'computed',
          outdated: [],
          adapted: site.adapterStatus() ?? undefined,
        });
        return result;
      },
    },
    site,
    saveToArchive: () => saveStudyToArchive(archived, service),
    stats: () => ({
      framesFromViewer: worker.framesFromViewer,
      cacheHits: (cached as { hits?: number }).hits ?? 0,
      readBack: archived.readBack,
    }),
    stopWorker: () => worker.terminate(),
  };
}
