/**
 * A site's customizations in the real prebuilt viewer: app-config.js sets the extension's
 * customizations through OHIF's customizationService (docs/OHIF.md, "Customizations"), and the
 * panel, the viewport captions and the by-region layout follow them.
 */
import { buildCtStudy, BuiltStudy } from './studies';
import { REGION_NAMES } from '../../extension/src/ohif/regionNames';
import { REGION_COLOURS } from '../../extension/src/ohif/panels/regionColours';
import { CORNERSTONE_UTILITY_MODULE } from '../../extension/src/ohif/viewerCornerstone';
import {
  extensionStats,
  openStudy,
  screenshot,
  settledViewports,
  startViewer,
  until,
  ViewerFixture,
  waitForClassification,
} from './viewerFixture';

jest.setTimeout(300000);

const siteName = (label: string) => `Site ${label.toLowerCase()}`;
/** Foot to head: the reverse of the default, and without NECK. */
const LAYOUT_REGIONS = ['THIGH', 'PELVIS', 'ABDOMEN', 'CHEST', 'HEAD'];

describe('customizations from app-config.js', () => {
  let viewer: ViewerFixture;
  let study: BuiltStudy;

  beforeAll(async () => {
    [viewer, study] = await Promise.all([
      startViewer({
        appConfig: {
          customizations: {
            // $merge over the extension's defaults: every region renamed, every colour changed.
            'bodyRegion.regionNames': { $merge: Object.fromEntries(Object.keys(REGION_NAMES).map((l) => [l, siteName(l)])) },
            'bodyRegion.regionColours': { $merge: Object.fromEntries(Object.keys(REGION_COLOURS).map((l) => [l, '#123456'])) },
            'bodyRegion.panelColours': { $merge: { accent: '#ff00ff' } },
            'bodyRegion.layoutRegions': { $set: LAYOUT_REGIONS },
          },
        },
      }),
      buildCtStudy(),
    ]);
    await viewer.archive.store(study.files);
    await openStudy(viewer, study.studyInstanceUID);
    await waitForClassification(viewer.page);
  }, 420000);

  afterAll(async () => {
    if (viewer?.errors.length) process.stderr.write(`[e2e] customization page errors:\n${viewer.errors.join('\n')}\n`);
    await viewer?.close();
  });

  it('names and colours the regions in the panel as the site said', async () => {
    const page = viewer.page;
    const rows = await page.locator('[data-testid="br-region"]').evaluateAll((els) =>
      els.map((e) => ({
        region: e.getAttribute('data-region')!,
        name: e.querySelector('.br-region-name')?.textContent,
        swatch: getComputedStyle(e.querySelector('.br-swatch')!).backgroundColor,
      })),
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toEqual({ region: row.region, name: siteName(row.region), swatch: 'rgb(18, 52, 86)' });
    const title = await page.locator('.br-title').evaluate((e) => getComputedStyle(e).color);
    expect(title).toBe('rgb(255, 0, 255)');
    await screenshot(page, 'customized-panel');
  });

  it('lays out only the listed regions, in the listed order, with the site’s captions', async () => {
    const page = viewer.page;
    const grid = await settledViewports(page, 'the region viewports', (g) => g.every((v) => v.viewportId.startsWith('body-region-')));
    const regions = grid.map((v) => v.viewportId.replace('body-region-', ''));
    expect(regions.length).toBeGreaterThan(1);
    expect(regions).toEqual(LAYOUT_REGIONS.filter((r) => regions.includes(r)));
    const captions = await until('a caption in every region viewport', async () => {
      const found = await page.locator('[data-testid="br-viewport-region"]').allTextContents();
      return found.length === regions.length ? found : null;
    });
    expect(captions.sort()).toEqual(regions.map(siteName).sort());
  });

  it("reaches cornerstone through the cornerstone extension's utility module", async () => {
    const found = await viewer.page.evaluate((id) => {
      const manager = (window as unknown as { extensionManager: { getModuleEntry(id: string): any } }).extensionManager;
      const cornerstone = manager.getModuleEntry(id)?.exports?.getCornerstoneLibraries?.()?.cornerstone;
      return typeof cornerstone?.cache?.getImage;
    }, CORNERSTONE_UTILITY_MODULE);
    expect(found).toBe('function');
    process.stderr.write(`[e2e] customization study: ${JSON.stringify(await extensionStats(viewer.page))}\n`);
  });
});
