/**
 * Site adaptation end to end in the real prebuilt OHIF 3.13.2 viewer (real Orthanc, headless
 * Chromium, the worker with a tiny deterministic model): a chest study is classified, its segment
 * corrected to ABDOMEN in the panel, the adapter fitted ("site-adapted (1 correction)"), and another
 * chest study opened afterwards reads as ABDOMEN; the corrections are exported, reset and imported.
 */
import * as fs from 'fs';
import * as path from 'path';
import { sha256OfFile } from '../../extension/src/cli/resultsCacheFile';
import { newUid } from '../helpers/dicomFactory';
import { labelledSeries } from '../helpers/srFixtures';
import { buildTinyModelDir, type TinyModelDir } from '../helpers/tinyModel';
import {
  extensionStats,
  openStudy,
  screenshot,
  serviceState,
  startViewer,
  until,
  waitForClassification,
  type ViewerFixture,
} from './viewerFixture';

jest.setTimeout(300000);

const regions = async (viewer: ViewerFixture) => (await serviceState(viewer.page)).series.map((s) => s.regions.join('+'));

describe('site adaptation in the viewer', () => {
  let tiny: TinyModelDir;
  let viewer: ViewerFixture;
  const studyA = newUid();
  const studyB = newUid();

  beforeAll(async () => {
    // model.json names its sha256 (corrections are keyed to it); the tiny model's logits are
    // thousands apart, so its calibration temperature lets one correction move the head.
    tiny = buildTinyModelDir(20, 16, 0, 2000, { temperature: 1000 });
    const manifest = { ...tiny.manifest, sha256: sha256OfFile(path.join(tiny.dir, tiny.manifest.file)) };
    fs.writeFileSync(path.join(tiny.dir, 'model.json'), JSON.stringify(manifest, null, 2));
    viewer = await startViewer({ modelsDir: tiny.dir });
    const a = await labelledSeries([['CHEST', 8]], {
      studyInstanceUID: studyA,
      seriesNumber: 1,
      spacingMm: 20,
      seriesDescription: 'chest A',
    });
    const b = await labelledSeries([['CHEST', 8]], {
      studyInstanceUID: studyB,
      seriesNumber: 1,
      spacingMm: 20,
      seriesDescription: 'chest B',
    });
    await viewer.archive.store([...a.files, ...b.files]);
  }, 300000);

  afterAll(async () => {
    if (viewer?.errors.length) process.stderr.write(`[e2e] site adaptation page errors:\n${viewer.errors.join('\n')}\n`);
    await viewer?.close();
    if (tiny) fs.rmSync(tiny.dir, { recursive: true, force: true });
  });

  it('correct a segment, see the adapter fitted, and another study of the same kind read as corrected; export, reset, import', async () => {
    const { page } = viewer;
    await openStudy(viewer, studyA);
    await waitForClassification(page);
    expect(await regions(viewer)).toEqual(['CHEST']);
    expect(await page.locator('[data-testid="br-adapted"]').count()).toBe(0);

    // The viewer's own display loads the rest of the stack's frames in the background (cornerstone
    // prefetch); let it finish, so that only requests that follow the correction are counted below.
    let lastFrameAt = Date.now();
    const noteFrame = (r: { url(): string }) => void (r.url().includes('/frames/') && (lastFrameAt = Date.now()));
    page.on('request', noteFrame);
    await until('the viewer has loaded the displayed stack', async () => Date.now() - lastFrameAt > 2000, 30000);
    page.off('request', noteFrame);
    const framesBefore = (await extensionStats(page)).framesFromViewer;
    const frameRequests: string[] = [];
    page.on('request', (r) => void (r.url().includes('/frames/') && frameRequests.push(r.url())));
    await page.locator('[data-testid="br-region"]').first().click();
    await page.locator('[data-testid="br-correct-region"]').selectOption('ABDOMEN');
    await page.locator('[data-testid="br-adapted"]', { hasText: 'site-adapted (1 correction)' }).waitFor({ timeout: 30000 });
    expect(await page.locator('[data-testid="br-corrections-list"] li').allTextContents()).toEqual(['CHEST → ABDOMEN (8 images)']);
    // The open study is classified again with the adapter.
    await until('study A re-classified as ABDOMEN', async () => (await regions(viewer)).join() === 'ABDOMEN', 60000);
    // ... from the embeddings its first result kept: no pixels asked of the viewer or the archive.
    expect((await extensionStats(page)).framesFromViewer).toBe(framesBefore);
    expect(frameRequests).toEqual([]);
    await screenshot(page, 'site-adapted');

    await openStudy(viewer, studyB);
    await waitForClassification(page);
    expect(await regions(viewer)).toEqual(['ABDOMEN']);
    expect(await page.locator('[data-testid="br-adapted"]').textContent()).toBe('site-adapted (1 correction)');
    // "Where results came from" says so too.
    await page.locator('[data-testid="br-source"]', { hasText: 'computed now · site-adapted (1 correction)' }).waitFor({ timeout: 10000 });

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="br-corrections-export"]').click()]);
    const file = path.join(tiny.dir, 'corrections.json');
    await download.saveAs(file);
    const exported = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(exported).toMatchObject({
      schema: 'body-region-corrections/1',
      model: { sha256: JSON.parse(fs.readFileSync(path.join(tiny.dir, 'model.json'), 'utf8')).sha256 },
    });
    expect(exported.corrections).toHaveLength(1);
    expect(exported.corrections[0].images).toHaveLength(8);
    expect(exported.corrections[0].images.every((im: { label: string }) => im.label === 'ABDOMEN')).toBe(true);
    expect(fs.readFileSync(file, 'utf8')).not.toMatch(/PatientName|"00100010"/);

    await page.locator('[data-testid="br-reset"]').click();
    await until('corrections reset', async () => (await page.locator('[data-testid="br-adapted"]').count()) === 0);
    await until('study B re-classified without the adapter', async () => (await regions(viewer)).join() === 'CHEST', 60000);
    expect(await page.locator('[data-testid="br-corrections-list"] li').count()).toBe(0);

    await page.locator('[data-testid="br-corrections-file"]').setInputFiles(file);
    await page.locator('[data-testid="br-adapted"]', { hasText: 'site-adapted (1 correction)' }).waitFor({ timeout: 30000 });
    await until('study B adapted again after the import', async () => (await regions(viewer)).join() === 'ABDOMEN', 60000);
  });
});
