/**
 * End to end in the real prebuilt OHIF 3.13.2 viewer: real Orthanc, our bundles loaded from
 * app-config URLs, the real model in a Web Worker, headless Chromium.
 * Screenshots land in test-artifacts/ (gitignored).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildCtStudy, buildMrStudy, BuiltStudy } from './studies';
import { makeSeries } from '../helpers/dicomFactory';
import { regionName } from '../../extension/src/ohif/regionNames';
import {
  activeProtocolId,
  extensionStats,
  openStudy,
  screenshot,
  ServiceSnapshot,
  serviceState,
  settledViewports,
  startViewer,
  until,
  ViewerFixture,
  viewports,
  waitForClassification,
} from './viewerFixture';

jest.setTimeout(300000);

const BY_REGION = '@body-region/by-region';
const sopOf = (imageId: string | null) => imageId?.match(/\/instances\/([^/]+)\//)?.[1] ?? null;

/**
 * Regions the by-region layout should show: those of the panel's segments (the series' main stack)
 * that the summary calls significant, OTHER left out; order not checked here.
 */
function regionsFound(state: ServiceSnapshot): Set<string> {
  const done = state.series.filter((s) => s.status === 'done');
  return new Set(done.flatMap((s) => s.segments.map((g) => g.label).filter((l) => l !== 'OTHER' && s.significantRegions.includes(l))));
}

describe('CT study in the prebuilt viewer', () => {
  let viewer: ViewerFixture;
  let study: BuiltStudy;
  let state: ServiceSnapshot;

  beforeAll(async () => {
    [viewer, study] = await Promise.all([startViewer(), buildCtStudy()]);
    await viewer.archive.store(study.files);
    await openStudy(viewer, study.studyInstanceUID);
    state = await waitForClassification(viewer.page);
    const stats = await extensionStats(viewer.page);
    process.stderr.write(`[e2e] CT study: ${JSON.stringify(stats)} (frames reused from the viewer's cache)\n`);
  }, 420000);

  afterAll(async () => {
    if (viewer?.errors.length) process.stderr.write(`[e2e] CT page errors:\n${viewer.errors.join('\n')}\n`);
    await viewer?.close();
  });

  it('classifies the multi-region series from its pixels and says why the broken one failed', async () => {
    const [body, broken] = study.series;
    const bodyResult = state.series.find((s) => s.seriesInstanceUID === body.seriesInstanceUID)!;
    expect(state.modelError).toBeNull();
    expect(bodyResult.status).toBe('done');
    const found = bodyResult.segments.map((g) => g.label).filter((l) => l !== 'OTHER');
    // The series spans head to pelvis: the pixels must show several of the labelled regions.
    const agreeing = new Set(found.filter((l) => body.expectedRegions.includes(l)));
    expect(agreeing.size).toBeGreaterThanOrEqual(3);

    const brokenResult = state.series.find((s) => s.seriesInstanceUID === broken.seriesInstanceUID)!;
    expect(brokenResult.status).toBe('error');
    expect(brokenResult.error?.message).toBeTruthy();

    const page = viewer.page;
    const rows = page.locator('[data-testid="br-series"]');
    await expect(rows.count()).resolves.toBe(2);
    const bodyRow = page.locator(`[data-series-uid="${body.seriesInstanceUID}"]`);
    const barRegions = await bodyRow
      .locator('[data-testid="br-bar-segment"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-region')));
    expect(barRegions).toEqual([...bodyResult.segments].reverse().map((g) => g.label));
    const errorLine = await page.locator(`[data-series-uid="${broken.seriesInstanceUID}"] [data-testid="br-series-error"]`).textContent();
    expect(errorLine).toContain(brokenResult.error!.message);
    expect(await page.locator('[data-testid="br-summary-term"]').textContent()).toBeTruthy();
  });

  it('arranges one viewport per region, each at the first slice of its region', async () => {
    expect(await activeProtocolId(viewer.page)).toBe(BY_REGION);
    const expected = [...regionsFound(state)].slice(0, 6);
    // The layout follows the last result; give the viewports time to load their images.
    await viewer.page.waitForFunction(
      (n) => {
        const services = (window as unknown as { services: Record<string, any> }).services;
        return services.viewportGridService.getState().viewports.size === n;
      },
      expected.length,
      { timeout: 30000 },
    );
    const body = state.series.find((s) => s.seriesInstanceUID === study.series[0].seriesInstanceUID)!;
    const startsOf = (viewportId: string) =>
      body.segments.filter((g) => `body-region-${g.label}` === viewportId).map((g) => g.firstSopInstanceUID);
    // Each viewport lands on its region's first slice when the viewer says it is built (or kept).
    const grid = await settledViewports(
      viewer.page,
      'the region viewports to show the first slices of their regions',
      (g) => g.length === expected.length && g.every((v) => startsOf(v.viewportId).includes(sopOf(v.imageId)!)),
    ).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}; the viewports show ${JSON.stringify(await viewports(viewer.page))}`, { cause: error });
    });
    expect(grid.map((v) => v.viewportId).sort()).toEqual(expected.map((r) => `body-region-${r}`).sort());
    // Each viewport says which region it shows, in words a radiologist reads.
    const captions = await until('a caption in every region viewport', async () => {
      const found = await viewer.page.locator('[data-testid="br-viewport-region"]').allTextContents();
      return found.length === expected.length ? found : null;
    });
    expect(captions.sort()).toEqual(expected.map((r) => regionName(r)).sort());
    for (const v of grid) {
      const region = v.viewportId.replace('body-region-', '');
      expect(v.seriesInstanceUIDs).toEqual([body.seriesInstanceUID]);
      const starts = body.segments.filter((g) => g.label === region).map((g) => g.firstSopInstanceUID);
      expect(starts).toContain(sopOf(v.imageId));
    }
    await screenshot(viewer.page, 'ct-by-region');
  });

  it('moves the active viewport to a region clicked in the panel, and on with the keyboard', async () => {
    const page = viewer.page;
    const body = state.series.find((s) => s.seriesInstanceUID === study.series[0].seriesInstanceUID)!;
    const target = body.segments.length - 1; // the most superior region
    const activeAt = (sop: string) =>
      until(`the active viewport at ${sop}`, async () => {
        const active = (await viewports(page)).find((v) => v.active);
        return active && sopOf(active.imageId) === sop ? active : null;
      });
    await page.locator(`[data-series-uid="${body.seriesInstanceUID}"] [data-testid="br-region"][data-segment-index="${target}"]`).click();
    let active = await activeAt(body.segments[target].firstSopInstanceUID);
    expect(active.seriesInstanceUIDs).toEqual([body.seriesInstanceUID]);
    expect(sopOf(active.imageId)).toBe(body.segments[target].firstSopInstanceUID);
    expect((await serviceState(page)).cursor).toEqual({ seriesInstanceUID: body.seriesInstanceUID, segmentIndex: target });
    await screenshot(page, 'ct-after-click');

    // Next region (head to foot): the segment below the clicked one.
    await page
      .locator('.cornerstone-viewport-element, [data-viewportid]')
      .first()
      .hover()
      .catch(() => undefined);
    await page.keyboard.press('Alt+ArrowDown');
    active = await activeAt(body.segments[target - 1].firstSopInstanceUID);
    expect(sopOf(active.imageId)).toBe(body.segments[target - 1].firstSopInstanceUID);
    await page.keyboard.press('Alt+ArrowUp');
    active = await activeAt(body.segments[target].firstSopInstanceUID);
    expect(sopOf(active.imageId)).toBe(body.segments[target].firstSopInstanceUID);
  });

  it('exports the results as JSON through its command', async () => {
    const doc = (await viewer.page.evaluate(() =>
      (window as unknown as { commandsManager: { runCommand(n: string, o: unknown): unknown } }).commandsManager.runCommand(
        'bodyRegion.exportResults',
        { download: false },
      ),
    )) as { studyInstanceUID: string; series: Array<{ schema: string; seriesInstanceUID: string; error: unknown }> };
    expect(doc.studyInstanceUID).toBe(study.studyInstanceUID);
    expect(doc.series.map((s) => s.seriesInstanceUID).sort()).toEqual(study.series.map((s) => s.seriesInstanceUID).sort());
    expect(doc.series.every((s) => s.schema === 'body-region-result/1')).toBe(true);
  });

  it('does not override a layout the user changed by hand when results arrive again', async () => {
    const page = viewer.page;
    const setLayout = (numCols: number) =>
      page.evaluate(
        (n) =>
          (window as unknown as { commandsManager: { runCommand(c: string, o?: unknown): unknown } }).commandsManager.runCommand(
            'setViewportGridLayout',
            {
              numRows: 1,
              numCols: n,
            },
          ),
        numCols,
      );
    // The extension's own layouts so far were protocol layouts (layoutGuard.ts): the viewer's
    // layout menu is the first change by hand, and is told apart at once, with no time window.
    expect((await extensionStats(page)).userChangedLayout).toBe(false);
    await setLayout(1);
    await until('the extension to see the user change the layout', async () => (await extensionStats(page)).userChangedLayout);
    await until('one viewport', async () => (await viewports(page)).length === 1);
    const applied = (await extensionStats(page)).layoutsApplied;
    await page.evaluate(() => {
      const w = window as unknown as { __brBefore: unknown; services: Record<string, any> };
      w.__brBefore = w.services.bodyRegionService.getState();
    });
    await page.locator('[data-testid="br-rerun"]').click();
    // The re-run has started once the service holds a new state.
    await page.waitForFunction(() => {
      const w = window as unknown as { __brBefore: unknown; services: Record<string, any> };
      return w.services.bodyRegionService.getState() !== w.__brBefore;
    });
    await waitForClassification(page);
    // Results arrived; the layout is applied on each one as it comes (synchronously), so none was.
    expect((await extensionStats(page)).layoutsApplied).toBe(applied);
    expect(await viewports(page)).toHaveLength(1);
  });

  it('saw every region viewport built and on its slice (no failed wait for a viewport)', () => {
    expect(viewer.errors.filter((e) => /\[body-region\] viewport/.test(e))).toEqual([]);
  });

  it("the broken series' failed frame requests reach the app config's error handler, not a TypeError", () => {
    expect(viewer.errors.filter((e) => /handler is not a function/.test(e))).toEqual([]);
  });

  it('offers the whole-body protocol: the CT that covers the trunk', async () => {
    const page = viewer.page;
    await page.evaluate(() =>
      (window as unknown as { commandsManager: { runCommand(n: string, o?: unknown): unknown } }).commandsManager.runCommand(
        'setHangingProtocol',
        { protocolId: '@body-region/whole-body' },
      ),
    );
    await until('the whole-body protocol', async () => (await activeProtocolId(page)) === '@body-region/whole-body');
    const grid = await settledViewports(page, 'the whole-body viewport', (g) => g.length === 1);
    expect(grid.map((v) => v.seriesInstanceUIDs)).toEqual([[study.series[0].seriesInstanceUID]]);
  });
});

describe('MR study in the prebuilt viewer', () => {
  let viewer: ViewerFixture;
  let study: BuiltStudy;

  beforeAll(async () => {
    [viewer, study] = await Promise.all([startViewer(), buildMrStudy()]);
    await viewer.archive.store(study.files);
    await openStudy(viewer, study.studyInstanceUID);
  }, 420000);

  afterAll(async () => {
    await viewer?.close();
  });

  it('labels both MR series and lays them out by region', async () => {
    const state = await waitForClassification(viewer.page);
    expect(state.modelError).toBeNull();
    for (const expected of study.series) {
      const got = state.series.find((s) => s.seriesInstanceUID === expected.seriesInstanceUID)!;
      expect(got.status).toBe('done');
      const labels = got.segments.map((g) => g.label);
      expect(labels.some((l) => expected.expectedRegions.includes(l))).toBe(true);
    }
    const regions = [...regionsFound(state)].slice(0, 6);
    await viewer.page.waitForFunction(
      (n) => {
        const services = (window as unknown as { services: Record<string, any> }).services;
        return services.viewportGridService.getState().viewports.size === n;
      },
      regions.length,
      { timeout: 30000 },
    );
    const grid = await settledViewports(viewer.page, 'the region viewports to show their images', (g) => g.length === regions.length);
    const shown = new Set(grid.flatMap((v) => v.seriesInstanceUIDs));
    expect(shown).toEqual(new Set(study.series.map((s) => s.seriesInstanceUID)));
    await screenshot(viewer.page, 'mr-by-region');
  });

  it('puts another series into the active viewport at the clicked region', async () => {
    const page = viewer.page;
    const state = await serviceState(page);
    const active = (await viewports(page)).find((v) => v.active)!;
    // A region of a series the active viewport does not show.
    const other = state.series.find((s) => s.status === 'done' && !active.seriesInstanceUIDs.includes(s.seriesInstanceUID))!;
    const target = other.segments.findIndex((g) => g.label !== 'OTHER');
    await page.locator(`[data-series-uid="${other.seriesInstanceUID}"] [data-testid="br-region"][data-segment-index="${target}"]`).click();
    // The viewport shows the series first and lands on the region's first slice a moment later.
    const wanted = other.segments[target].firstSopInstanceUID;
    const now = await until('the active viewport to show the other series at the region', async () => {
      const v = (await viewports(page)).find((x) => x.active);
      return v?.seriesInstanceUIDs.includes(other.seriesInstanceUID) && v.imageId && sopOf(v.imageId) === wanted ? v : null;
    }).catch(async (error: unknown) => {
      const v = (await viewports(page)).find((x) => x.active);
      throw new Error(`${(error as Error).message}; the active viewport shows ${JSON.stringify(v)} instead of ${wanted}`, { cause: error });
    });
    expect(now.viewportId).toBe(active.viewportId);
    expect(now.seriesInstanceUIDs).toEqual([other.seriesInstanceUID]);
    expect(sopOf(now.imageId)).toBe(other.segments[target].firstSopInstanceUID);
  });
});

describe('missing model', () => {
  let viewer: ViewerFixture;
  const emptyModels = fs.mkdtempSync(path.join(os.tmpdir(), 'no-model-'));

  beforeAll(async () => {
    viewer = await startViewer({ modelsDir: emptyModels });
  }, 420000);

  afterAll(async () => {
    await viewer?.close();
    fs.rmSync(emptyModels, { recursive: true, force: true });
  });

  it('says why in the panel while the viewer keeps showing images', async () => {
    const study = await makeSeries({ modality: 'MR', slices: 6 });
    await viewer.archive.store(study.files);
    await openStudy(viewer, study.studyInstanceUID);
    const state = await waitForClassification(viewer.page, 60000);
    expect(state.modelError).toMatch(/model\.json.*404/);
    expect(await viewer.page.locator('[data-testid="br-model-error"]').textContent()).toContain('404');
    const grid = await until('a viewport with an image', async () => {
      const g = await viewports(viewer.page);
      return g.some((v) => v.imageCount > 0 && v.imageId) ? g : null;
    });
    expect(grid.some((v) => v.imageCount > 0 && v.imageId)).toBe(true);
    await screenshot(viewer.page, 'missing-model');
  });
});
