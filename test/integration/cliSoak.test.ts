/**
 * Soak: `body-region classify --all` over every series of a real Orthanc holding several studies,
 * good series mixed with bad ones (an archive that refuses a series' pixels, metadata that never
 * comes, a series where some frames fail, non-image series). The run completes, every series has
 * exactly one valid result line, the good ones are classified, each bad one is named on stderr
 * with its reason, and the exit code is 2 (some series failed).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../extension/src/cli/main';
import { ExitCode } from '../../extension/src/cli/exitCodes';
import { validateSeriesResult } from '../../extension/src/engine/results/schema';
import { makeSeries, makeStructuredReport, newUid, type BuiltSeries } from '../helpers/dicomFactory';
import { startFaultProxy, type FaultProxy } from '../helpers/faultProxy';
import { useArchive } from '../helpers/orthancFixture';
import { buildTinyModelDir, huForLabel, REPO, type TinyModelDir } from '../helpers/tinyModel';

const LABELS: string[] = JSON.parse(fs.readFileSync(path.join(REPO, 'models/labels.json'), 'utf8')).labels.map(
  (l: { name: string }) => l.name,
);
const hu = (label: string) => huForLabel(LABELS.indexOf(label));

const archive = useArchive();
let tiny: TinyModelDir;
let work: string;
let proxy: FaultProxy;

interface Expected {
  seriesInstanceUID: string;
  studyInstanceUID: string;
  /** null: classified, with these regions; else the error code and a pattern for its message */
  regions?: string[];
  error?: { code: string; message: RegExp };
  /** images that fail (series still classified) */
  framesFailed?: number;
}
const expected: Expected[] = [];
const studies = [newUid(), newUid(), newUid()];
let refusedPixels: BuiltSeries;
let hangingMetadata: BuiltSeries;
let someFramesFail: BuiltSeries;

beforeAll(async () => {
  tiny = buildTinyModelDir(20, 16, 0, 2000);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-soak-'));
  const files: Uint8Array[] = [];
  const regionsPerStudy = [
    ['HEAD', 'NECK', 'CHEST'],
    ['CHEST', 'ABDOMEN', 'PELVIS'],
    ['PELVIS', 'THIGH', 'KNEE'],
  ];
  for (const [s, studyInstanceUID] of studies.entries()) {
    for (const [i, region] of regionsPerStudy[s].entries()) {
      const series = await makeSeries({
        studyInstanceUID,
        seriesNumber: i + 1,
        slices: 4 + i,
        rows: 24,
        columns: 24,
        modality: i === 2 ? 'MR' : 'CT',
        pixel: () => hu(region),
      });
      files.push(...series.files);
      // The tiny model reads HU; an MR image has no HU, so only CT regions are predictable.
      expected.push({ seriesInstanceUID: series.seriesInstanceUID, studyInstanceUID, regions: i === 2 ? undefined : [region] });
    }
    const sr = makeStructuredReport(studyInstanceUID);
    files.push(sr.bytes);
    expected.push({ seriesInstanceUID: sr.seriesInstanceUID, studyInstanceUID, error: { code: 'not-an-image', message: /no images/ } });
  }
  refusedPixels = await makeSeries({
    studyInstanceUID: studies[0],
    seriesNumber: 10,
    slices: 4,
    rows: 24,
    columns: 24,
    pixel: () => hu('CHEST'),
  });
  hangingMetadata = await makeSeries({
    studyInstanceUID: studies[1],
    seriesNumber: 11,
    slices: 4,
    rows: 24,
    columns: 24,
    pixel: () => hu('CHEST'),
  });
  someFramesFail = await makeSeries({
    studyInstanceUID: studies[2],
    seriesNumber: 12,
    slices: 6,
    rows: 24,
    columns: 24,
    pixel: () => hu('ABDOMEN'),
  });
  files.push(...refusedPixels.files, ...hangingMetadata.files, ...someFramesFail.files);
  expected.push(
    {
      seriesInstanceUID: refusedPixels.seriesInstanceUID,
      studyInstanceUID: studies[0],
      error: { code: 'all-frames-failed', message: /no image could be classified: fetch failed: .*500/ },
    },
    {
      seriesInstanceUID: hangingMetadata.seriesInstanceUID,
      studyInstanceUID: studies[1],
      error: { code: 'no-frames', message: /series metadata could not be fetched: no answer within 1500 ms/ },
    },
    { seriesInstanceUID: someFramesFail.seriesInstanceUID, studyInstanceUID: studies[2], regions: ['ABDOMEN'], framesFailed: 2 },
  );
  await archive().store(files);

  proxy = await startFaultProxy(archive().orthanc.url);
  const failingInstances = new Set(someFramesFail.instances.slice(0, 2).map((i) => i.sopInstanceUID));
  proxy.plan = (req) => {
    const url = req.url ?? '';
    if (url.includes(refusedPixels.seriesInstanceUID) && !url.endsWith('/metadata')) return { kind: 'status', status: 500 };
    if (url.includes(hangingMetadata.seriesInstanceUID) && url.endsWith('/metadata')) return { kind: 'hang' };
    if ([...failingInstances].some((uid) => url.includes(`/instances/${uid}`))) return { kind: 'status', status: 404 };
    return { kind: 'forward' };
  };
}, 180000);

afterAll(async () => {
  await proxy?.stop();
  for (const dir of [work, tiny?.dir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('classify --all over a mixed archive completes: every series reported once, failures named with reasons, exit 2', async () => {
  const out = path.join(work, 'soak.jsonl');
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (chunks.push(String(c)), true));
  const t0 = Date.now();
  let code: number;
  try {
    code = await main([
      'classify',
      '--url',
      `${proxy.url}/dicom-web`,
      '--all',
      '--model',
      tiny.dir,
      '--out',
      out,
      '--timeout',
      '1500',
      '--retries',
      '1',
    ]);
  } finally {
    spy.mockRestore();
  }
  const stderr = chunks.join('');
  const seconds = (Date.now() - t0) / 1000;

  // Every series Orthanc holds is in the expectations (so --all really covers the archive).
  const inArchive: string[] = await (
    await fetch(`${archive().orthanc.url}/series?expand`)
  )
    .json()
    .then((all: Array<{ MainDicomTags: { SeriesInstanceUID: string } }>) => all.map((s) => s.MainDicomTags.SeriesInstanceUID));
  expect(new Set(inArchive)).toEqual(new Set(expected.map((e) => e.seriesInstanceUID)));

  const lines = fs
    .readFileSync(out, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const results = lines.filter((l) => l.schema === 'body-region-result/1');
  const problems: string[] = [];
  for (const e of expected) {
    const mine = results.filter((r) => r.seriesInstanceUID === e.seriesInstanceUID);
    if (mine.length !== 1) {
      problems.push(`${e.seriesInstanceUID}: ${mine.length} result lines`);
      continue;
    }
    const r = mine[0];
    const invalid = validateSeriesResult(r);
    if (invalid.length) problems.push(`${e.seriesInstanceUID}: invalid (${invalid[0]})`);
    if (r.studyInstanceUID !== e.studyInstanceUID) problems.push(`${e.seriesInstanceUID}: study ${r.studyInstanceUID}`);
    if (e.error) {
      if (r.error?.code !== e.error.code || !e.error.message.test(r.error?.message ?? ''))
        problems.push(`${e.seriesInstanceUID}: expected ${e.error.code} ${e.error.message}, got ${JSON.stringify(r.error)}`);
      const named = stderr.includes(`series ${e.seriesInstanceUID} failed: ${e.error.code}: `);
      // Non-image series are reported in the results but are not failures of the run.
      if (named !== (e.error.code !== 'not-an-image')) problems.push(`${e.seriesInstanceUID}: named on stderr as failed: ${named}`);
    } else {
      if (r.error !== null) problems.push(`${e.seriesInstanceUID}: unexpected error ${JSON.stringify(r.error)}`);
      if (e.regions && JSON.stringify(r.regions) !== JSON.stringify(e.regions))
        problems.push(`${e.seriesInstanceUID}: regions ${r.regions}, expected ${e.regions}`);
      if ((r.timing?.framesFailed ?? 0) !== (e.framesFailed ?? 0))
        problems.push(`${e.seriesInstanceUID}: framesFailed ${r.timing?.framesFailed}`);
    }
  }
  expect(problems).toEqual([]);
  expect(code).toBe(ExitCode.SomeSeriesFailed);
  // One study summary per study, each counting its failed series.
  const summaries = lines.filter((l) => l.schema === 'body-region-study/1');
  expect(summaries.map((s) => s.studyInstanceUID).sort()).toEqual([...studies].sort());
  expect(stderr).toMatch(/done: 15 series in .* 2 failed/);
  // A hang is bounded by --timeout × (retries + 1), not by the soak's patience.
  expect(seconds).toBeLessThan(60);
}, 120000);
