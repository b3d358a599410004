/**
 * The viewer's SR runner (extension/src/ohif/services/archiveSrRunner.ts) against a real Orthanc,
 * outside the browser: computed → "Save to archive" → read back without the inner runner; a
 * refusing archive (403 / 503 to STOW) gives a clear message and the results stay; idempotent.
 */
import * as fs from 'fs';
import { DicomWebArchive } from '../../extension/src/engine/fetch/dicomWebArchive';
import { loadModelFromDir } from '../../extension/src/engine/infer/loadModelNode';
import { installXhrPolyfill } from '../../extension/src/cli/xhrPolyfill';
import { algorithmIdentityOf } from '../../extension/src/cli/archiveSrs';
import { ArchiveSrRunner } from '../../extension/src/ohif/services/archiveSrRunner';
import { ResultSources } from '../../extension/src/ohif/services/resultSources';
import type { ClassificationRunner, SeriesJob } from '../../extension/src/ohif/services/jobs';
import type { SeriesResult } from '../../extension/src/engine/results/schema';
import { newUid } from '../helpers/dicomFactory';
import { expectValidSr } from '../helpers/dciodvfy';
import { findStudySrs } from '../../extension/src/engine/report/findSrs';
import { startFaultProxy, type FaultProxy } from '../helpers/faultProxy';
import { useArchive } from '../helpers/orthancFixture';
import { classifyFiles, labelledSeries, type ClassifiedFiles } from '../helpers/srFixtures';
import { buildTinyModelDir, type TinyModelDir } from '../helpers/tinyModel';

const archive = useArchive();
let tiny: TinyModelDir;
let proxy: FaultProxy;
const studyInstanceUID = newUid();
let classified: ClassifiedFiles;
let job: SeriesJob;

/** Stands in for cache + worker: counts how often it was asked. */
class CountingRunner implements ClassificationRunner {
  calls = 0;
  async classify(): Promise<SeriesResult> {
    this.calls++;
    return classified.result;
  }
}

function runnerWith(inner: CountingRunner, sources: ResultSources): ArchiveSrRunner {
  return new ArchiveSrRunner({
    inner,
    archive: () =>
      new DicomWebArchive({ url: `${proxy.url}/dicom-web`, retries: 0, headers: () => ({ Authorization: 'Bearer viewer-token' }) }),
    algorithm: async () => algorithmIdentityOf(tiny.manifest, tiny.dir),
    evidence: () => ({ instances: classified.instances, source: classified.source }),
    sources,
  });
}

beforeAll(async () => {
  installXhrPolyfill();
  tiny = buildTinyModelDir(20, 16, 0, 2000);
  const series = await labelledSeries([['ABDOMEN', 6]], { studyInstanceUID, spacingMm: 20 });
  const model = await loadModelFromDir(tiny.dir);
  classified = await classifyFiles(series, model);
  await model.dispose();
  await archive().store(series.files);
  proxy = await startFaultProxy(archive().orthanc.url);
  job = { studyInstanceUID, seriesInstanceUID: series.seriesInstanceUID, description: 'abdomen', modality: 'CT' };
}, 120000);

afterAll(async () => {
  await proxy?.stop();
  if (tiny) fs.rmSync(tiny.dir, { recursive: true, force: true });
});

const signal = () => new AbortController().signal;

test('a refusing archive: a clear message, the result stays, nothing stored', async () => {
  for (const status of [403, 503]) {
    proxy.plan = (req) => (req.method === 'POST' ? { kind: 'status', status } : { kind: 'forward' });
    const sources = new ResultSources();
    const inner = new CountingRunner();
    const runner = runnerWith(inner, sources);
    const result = await runner.classify(job, () => undefined, signal());
    expect(sources.getSnapshot().series[job.seriesInstanceUID].source).toBe('computed');
    expect(await runner.saveToArchive([result], [job])).toBe(0);
    const save = sources.getSnapshot().save;
    expect(save.status).toBe('error');
    expect(save.message).toMatch(status === 403 ? /refused to store the SR \(HTTP 403/ : /HTTP 503; it may be read-only or unavailable/);
    expect(save.message).toMatch(/The results stay in this browser/);
  }
  proxy.plan = () => ({ kind: 'forward' });
  const posts = proxy.requests.filter((r) => r.method === 'POST');
  expect(posts).toHaveLength(2);
  // The data source's own authorization went with the write.
  expect(posts.every((r) => r.headers.authorization === 'Bearer viewer-token')).toBe(true);
});

test('save, then a new page reads the SR back without classifying; saving again writes nothing', async () => {
  const sources = new ResultSources();
  const inner = new CountingRunner();
  const result = await runnerWith(inner, sources).classify(job, () => undefined, signal());
  expect(await runnerWith(inner, sources).saveToArchive([result], [job])).toBe(1);
  expect(sources.getSnapshot().series[job.seriesInstanceUID]).toMatchObject({ source: 'computed', saved: true });

  const later = new ResultSources();
  const fresh = new CountingRunner();
  const runner = runnerWith(fresh, later);
  const readBack = await runner.classify(job, () => undefined, signal());
  expect(fresh.calls).toBe(0);
  expect(later.getSnapshot().series[job.seriesInstanceUID].source).toBe('archive');
  expect((readBack as unknown as { regions: string[] }).regions).toEqual(['ABDOMEN']);
  const stored = later.getSnapshot().series[job.seriesInstanceUID].srSopInstanceUID!;
  const direct = new DicomWebArchive({ url: archive().dicomWebUrl });
  const [srSeries] = (await findStudySrs(direct, studyInstanceUID)).ours.filter((s) => s.sopInstanceUID === stored);
  expectValidSr(
    new Uint8Array(
      await direct.retrieveInstance({ studyInstanceUID, seriesInstanceUID: srSeries.seriesInstanceUID, sopInstanceUID: stored }),
    ),
  );
  const before = proxy.requests.filter((r) => r.method === 'POST').length;
  // A computed result of the same series and model: the archive already has it.
  const sources2 = new ResultSources();
  sources2.setSeries(job.seriesInstanceUID, { source: 'computed', outdated: [] });
  expect(await runnerWith(new CountingRunner(), sources2).saveToArchive([result], [job])).toBe(0);
  expect(proxy.requests.filter((r) => r.method === 'POST').length).toBe(before);
});

test('a site-adapted result is saved under its adapter, so a viewer without that adapter does not take it as current', async () => {
  const otherStudy = newUid();
  const series = await labelledSeries([['CHEST', 4]], { studyInstanceUID: otherStudy, spacingMm: 20 });
  const model = await loadModelFromDir(tiny.dir);
  const own = await classifyFiles(series, model);
  await model.dispose();
  await archive().store(series.files);
  const adapted = { ...own.result, adapter: { id: 'a'.repeat(16), corrections: 3, series: 1 } };
  const otherJob: SeriesJob = {
    studyInstanceUID: otherStudy,
    seriesInstanceUID: series.seriesInstanceUID,
    description: 'chest',
    modality: 'CT',
  };
  const runner = (inner: CountingRunner, sources: ResultSources) =>
    new ArchiveSrRunner({
      inner,
      archive: () => new DicomWebArchive({ url: archive().dicomWebUrl }),
      algorithm: async () => algorithmIdentityOf(tiny.manifest, tiny.dir),
      evidence: () => ({ instances: own.instances, source: own.source }),
      sources,
    });
  const sources = new ResultSources();
  sources.setSeries(otherJob.seriesInstanceUID, { source: 'computed', outdated: [] });
  expect(await runner(new CountingRunner(), sources).saveToArchive([adapted], [otherJob])).toBe(1);
  const stored = (await findStudySrs(new DicomWebArchive({ url: archive().dicomWebUrl }), otherStudy)).ours;
  expect(stored).toHaveLength(1);
  expect(stored[0].algorithm.adapterSha256).toBe('a'.repeat(16));
  // The plain model on a new page: the SR is not its result, so the series is classified again.
  const fresh = new CountingRunner();
  const later = new ResultSources();
  await runner(fresh, later).classify(otherJob, () => undefined, signal());
  expect(fresh.calls).toBe(1);
  expect(later.getSnapshot().series[otherJob.seriesInstanceUID].source).not.toBe('archive');
});
