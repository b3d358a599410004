/**
 * Soak in the real viewer: open a study, let it be classified, close it (back to the study list),
 * 30 times in one page, the way a reader goes through a worklist (client-side navigation, no
 * reload). The JS heap (after a forced GC) and the number of Web Workers must not keep growing:
 * the average of the last 5 rounds is compared with the first 5, with a generous margin.
 * Later rounds are served by the results cache (IndexedDB), so they also show it working in a
 * real browser: the caching runner in front of the worker counts its hits.
 */
import { makeSeries } from '../helpers/dicomFactory';
import { extensionStats, startViewer, ViewerFixture, waitForClassification } from './viewerFixture';

jest.setTimeout(600000);

const ROUNDS = 30;

interface Round {
  heapMb: number;
  workers: number;
  doneMs: number;
  seriesDone: number;
}

/** Client-side navigation (react-router listens to popstate): what a click in the viewer does. */
async function navigate(viewer: ViewerFixture, url: string): Promise<void> {
  await viewer.page.evaluate((to) => {
    window.history.pushState({}, '', to);
    window.dispatchEvent(new PopStateEvent('popstate', { state: {} }));
  }, url);
}

const average = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('opening and closing a study 30 times in one page', () => {
  let viewer: ViewerFixture;
  const rounds: Round[] = [];
  let studyInstanceUID: string;
  let cacheHits: number | undefined;

  beforeAll(async () => {
    viewer = await startViewer();
    const a = await makeSeries({ slices: 12, rows: 64, columns: 64, seriesDescription: 'soak CT' });
    const b = await makeSeries({
      studyInstanceUID: a.studyInstanceUID,
      seriesNumber: 2,
      modality: 'MR',
      slices: 6,
      rows: 64,
      columns: 64,
      seriesDescription: 'soak MR',
    });
    studyInstanceUID = a.studyInstanceUID;
    await viewer.archive.store([...a.files, ...b.files]);
    await viewer.page.goto(`${viewer.server.url}/`);
    await viewer.page.waitForLoadState('networkidle').catch(() => undefined);

    const cdp = await viewer.context.newCDPSession(viewer.page);
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = Date.now();
      await navigate(viewer, `/body-region?StudyInstanceUIDs=${studyInstanceUID}`);
      await viewer.page.waitForSelector('[data-testid="body-region-panel"]', { timeout: 60000 });
      const state = await waitForClassification(viewer.page, 120000);
      const doneMs = Date.now() - t0;
      await navigate(viewer, '/');
      await viewer.page.waitForSelector('[data-testid="body-region-panel"]', { state: 'detached', timeout: 30000 });
      // The study is closed once the service has let go of it.
      await viewer.page.waitForFunction(
        () => (window as unknown as { services: Record<string, any> }).services.bodyRegionService.getState().series.length === 0,
      );
      await cdp.send('HeapProfiler.collectGarbage');
      const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
      rounds.push({
        heapMb: heap.usedSize / 2 ** 20,
        workers: viewer.page.workers().length,
        doneMs,
        seriesDone: state.series.filter((s) => s.status === 'done').length,
      });
    }
    await cdp.detach();
    cacheHits = (await extensionStats(viewer.page)).cacheHits;
    process.stderr.write(
      `[e2e soak] heap MB per round: ${rounds.map((r) => r.heapMb.toFixed(1)).join(' ')}\n` +
        `[e2e soak] workers per round: ${rounds.map((r) => r.workers).join(' ')}\n` +
        `[e2e soak] open→classified ms per round: ${rounds.map((r) => r.doneMs).join(' ')}\n` +
        `[e2e soak] results cache hits: ${cacheHits}\n`,
    );
  }, 600000);

  afterAll(async () => {
    if (viewer?.errors.length) process.stderr.write(`[e2e soak] page errors:\n${viewer.errors.slice(0, 20).join('\n')}\n`);
    await viewer?.close();
  });

  it('classifies both series every time', () => {
    expect(rounds).toHaveLength(ROUNDS);
    expect(rounds.map((r) => r.seriesDone)).toEqual(rounds.map(() => 2));
  });

  it('does not keep growing the JS heap (last 5 rounds vs first 5, after GC)', () => {
    const first = average(rounds.slice(0, 5).map((r) => r.heapMb));
    const last = average(rounds.slice(-5).map((r) => r.heapMb));
    // Generous: caches warming up are fine; a leak of a study per round (tens of MB) is not.
    expect(last).toBeLessThan(first * 1.3 + 10);
  });

  it('does not keep starting Web Workers', () => {
    const first = Math.max(...rounds.slice(0, 5).map((r) => r.workers));
    const last = Math.max(...rounds.slice(-5).map((r) => r.workers));
    expect(last).toBeLessThanOrEqual(first);
    expect(Math.max(...rounds.map((r) => r.workers))).toBeLessThanOrEqual(4);
  });

  it('reopening is served by the results cache: every series of every round after the first', () => {
    expect(cacheHits).toBe(2 * (ROUNDS - 1));
  });
});
