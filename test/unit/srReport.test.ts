/**
 * Our DICOM SR (extension/src/engine/report): a real classified series → Enhanced SR → dciodvfy
 * (errors and unexpected warnings fail) → read back into the same SeriesResult; other tools' SRs
 * are not ours; the choice between current and outdated SRs.
 */
import * as fs from 'fs';
import { loadModelFromDir } from '../../extension/src/engine/infer/loadModelNode';
import type { BodyRegionModel } from '../../extension/src/engine/infer/BodyRegionModel';
import { buildSrDataset, encodeSr, type EncodeSrInput } from '../../extension/src/engine/report/encodeSr';
import { decodeSr, SrDecodeError, type DecodedSr } from '../../extension/src/engine/report/decodeSr';
import { readPart10Dataset } from '../../extension/src/engine/report/readSrDataset';
import { chooseSr, matchSr } from '../../extension/src/engine/report/matchSr';
import type { AlgorithmIdentity } from '../../extension/src/engine/report/algorithmIdentity';
import { summariseStudy } from '../../extension/src/engine/pipeline';
import { validateSeriesResult, type SeriesResult } from '../../extension/src/engine/results/schema';
import { makeStructuredReport, newUid } from '../helpers/dicomFactory';
import { expectValidSr, dciodvfy } from '../helpers/dciodvfy';
import { buildTinyModelDir, type TinyModelDir } from '../helpers/tinyModel';
import { classifyFiles, labelledSeries, type ClassifiedFiles } from '../helpers/srFixtures';

const ALGORITHM: AlgorithmIdentity = {
  modelId: 'tiny-plumbing',
  version: '0.0.0',
  modelSha256: 'ab'.repeat(32),
  preprocessing: 'br-pre-1',
  adapterSha256: null,
};

let tiny: TinyModelDir;
let model: BodyRegionModel;
let cap: ClassifiedFiles;
let headNeck: ClassifiedFiles;

beforeAll(async () => {
  tiny = buildTinyModelDir(20, 16, 0, 2000);
  model = await loadModelFromDir(tiny.dir);
  const studyInstanceUID = newUid();
  cap = await classifyFiles(
    await labelledSeries(
      [
        ['PELVIS', 8],
        ['ABDOMEN', 9],
        ['CHEST', 10],
      ],
      { studyInstanceUID, bodyPartExamined: 'HEAD', reverseInstanceNumbers: true, spacingMm: 20 },
    ),
    model,
  );
  headNeck = await classifyFiles(
    await labelledSeries(
      [
        ['NECK', 6],
        ['HEAD', 8],
      ],
      { studyInstanceUID, seriesNumber: 2, modality: 'MR', omit: [3] },
    ),
    model,
  );
}, 120000);

afterAll(async () => {
  await model?.dispose();
  if (tiny) fs.rmSync(tiny.dir, { recursive: true, force: true });
});

const input = (c: ClassifiedFiles, extra: Partial<EncodeSrInput> = {}): EncodeSrInput => ({ ...c, algorithm: ALGORITHM, ...extra });
const roundTrip = (i: EncodeSrInput): { bytes: Uint8Array; decoded: DecodedSr } => {
  const bytes = encodeSr(i);
  const decoded = decodeSr(readPart10Dataset(bytes));
  if (!decoded) throw new Error('our SR was not recognised');
  return { bytes, decoded };
};
/** What an SR keeps of a result: everything but per-image data and timings. */
const kept = (r: SeriesResult) => ({
  ...r,
  segments: r.segments.map((s) => ({ ...s, confidence: Number(s.confidence.toFixed(4)) })),
  images: [],
  timing: { framesTotal: r.timing.framesTotal, framesClassified: r.timing.framesClassified, framesFailed: r.timing.framesFailed },
});

describe('encode → dciodvfy → decode', () => {
  test('a chest-abdomen-pelvis CT with a wrong BodyPartExamined, QC flags and the study term', () => {
    expect(cap.result.regions).toEqual(['CHEST', 'ABDOMEN', 'PELVIS']);
    expect(cap.result.summary!.tags.bodyPartExamined.status).toBe('disagree');
    const study = summariseStudy([cap.result, headNeck.result]);
    const { bytes, decoded } = roundTrip(input(cap, { studyAnnexL: study.annexL }));
    expectValidSr(bytes);
    expect(validateSeriesResult(decoded.result)).toEqual([]);
    expect(kept(decoded.result)).toEqual({ ...kept(cap.result), timing: kept(cap.result).timing });
    expect(decoded.result.summary!.annexL!.term).toBe('CHESTABDPELVIS');
    expect(decoded.result.summary!.qc.map((q) => q.code)).toContain('tag-disagreement');
    expect(decoded.studyAnnexL).toEqual(study.annexL);
    expect(decoded.algorithm).toEqual(ALGORITHM);
    expect(decoded.referencedInstances).toEqual(cap.instances.map((i) => i.sopInstanceUID).sort());
  });

  test('an MR series with a gap, a site adapter and fast mode', () => {
    const algorithm = { ...ALGORITHM, adapterSha256: 'cd'.repeat(32) };
    const fast = { ...headNeck, result: { ...headNeck.result, mode: 'fast' as const } };
    const { bytes, decoded } = roundTrip(input(fast, { algorithm }));
    expectValidSr(bytes);
    expect(decoded.algorithm.adapterSha256).toBe('cd'.repeat(32));
    expect(decoded.result.mode).toBe('fast');
    expect(decoded.result.modality).toBe('MR');
    expect(decoded.result.stacks[0].qc.gapsAfter).toEqual(headNeck.result.stacks[0].qc.gapsAfter);
    expect(decoded.result.stacks[0].qc.gapsAfter.length).toBe(1);
    expect(kept(decoded.result)).toEqual(kept(fast.result));
  });

  test('its own new series; patient and study copied; first and last image of each segment referenced', () => {
    const ds = buildSrDataset(input(cap));
    for (const key of ['PatientName', 'PatientID', 'PatientSex', 'StudyDate', 'StudyTime', 'StudyID', 'StudyInstanceUID']) {
      expect([key, ds[key]]).toEqual([key, cap.source[key]]);
    }
    expect(ds.SeriesInstanceUID).not.toBe(cap.result.seriesInstanceUID);
    expect(ds.SOPInstanceUID).not.toBe(buildSrDataset(input(cap)).SOPInstanceUID);
    expect(ds.SeriesDescription).toBe('Body regions');
    expect(ds.Modality).toBe('SR');
    const segments = (ds.ContentSequence as Array<Record<string, any>>).filter(
      (it) => it.ConceptNameCodeSequence[0].CodeValue === 'SEGMENT',
    );
    expect(segments).toHaveLength(3);
    const images = (it: Record<string, any>) =>
      it.ContentSequence.filter((c: Record<string, any>) => c.ValueType === 'IMAGE').map(
        (c: Record<string, any>) => c.ReferencedSOPSequence[0].ReferencedSOPInstanceUID,
      );
    const byUid = new Map(cap.result.images.map((im) => [im.sopInstanceUID, im.sliceIndex]));
    // PELVIS is slices 0..7 in anatomical order (inferior first), whatever the instance numbers say.
    expect(
      images(segments.find((s) => s.ContentSequence[0].ConceptCodeSequence[0].CodeMeaning === 'Pelvis')!).map((u: string) => byUid.get(u)),
    ).toEqual([0, 7]);
  });

  test('dciodvfy is a real check: it reports an SR without its document title', () => {
    const ds = buildSrDataset(input(cap));
    delete ds.ConceptNameCodeSequence;
    const { writePart10 } = jest.requireActual('../../extension/src/engine/report/writePart10');
    const report = dciodvfy(writePart10(ds));
    expect(report.errors.join('\n')).toMatch(/ConceptNameCodeSequence is required for root content item/);
  });

  test("another tool's SR is not ours; ours with a broken algorithm identification throws", () => {
    const other = makeStructuredReport(cap.result.studyInstanceUID);
    expect(decodeSr(readPart10Dataset(other.bytes))).toBeNull();
    const ds = buildSrDataset(input(cap));
    ds.ContentSequence = (ds.ContentSequence as Array<Record<string, any>>).filter(
      (it) => it.ConceptNameCodeSequence[0].CodeValue !== '111003',
    );
    expect(() => decodeSr(ds)).toThrow(SrDecodeError);
  });

  test('a failed series has no SR', () => {
    const failed = { ...cap, result: { ...cap.result, error: { code: 'all-frames-failed' as const, message: 'x' }, summary: null } };
    expect(() => encodeSr(input(failed))).toThrow(/no result to report/);
  });
});

describe('current or outdated', () => {
  const series = () => ({ seriesInstanceUID: cap.result.seriesInstanceUID, instanceUids: cap.instances.map((i) => i.sopInstanceUID) });
  const sr = (algorithm = ALGORITHM, now = new Date()) => roundTrip(input(cap, { algorithm, now })).decoded;

  test('same instances and model: current', () => {
    expect(matchSr(sr(), series(), ALGORITHM)).toEqual({ status: 'current' });
  });
  test('another model sha, another adapter, changed instances: outdated with a reason', () => {
    expect(matchSr(sr({ ...ALGORITHM, modelSha256: 'ef'.repeat(32) }), series(), ALGORITHM)).toMatchObject({
      status: 'outdated',
      reason: expect.stringMatching(/another model/),
    });
    expect(matchSr(sr(), series(), { ...ALGORITHM, adapterSha256: '01'.repeat(32) })).toMatchObject({
      status: 'outdated',
      reason: expect.stringMatching(/adapter/),
    });
    const fewer = { ...series(), instanceUids: series().instanceUids.slice(1) };
    expect(matchSr(sr(), fewer, ALGORITHM)).toMatchObject({
      status: 'outdated',
      reason: expect.stringMatching(/0 instances added, 1 removed/),
    });
    expect(matchSr(sr(), { ...series(), seriesInstanceUID: headNeck.result.seriesInstanceUID }, ALGORITHM)).toEqual({
      status: 'other-series',
    });
  });
  test('chooseSr: the current one, older ones of another model listed as outdated', () => {
    const old = sr({ ...ALGORITHM, modelSha256: 'ef'.repeat(32) }, new Date('2026-01-01T00:00:00Z'));
    const current = sr(ALGORITHM, new Date('2026-02-01T00:00:00Z'));
    const choice = chooseSr([old, current], series(), ALGORITHM);
    expect(choice.current?.sopInstanceUID).toBe(current.sopInstanceUID);
    expect(choice.outdated.map((o) => o.sr.sopInstanceUID)).toEqual([old.sopInstanceUID]);
    expect(chooseSr([old], series(), ALGORITHM).current).toBeNull();
  });
});
