/**
 * Our SRs on a real Orthanc, through the CLI (behind a recording proxy that counts pixel requests
 * and can refuse writes): `classify --stow` writes one valid SR per series (dciodvfy) that reads
 * back into the same result; a re-run asks for no pixels and writes nothing twice; a new model
 * finds the SRs outdated; a refusing archive gives a clear message and exit code 6 with the
 * results still written; other tools' SRs in the study are ignored.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DicomWebArchive } from '../../extension/src/engine/fetch/dicomWebArchive';
import { buildSrDataset } from '../../extension/src/engine/report/encodeSr';
import { decodeSr } from '../../extension/src/engine/report/decodeSr';
import { readPart10Dataset } from '../../extension/src/engine/report/readSrDataset';
import { findStudySrs, findSeriesSr } from '../../extension/src/engine/report/findSrs';
import { algorithmIdentityOf } from '../../extension/src/cli/archiveSrs';
import { writePart10 } from '../../extension/src/engine/report/writePart10';
import { installXhrPolyfill } from '../../extension/src/cli/xhrPolyfill';
import { loadModelFromDir } from '../../extension/src/engine/infer/loadModelNode';
import { makeStructuredReport, newUid, type BuiltSeries } from '../helpers/dicomFactory';
import { startFaultProxy, isPixelRequest, type FaultProxy } from '../helpers/faultProxy';
import { useArchive } from '../helpers/orthancFixture';
import { runCli } from '../helpers/runCli';
import { buildTinyModelDir, type TinyModelDir } from '../helpers/tinyModel';
import { classifyFiles, labelledSeries } from '../helpers/srFixtures';
import { expectValidSr } from '../helpers/dciodvfy';

const archive = useArchive();
let tiny: TinyModelDir;
let otherTiny: TinyModelDir;
let work: string;
let proxy: FaultProxy;
const studyInstanceUID = newUid();
let chest: BuiltSeries;
let abdomen: BuiltSeries;
// kept for debugging a failing run: the UIDs of the other tools' SRs in the study
let _otherToolSrs: string[];

let seen = 0;
/** Requests since the last call: pixel GETs and POSTs (STOW). */
function sinceLastCall(): { pixels: number; posts: number } {
  const fresh = proxy.requests.slice(seen);
  seen = proxy.requests.length;
  return { pixels: fresh.filter(isPixelRequest).length, posts: fresh.filter((r) => r.method === 'POST').length };
}

function seriesResults(file: string): Array<Record<string, any>> {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((l) => l.schema === 'body-region-result/1');
}

const classify = (study: string, out: string, extra: string[] = [], model = tiny.dir) =>
  runCli([
    'classify',
    '--url',
    `${proxy.url}/dicom-web`,
    '--study',
    study,
    '--model',
    model,
    '--out',
    path.join(work, out),
    '--retries',
    '0',
    ...extra,
  ]);

const direct = () => new DicomWebArchive({ url: archive().dicomWebUrl });

beforeAll(async () => {
  installXhrPolyfill();
  tiny = buildTinyModelDir(20, 16, 0, 2000);
  otherTiny = buildTinyModelDir(20, 16, 0, 2500);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sr-archive-'));
  chest = await labelledSeries([['CHEST', 6]], { studyInstanceUID, seriesNumber: 1, spacingMm: 20 });
  abdomen = await labelledSeries([['ABDOMEN', 6]], { studyInstanceUID, seriesNumber: 2, spacingMm: 20 });
  // Other tools' SRs in the same study: a Basic Text SR, and an Enhanced SR with another title.
  const basic = makeStructuredReport(studyInstanceUID);
  const model = await loadModelFromDir(tiny.dir);
  const classified = await classifyFiles(chest, model);
  await model.dispose();
  const foreign = buildSrDataset({ ...classified, algorithm: algorithmIdentityOf(tiny.manifest, tiny.dir) });
  foreign.ConceptNameCodeSequence = [{ CodeValue: '126000', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Imaging Measurement Report' }];
  foreign.SeriesDescription = 'another tool';
  _otherToolSrs = [basic.sopInstanceUID, foreign.SOPInstanceUID as string];
  await archive().store([...chest.files, ...abdomen.files, basic.bytes, writePart10(foreign)]);
  proxy = await startFaultProxy(archive().orthanc.url);
}, 180000);

afterAll(async () => {
  await proxy?.stop();
  for (const dir of [work, tiny?.dir, otherTiny?.dir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('classify --stow and read-back', () => {
  test('--stow writes one valid SR per image series; it reads back into the same result', async () => {
    const { code, stderr } = await classify(studyInstanceUID, 'first.jsonl', ['--stow']);
    expect(stderr).not.toMatch(/warning/);
    expect(code).toBe(0);
    expect(sinceLastCall()).toEqual({ pixels: 12, posts: 2 });
    expect(stderr.match(/SR [\d.]+ stored on the archive/g)).toHaveLength(2);

    const found = await findStudySrs(direct(), studyInstanceUID);
    expect(found.others).toBe(2); // the other tools' SRs, ignored
    expect(found.ours.map((s) => s.referencedSeriesInstanceUID).sort()).toEqual(
      [chest.seriesInstanceUID, abdomen.seriesInstanceUID].sort(),
    );
    const results = seriesResults(path.join(work, 'first.jsonl'));
    for (const sr of found.ours) {
      // The stored file itself passes dciodvfy, and decodes to what the CLI wrote.
      const bytes = new Uint8Array(
        await direct().retrieveInstance({ studyInstanceUID, seriesInstanceUID: sr.seriesInstanceUID, sopInstanceUID: sr.sopInstanceUID }),
      );
      expectValidSr(bytes);
      const fromFile = decodeSr(readPart10Dataset(bytes))!;
      expect(fromFile.result).toEqual(sr.result);
      const line = results.find((r) => r.seriesInstanceUID === sr.referencedSeriesInstanceUID)!;
      expect(sr.result.segments.map((s) => [s.label, s.firstIndex, s.lastIndex])).toEqual(
        line.segments.map((s: any) => [s.label, s.firstIndex, s.lastIndex]),
      );
      expect(sr.result.summary).toEqual({ ...line.summary });
      expect(sr.algorithm).toEqual(algorithmIdentityOf(tiny.manifest, tiny.dir));
    }
    // Each SR names the series' and the study's Annex L terms.
    expect(found.ours.map((s) => [s.result.summary!.annexL?.term, s.studyAnnexL?.term]).sort()).toEqual([
      ['ABDOMEN', 'CHESTABDOMEN'],
      ['CHEST', 'CHESTABDOMEN'],
    ]);
  });

  test('a re-run reads the SRs back: no pixel requests, same regions; --stow again writes nothing', async () => {
    const { code, stderr } = await classify(studyInstanceUID, 'second.jsonl', ['--stow']);
    expect(code).toBe(0);
    expect(sinceLastCall()).toEqual({ pixels: 0, posts: 0 });
    expect(stderr.match(/from the archive SR/g)).toHaveLength(2);
    const regions = (f: string) =>
      Object.fromEntries(
        seriesResults(path.join(work, f))
          .filter((r) => !r.error)
          .map((r) => [r.seriesInstanceUID, r.regions]),
      );
    expect(regions('second.jsonl')).toEqual(regions('first.jsonl'));
    expect(regions('second.jsonl')[chest.seriesInstanceUID]).toEqual(['CHEST']);
  });

  test('--no-read-back classifies again; --stow then finds our SR and does not write it twice', async () => {
    const { code, stderr } = await classify(studyInstanceUID, 'third.jsonl', ['--stow', '--no-read-back']);
    expect(code).toBe(0);
    expect(sinceLastCall()).toEqual({ pixels: 12, posts: 0 });
    expect(stderr.match(/already has our SR/g)).toHaveLength(2);
  });

  test('another model: the SRs are outdated, classified again and (with --stow) written for it; each model then reads its own', async () => {
    const { code, stderr } = await classify(studyInstanceUID, 'other.jsonl', ['--stow'], otherTiny.dir);
    expect(code).toBe(0);
    expect(stderr.match(/is outdated \(written by another model/g)).toHaveLength(2);
    expect(sinceLastCall()).toEqual({ pixels: 12, posts: 2 });
    await classify(studyInstanceUID, 'other2.jsonl', [], otherTiny.dir);
    await classify(studyInstanceUID, 'tiny2.jsonl', []);
    expect(sinceLastCall()).toEqual({ pixels: 0, posts: 0 });
    const choice = await findSeriesSr(
      direct(),
      { studyInstanceUID, seriesInstanceUID: chest.seriesInstanceUID, instanceUids: chest.instances.map((i) => i.sopInstanceUID) },
      algorithmIdentityOf(otherTiny.manifest, otherTiny.dir),
    );
    expect(choice.current).not.toBeNull();
    expect(choice.outdated).toHaveLength(1);
    // Every SR this file wrote passes dciodvfy (the first two were checked above).
    for (const sr of (await findStudySrs(direct(), studyInstanceUID)).ours) {
      expectValidSr(
        new Uint8Array(
          await direct().retrieveInstance({ studyInstanceUID, seriesInstanceUID: sr.seriesInstanceUID, sopInstanceUID: sr.sopInstanceUID }),
        ),
      );
    }
  });

  test('a series that changed (an instance added) makes its SR outdated', async () => {
    const extra = await labelledSeries([['CHEST', 1]], {
      studyInstanceUID,
      seriesInstanceUID: chest.seriesInstanceUID,
      seriesNumber: 1,
      spacingMm: 20,
      mutate: (ds) => void (ds.ImagePositionPatient = [-100, -100, 200]),
    });
    await archive().store(extra.files);
    const { code, stderr } = await classify(studyInstanceUID, 'changed.jsonl', []);
    expect(code).toBe(0);
    expect(stderr).toMatch(/is outdated \(the series changed since the SR was written \(1 instances added, 0 removed\)\)/);
    expect(sinceLastCall().pixels).toBe(7);
  });
});

describe('an archive that refuses to store', () => {
  for (const status of [403, 503]) {
    test(`HTTP ${status} to STOW: a clear message, exit code 6, every result still in the output`, async () => {
      const study = newUid();
      const series = await labelledSeries([['ABDOMEN', 4]], { studyInstanceUID: study, spacingMm: 20 });
      const second = await labelledSeries([['PELVIS', 4]], { studyInstanceUID: study, seriesNumber: 2, spacingMm: 20 });
      await archive().store([...series.files, ...second.files]);
      proxy.plan = (req) => (req.method === 'POST' ? { kind: 'status', status } : { kind: 'forward' });
      try {
        const { code, stderr } = await classify(study, `refused-${status}.jsonl`, ['--stow']);
        expect(code).toBe(6);
        expect(stderr).toMatch(
          status === 403
            ? /refused to store the SR \(HTTP 403: not allowed to write/
            : /failed to store the SR \(HTTP 503; it may be read-only or unavailable\)/,
        );
        expect(stderr).toMatch(/no more SRs are written in this run/);
        expect(sinceLastCall().posts).toBe(1); // stopped after the first refusal (--retries 0)
        expect(
          seriesResults(path.join(work, `refused-${status}.jsonl`))
            .map((r) => r.regions[0])
            .sort(),
        ).toEqual(['ABDOMEN', 'PELVIS']);
        expect((await findStudySrs(direct(), study)).ours).toHaveLength(0);
      } finally {
        proxy.plan = () => ({ kind: 'forward' });
      }
    });
  }
});
