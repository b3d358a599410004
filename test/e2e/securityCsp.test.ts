/**
 * The bundles under a strict Content-Security-Policy in the real viewer. `npm start`'s server sends
 * no CSP, so the test adds one to the viewer page and to our worker script (a worker's CSP comes
 * with its own script response): no 'unsafe-eval' — only 'wasm-unsafe-eval', which onnxruntime-web
 * needs to compile its WebAssembly. The study must still be classified in the worker, and no CSP
 * violation may be reported.
 */
import { makeSeries } from '../helpers/dicomFactory';
import { openStudy, startViewer, until, ViewerFixture, waitForClassification } from './viewerFixture';

jest.setTimeout(300000);

const CSP = [
  "default-src 'self'",
  // 'unsafe-inline' for the viewer's own index.html; never 'unsafe-eval'.
  "script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' data: blob:",
].join('; ');

describe('strict CSP (no unsafe-eval)', () => {
  let viewer: ViewerFixture;
  const violations: string[] = [];
  const protectedResponses: string[] = [];

  beforeAll(async () => {
    viewer = await startViewer();
    // The page document and our worker script get the policy.
    await viewer.context.route(/\/(body-region\?|body-region\/body-region-worker\.js)/, async (route) => {
      const response = await route.fetch();
      protectedResponses.push(new URL(route.request().url()).pathname);
      await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': CSP } });
    });
    const onConsole = (text: string) => {
      if (/Content Security Policy|Refused to (evaluate|execute|load|compile|create)|EvalError/i.test(text))
        violations.push(text.slice(0, 300));
    };
    viewer.page.on('console', (m) => onConsole(m.text()));
    viewer.page.on('pageerror', (e) => onConsole(e.message));
    viewer.page.on('worker', (w) => w.on('console', (m) => onConsole(`[worker] ${m.text()}`)));
    await viewer.page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`),
      );
    });
  }, 120000);

  afterAll(async () => {
    await viewer?.close();
  });

  it('classifies a study in the worker with the policy in force and no violation', async () => {
    const ct = await makeSeries({ slices: 10, rows: 64, columns: 64, seriesDescription: 'csp CT' });
    await viewer.archive.store(ct.files);
    await openStudy(viewer, ct.studyInstanceUID);
    const state = await waitForClassification(viewer.page, 120000);
    expect(state.modelError).toBeNull();
    expect(state.series.map((s) => [s.status, s.error])).toEqual([['done', null]]);
    // The policy really applied to the page and to the worker script.
    expect(protectedResponses.some((p) => p === '/body-region')).toBe(true);
    expect(protectedResponses).toContain('/body-region/body-region-worker.js');
    expect(violations).toEqual([]);

    // The policy is enforced, not just sent: code from a string (a string setTimeout, which runs
    // in the page's or worker's own context) is refused in the page and in our worker.
    const probe = `globalThis.__cspProbe = 'ran'`;
    await viewer.page.evaluate((code) => void setTimeout(code as unknown as () => void, 0), probe);
    const worker = viewer.page.workers().find((w) => w.url().endsWith('/body-region-worker.js'));
    expect(worker).toBeDefined();
    await worker!.evaluate((code) => void setTimeout(code as unknown as () => void, 0), probe);
    // Timers of equal delay run in order: once a later one has fired, the probe ran or was refused.
    await viewer.page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
    await worker!.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
    expect(await viewer.page.evaluate(() => (globalThis as { __cspProbe?: string }).__cspProbe ?? 'refused')).toBe('refused');
    expect(await worker!.evaluate(() => (globalThis as { __cspProbe?: string }).__cspProbe ?? 'refused')).toBe('refused');
    await until('the refusal to be reported', async () => violations.length > 0);
  });
});
