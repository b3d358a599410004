/**
 * QIDO-RS paging against a real Orthanc behind a proxy that caps every page at 4 matches whatever
 * `limit` is asked (Orthanc's own LimitFindResults caps the whole answer instead: with it no
 * offset reaches the rest, so it cannot stand for a page cap). One paging function serves
 * `classify --all` and `queue enqueue`; here it must find every study and every series of a study
 * with more series than a page, and end on an archive that ignores `offset`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DicomWebArchive } from '../../extension/src/engine/fetch/dicomWebArchive';
import { listSeriesOfStudy, listStudyUids } from '../../extension/src/cli/archiveListing';
import { installXhrPolyfill } from '../../extension/src/cli/xhrPolyfill';
import { makeSeries, newUid } from '../helpers/dicomFactory';
import { capQidoPages, startFaultProxy, type FaultProxy } from '../helpers/faultProxy';
import { useArchive } from '../helpers/orthancFixture';
import { runCli } from '../helpers/runCli';
import { buildTinyModelDir, type TinyModelDir } from '../helpers/tinyModel';

const CAP = 4;
const archive = useArchive();
let proxy: FaultProxy;
let tiny: TinyModelDir;
let work: string;
const studies: string[] = [];
const series: string[] = [];
const bigStudy = newUid();
const bigStudySeries: string[] = [];

beforeAll(async () => {
  installXhrPolyfill();
  tiny = buildTinyModelDir(20, 16, 0, 2000);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'qido-paging-'));
  const files: Uint8Array[] = [];
  for (let i = 0; i < 14; i++) {
    const s = await makeSeries({ studyInstanceUID: newUid(), slices: 2, rows: 16, columns: 16 });
    studies.push(s.studyInstanceUID);
    series.push(s.seriesInstanceUID);
    files.push(...s.files);
  }
  studies.push(bigStudy);
  for (let i = 0; i < 9; i++) {
    const s = await makeSeries({ studyInstanceUID: bigStudy, seriesNumber: i + 1, slices: 2, rows: 16, columns: 16 });
    bigStudySeries.push(s.seriesInstanceUID);
    series.push(s.seriesInstanceUID);
    files.push(...s.files);
  }
  await archive().store(files);
  proxy = await startFaultProxy(archive().orthanc.url);
  proxy.plan = capQidoPages(CAP);
}, 120000);

afterAll(async () => {
  await proxy?.stop();
  for (const dir of [work, tiny?.dir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the proxy really caps pages: limit=200 gives 4 studies', async () => {
  const res = await fetch(`${proxy.url}/dicom-web/studies?limit=200`);
  expect(((await res.json()) as unknown[]).length).toBe(CAP);
});

test('every study and every series of a study larger than a page are listed, each once', async () => {
  const dicomWeb = new DicomWebArchive({ url: `${proxy.url}/dicom-web` });
  const listed = await listStudyUids(dicomWeb, { all: true }, undefined, 200);
  expect(listed.length).toBe(studies.length);
  expect(new Set(listed)).toEqual(new Set(studies));
  const ofBig = await listSeriesOfStudy(dicomWeb, bigStudy, undefined, 200);
  expect(ofBig.map((s) => s.seriesInstanceUID).sort()).toEqual([...bigStudySeries].sort());
  expect(ofBig.every((s) => s.modality === 'CT' && s.studyInstanceUID === bigStudy)).toBe(true);
});

test('--since pages through the studies of that day and later (QIDO StudyDate range)', async () => {
  const dicomWeb = new DicomWebArchive({ url: `${proxy.url}/dicom-web` });
  // The factory dates every study 2026-01-01.
  expect(new Set(await listStudyUids(dicomWeb, { since: '20260101' }))).toEqual(new Set(studies));
  expect(await listStudyUids(dicomWeb, { since: '20260102' })).toEqual([]);
});

test('classify --all through the capping archive classifies every series (it used to stop at the first short page)', async () => {
  const out = path.join(work, 'all.jsonl');
  const { code, stderr } = await runCli(['classify', '--url', `${proxy.url}/dicom-web`, '--all', '--model', tiny.dir, '--out', out, '-q']);
  expect({ code, errors: stderr.split('\n').filter((l) => l.startsWith('body-region:')) }).toEqual({ code: 0, errors: [] });
  const lines = fs
    .readFileSync(out, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const uids = lines.filter((l) => l.schema === 'body-region-result/1').map((l) => l.seriesInstanceUID);
  expect(uids.length).toBe(series.length);
  expect(new Set(uids)).toEqual(new Set(series));
});

test('an archive that ignores offset (same page again) ends the paging instead of looping', async () => {
  proxy.plan = (req) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    if (!url.pathname.endsWith('/studies')) return { kind: 'forward' };
    url.searchParams.delete('offset');
    url.searchParams.set('limit', String(CAP));
    return { kind: 'rewrite', path: `${url.pathname}${url.search}` };
  };
  try {
    const before = proxy.requests.length;
    const listed = await listStudyUids(new DicomWebArchive({ url: `${proxy.url}/dicom-web` }), { all: true });
    expect(listed.length).toBe(CAP);
    expect(proxy.requests.length - before).toBe(2);
  } finally {
    proxy.plan = capQidoPages(CAP);
  }
});
