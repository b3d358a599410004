/**
 * The real thing for browser tests: a loopback Orthanc, the prebuilt OHIF 3.13 viewer with our
 * bundles served by extension/src/node/server.ts, and headless Chromium (never downloaded: the
 * system's /usr/bin/chromium, driven by playwright-core).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium, BrowserContext, Page } from 'playwright-core';
import { startArchive, ArchiveFixture } from '../helpers/orthancFixture';
import { startViewerServer, ViewerServer } from '../../extension/src/node/server';
import { defaultPaths, ensureBundles, ensureOhifDist } from '../../extension/src/node/setup';
import type { AppConfigOptions } from '../../extension/src/node/serverAppConfig';

export const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface ViewerFixture {
  archive: ArchiveFixture;
  server: ViewerServer;
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far (for diagnosis in failure messages). */
  errors: string[];
  close(): Promise<void>;
}

/** Prebuilt viewer and bundles, set up the way `npm start` does (cached after the first run). */
let prepared: ReturnType<typeof defaultPaths> | null = null;
export function prepareViewerFiles(): ReturnType<typeof defaultPaths> {
  if (prepared) return prepared;
  const paths = defaultPaths();
  const log = (line: string) => process.stderr.write(`[e2e] ${line}\n`);
  ensureOhifDist(paths, log);
  ensureBundles(paths, log);
  prepared = paths;
  return paths;
}

export async function startViewer(options: { modelsDir?: string; appConfig?: Partial<AppConfigOptions> } = {}): Promise<ViewerFixture> {
  const paths = prepareViewerFiles();
  const archive = await startArchive();
  const server = await startViewerServer({
    ...paths,
    modelsDir: options.modelsDir ?? paths.modelsDir,
    upstream: { url: archive.dicomWebUrl, preserveHost: true },
    appConfig: options.appConfig,
  });
  const profile = await launchProfile();
  return {
    archive,
    server,
    ...profile,
    async close() {
      await profile.close();
      await server.close();
      await archive.orthanc.stop();
    },
  };
}

export interface BrowserProfile {
  context: BrowserContext;
  page: Page;
  errors: string[];
  close(): Promise<void>;
}

/** Headless Chromium with a fresh, empty profile (no IndexedDB, no HTTP cache); deleted on close. */
export async function launchProfile(): Promise<BrowserProfile> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'body-region-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 860 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text().slice(0, 300)}`);
  });
  return {
    context,
    page,
    errors,
    async close() {
      await context.close().catch(() => undefined);
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export async function openStudy(fixture: Pick<ViewerFixture, 'page' | 'server'>, studyInstanceUID: string): Promise<void> {
  const { page, server } = fixture;
  await page.goto(`${server.url}/body-region?StudyInstanceUIDs=${studyInstanceUID}`);
  await page.waitForSelector('[data-testid="body-region-panel"]', { timeout: 60000 });
  // The viewer's "investigational use" banner covers the bottom of the viewports in screenshots.
  const banner = page.getByRole('button', { name: 'Confirm and hide' });
  await banner.click({ timeout: 5000 }).catch(() => undefined);
}

export interface ServiceSnapshot {
  status: string;
  modelError: string | null;
  summary: { annexL: string | null; regions: string[] } | null;
  cursor: { seriesInstanceUID: string; segmentIndex: number } | null;
  series: Array<{
    seriesInstanceUID: string;
    status: string;
    regions: string[];
    significantRegions: string[];
    error: { code: string; message: string } | null;
    segments: Array<{ label: string; firstIndex: number; lastIndex: number; firstSopInstanceUID: string }>;
  }>;
}

export function serviceState(page: Page): Promise<ServiceSnapshot> {
  return page.evaluate(
    () =>
      (window as unknown as { services: { bodyRegionService: { getState(): unknown } } }).services.bodyRegionService.getState() as never,
  );
}

/** Waits until every series is classified (or failed); returns the final state. */
export async function waitForClassification(page: Page, timeoutMs = 180000): Promise<ServiceSnapshot> {
  await page.waitForFunction(
    () => {
      const s = (
        window as unknown as { services?: { bodyRegionService?: { getState(): ServiceSnapshot } } }
      ).services?.bodyRegionService?.getState();
      return !!s && s.series.length > 0 && s.status !== 'running' && s.series.every((x) => x.status !== 'queued' && x.status !== 'running');
    },
    undefined,
    { timeout: timeoutMs, polling: 500 },
  );
  return serviceState(page);
}

export interface ViewportSnapshot {
  viewportId: string;
  active: boolean;
  seriesInstanceUIDs: string[];
  imageIndex: number | null;
  imageId: string | null;
  imageCount: number;
}

/** The viewport grid as the viewer's own services see it. */
export function viewports(page: Page): Promise<ViewportSnapshot[]> {
  return page.evaluate(() => {
    const services = (window as unknown as { services: Record<string, any> }).services;
    const grid = services.viewportGridService.getState();
    const out: ViewportSnapshot[] = [];
    for (const v of grid.viewports.values()) {
      const cs = services.cornerstoneViewportService.getCornerstoneViewport(v.viewportId);
      out.push({
        viewportId: v.viewportId,
        active: v.viewportId === grid.activeViewportId,
        seriesInstanceUIDs: (v.displaySetInstanceUIDs ?? []).map(
          (uid: string) => services.displaySetService.getDisplaySetByUID(uid)?.SeriesInstanceUID,
        ),
        imageIndex: cs?.getCurrentImageIdIndex?.() ?? null,
        imageId: cs?.getCurrentImageId?.() ?? null,
        imageCount: cs?.getImageIds?.().length ?? 0,
      });
    }
    return out;
  });
}

/**
 * Polls `check` (in Node, so it may combine several page reads) until it gives a truthy value, and
 * returns that value; fails naming `what` after `timeoutMs`. Tests wait on conditions, not on time.
 */
export async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 30000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The viewport grid once every viewport shows an image and `ready` holds. */
export function settledViewports(
  page: Page,
  what: string,
  ready: (grid: ViewportSnapshot[]) => boolean,
  timeoutMs = 30000,
): Promise<ViewportSnapshot[]> {
  return until(
    what,
    async () => {
      const grid = await viewports(page);
      return grid.length > 0 && grid.every((v) => v.imageId && v.imageCount > 0) && ready(grid) ? grid : null;
    },
    timeoutMs,
  );
}

export interface ExtensionStats {
  framesFromViewer: number;
  /** Series served by the browser's results cache. */
  cacheHits: number;
  /** Series read back from our SRs in the archive. */
  readBack: number;
  userChangedLayout: boolean;
  layoutsApplied: number;
}

export function extensionStats(page: Page): Promise<ExtensionStats> {
  return page.evaluate(
    () =>
      (window as unknown as { commandsManager: { runCommand(n: string): unknown } }).commandsManager.runCommand(
        'bodyRegion.getStats',
      ) as ExtensionStats,
  );
}

export function activeProtocolId(page: Page): Promise<string | undefined> {
  return page.evaluate(
    () => (window as unknown as { services: Record<string, any> }).services.hangingProtocolService.getActiveProtocol().protocol?.id,
  );
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // The viewer's "investigational use" banner may appear late; it hides the lower viewports.
  const banner = page.getByRole('button', { name: 'Confirm and hide' });
  await banner.click({ timeout: 500 }).catch(() => undefined);
  await banner.waitFor({ state: 'detached', timeout: 5000 }).catch(() => undefined);
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
