/**
 * The DICOMweb client under faults, through a loopback proxy in front of a real Orthanc: retries
 * with backoff on 503, resets and timeouts; no retry on 4xx; cancellation; authorization headers
 * (static and from a function) on every request; malformed multipart answers become errors.
 */
import { installXhrPolyfill } from '../../extension/src/cli/xhrPolyfill';
import { DicomWebArchive } from '../../extension/src/engine/fetch/dicomWebArchive';
import { DicomWebPixelSource } from '../../extension/src/engine/fetch/DicomWebPixelSource';
import { metadataToFrames } from '../../extension/src/engine/fetch/metadataToFrames';
import { AbortError, HttpError, TimeoutError } from '../../extension/src/engine/fetch/retry';
import type { FrameMeta } from '../../extension/src/engine/types';
import { BuiltSeries, makeSeries } from '../helpers/dicomFactory';
import { FaultProxy, startFaultProxy } from '../helpers/faultProxy';
import { useArchive } from '../helpers/orthancFixture';

installXhrPolyfill();
const archive = useArchive();
let series: BuiltSeries;
let proxy: FaultProxy;
let frames: FrameMeta[];

const isFrame = (url?: string) => Boolean(url?.includes('/frames/'));

beforeAll(async () => {
  series = await makeSeries({ slices: 4, rows: 32, columns: 32 });
  await archive().store(series.files);
  proxy = await startFaultProxy(archive().orthanc.url);
  const direct = new DicomWebArchive({ url: archive().dicomWebUrl });
  frames = metadataToFrames(await direct.retrieveSeriesMetadata(series.studyInstanceUID, series.seriesInstanceUID));
}, 120000);

afterAll(async () => {
  await proxy?.stop();
});

beforeEach(() => {
  proxy.requests.length = 0;
  proxy.plan = () => ({ kind: 'forward' });
});

const client = (extra: Partial<ConstructorParameters<typeof DicomWebArchive>[0]> = {}) =>
  new DicomWebArchive({ url: `${proxy.url}/dicom-web`, backoffMs: 20, timeoutMs: 2000, ...extra });

it('retries a frame after two 503 answers and then returns the right pixels', async () => {
  let failures = 0;
  proxy.plan = (req) => (isFrame(req.url) && failures++ < 2 ? { kind: 'status', status: 503 } : { kind: 'forward' });
  const notices: string[] = [];
  const c = client({ onRetry: (n) => notices.push(`${n.what}:${n.attempt}:${n.reason}`) });
  const frame = await new DicomWebPixelSource(c).getPixels(frames[0]);
  const source = series.instances.find((i) => i.sopInstanceUID === frames[0].sopInstanceUID)!;
  expect(Array.from(frame.data)).toEqual(source.stored);
  expect(proxy.requests.filter((r) => isFrame(r.path)).map((r) => r.fault)).toEqual(['status', 'status', 'forward']);
  expect(notices).toEqual(['frame:1:HTTP 503', 'frame:2:HTTP 503']);
  expect(c.stats.retries).toBe(2);
});

it('retries metadata after a connection reset', async () => {
  let resets = 0;
  proxy.plan = (req) => (req.url?.endsWith('/metadata') && resets++ < 1 ? { kind: 'reset' } : { kind: 'forward' });
  const metadata = await client().retrieveSeriesMetadata(series.studyInstanceUID, series.seriesInstanceUID);
  expect(metadata).toHaveLength(4);
  expect(proxy.requests.map((r) => r.fault)).toEqual(['reset', 'forward']);
});

it('times out a hanging request, retries, and gives up with TimeoutError after the last retry', async () => {
  proxy.plan = () => ({ kind: 'hang' });
  const t0 = Date.now();
  await expect(client({ timeoutMs: 300, retries: 2 }).searchStudies()).rejects.toBeInstanceOf(TimeoutError);
  expect(proxy.requests).toHaveLength(3);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
});

it('does not retry a 404', async () => {
  proxy.plan = () => ({ kind: 'status', status: 404 });
  await expect(client().searchSeries(series.studyInstanceUID)).rejects.toMatchObject({ status: 404 });
  expect(proxy.requests).toHaveLength(1);
});

it('gives up after the configured retries on persistent 503 with an HttpError', async () => {
  proxy.plan = () => ({ kind: 'status', status: 503 });
  const error = await client({ retries: 3 })
    .retrieveSeriesMetadata(series.studyInstanceUID, series.seriesInstanceUID)
    .catch((e) => e);
  expect(error).toBeInstanceOf(HttpError);
  expect(error.status).toBe(503);
  expect(proxy.requests).toHaveLength(4);
});

it('turns a malformed multipart answer into an error instead of crashing', async () => {
  proxy.plan = (req) => (isFrame(req.url) ? { kind: 'malformed' } : { kind: 'forward' });
  await expect(new DicomWebPixelSource(client({ retries: 0 })).getPixels(frames[0])).rejects.toThrow(/malformed|multipart/);
});

it('cancels: an abort stops waiting requests and the ones in flight', async () => {
  proxy.plan = (req) => (isFrame(req.url) ? { kind: 'delay', ms: 1500 } : { kind: 'forward' });
  const controller = new AbortController();
  const pixels = new DicomWebPixelSource(client({ concurrency: 2, timeoutMs: 5000 }));
  const t0 = Date.now();
  const pending = Promise.allSettled(frames.map((f) => pixels.getPixels(f, controller.signal)));
  setTimeout(() => controller.abort(), 100);
  const outcomes = await pending;
  expect(Date.now() - t0).toBeLessThan(1000);
  expect(outcomes.every((o) => o.status === 'rejected' && o.reason instanceof AbortError)).toBe(true);
  // Only the two allowed by the concurrency limit ever reached the archive.
  expect(proxy.requests.filter((r) => isFrame(r.path)).length).toBeLessThanOrEqual(2);
});

it('keeps at most `concurrency` requests in flight', async () => {
  let inFlight = 0;
  let peak = 0;
  proxy.plan = (req) => {
    if (!isFrame(req.url)) return { kind: 'forward' };
    inFlight++;
    peak = Math.max(peak, inFlight);
    // Counted as in flight while the proxy holds it back.
    setTimeout(() => inFlight--, 80);
    return { kind: 'delay', ms: 80 };
  };
  const pixels = new DicomWebPixelSource(client({ concurrency: 2 }));
  await Promise.all([...frames, ...frames].map((f) => pixels.getPixels(f)));
  expect(peak).toBeLessThanOrEqual(2);
  expect(peak).toBeGreaterThanOrEqual(1);
});

it('sends static and function-supplied authorization headers on every request', async () => {
  await client({ headers: { Authorization: 'Bearer static' } }).searchSeries(series.studyInstanceUID);
  let n = 0;
  const dynamic = client({ headers: async () => ({ Authorization: `Bearer token-${++n}` }) });
  await dynamic.searchStudies();
  await new DicomWebPixelSource(dynamic).getPixels(frames[0]);
  expect(proxy.requests.map((r) => r.headers.authorization)).toEqual(['Bearer static', 'Bearer token-1', 'Bearer token-2']);
});
