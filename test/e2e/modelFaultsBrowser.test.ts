/**
 * Model faults in the real viewer: onnxruntime's wasm files cannot be loaded by the worker (the
 * server answers 404 for them). The panel must say why, every series must carry the reason, and the
 * viewer keeps showing images.
 */
import { makeSeries } from '../helpers/dicomFactory';
import { openStudy, startViewer, ViewerFixture, viewports, waitForClassification } from './viewerFixture';

jest.setTimeout(300000);

describe('onnxruntime wasm that cannot load in the worker', () => {
  let viewer: ViewerFixture;
  const refused: string[] = [];

  beforeAll(async () => {
    viewer = await startViewer();
    await viewer.context.route(/\/body-region\/ort-wasm[^/]*$/, (route) => {
      refused.push(new URL(route.request().url()).pathname);
      return route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' });
    });
  }, 120000);

  afterAll(async () => {
    await viewer?.close();
  });

  it('says why in the panel and on every series; the images are still shown', async () => {
    const ct = await makeSeries({ slices: 6, rows: 64, columns: 64 });
    const mr = await makeSeries({
      studyInstanceUID: ct.studyInstanceUID,
      seriesNumber: 2,
      modality: 'MR',
      slices: 4,
      rows: 64,
      columns: 64,
    });
    await viewer.archive.store([...ct.files, ...mr.files]);
    await openStudy(viewer, ct.studyInstanceUID);
    const state = await waitForClassification(viewer.page, 90000);
    // The wasm was really asked for (and refused): the failure is the one this test is about.
    expect(refused.some((p) => /ort-wasm-simd-threaded\.(mjs|wasm)$/.test(p))).toBe(true);
    process.stderr.write(`[e2e] model error shown: ${state.modelError}\n`);
    expect(state.modelError).toMatch(/ort-wasm-simd-threaded|wasm|backend/i);
    expect(state.series).toHaveLength(2);
    for (const s of state.series)
      expect([s.status, s.error?.code, s.error?.message]).toEqual(['error', 'model-unavailable', state.modelError]);
    expect(await viewer.page.locator('[data-testid="br-model-error"]').textContent()).toMatch(/wasm|backend/i);
    const grid = await viewports(viewer.page);
    expect(grid.some((v) => v.imageCount > 0 && v.imageId)).toBe(true);
  });

  it('classifies on a re-run once the wasm can be loaded again (a fresh worker, not the failed one)', async () => {
    await viewer.context.unroute(/\/body-region\/ort-wasm[^/]*$/);
    await viewer.page.evaluate(() =>
      (window as unknown as { commandsManager: { runCommand(name: string): unknown } }).commandsManager.runCommand('bodyRegion.rerun'),
    );
    await viewer.page.waitForFunction(
      () =>
        (
          window as unknown as { services: { bodyRegionService: { getState(): { modelError: string | null } } } }
        ).services.bodyRegionService.getState().modelError == null,
      undefined,
      { timeout: 30000 },
    );
    const state = await waitForClassification(viewer.page, 90000);
    expect(state.modelError ?? null).toBeNull();
    expect(state.series.map((s) => [s.status, s.error ?? null])).toEqual([
      ['done', null],
      ['done', null],
    ]);
  });
});
