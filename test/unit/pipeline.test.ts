import * as fs from 'fs';
import { loadModelFromDir } from '../../extension/src/engine/infer/loadModelNode';
import type { BodyRegionModel } from '../../extension/src/engine/infer/BodyRegionModel';
import { classifySeries, type SliceClassifier } from '../../extension/src/engine/pipeline';
import { validateSeriesResult } from '../../extension/src/engine/results/schema';
import type { FrameMeta, Progress } from '../../extension/src/engine/types';
import { axialSeries, CORONAL_IOP, makeFrame } from '../helpers/frames';
import { LABEL_NAMES, runs, seededRandom } from '../helpers/synthetic';
import { SyntheticPixelSource } from '../helpers/syntheticPixels';
import { buildTinyModelDir, huForLabel, type TinyModelDir } from '../helpers/tinyModel';

const id = (label: string) => LABEL_NAMES.indexOf(label);

/** An axial series whose slice i shows truth[i] (to the nearest-centre tiny model), archive order shuffled. */
function series(truth: string[], spacing: number, { shuffleSeed = 0, prefix = 'sop' } = {}) {
  const frames = axialSeries(
    truth.map((_, i) => i * spacing),
    prefix,
  );
  const hu = new Map(frames.map((f, i) => [f.sopInstanceUID, huForLabel(id(truth[i]))]));
  if (shuffleSeed) {
    const random = seededRandom(shuffleSeed);
    for (let i = frames.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [frames[i], frames[j]] = [frames[j], frames[i]];
    }
  }
  return { frames, hu };
}

describe('classifySeries', () => {
  let tiny: TinyModelDir;
  let model: BodyRegionModel;
  beforeAll(async () => {
    tiny = buildTinyModelDir(20, 16, 0, 2000);
    model = await loadModelFromDir(tiny.dir);
  });
  afterAll(async () => {
    await model?.dispose();
    fs.rmSync(tiny.dir, { recursive: true, force: true });
  });

  test('exhaustive: a chest-abdomen-pelvis CT in shuffled archive order', async () => {
    const truth = runs([
      ['PELVIS', 30],
      ['ABDOMEN', 35],
      ['CHEST', 50],
    ]);
    const { frames, hu } = series(truth, 5, { shuffleSeed: 3 });
    // One slice the "model" gets badly wrong: a foot in the middle of the chest.
    const spike = frames.find((f) => f.sopInstanceUID === 'sop.90') as FrameMeta;
    hu.set(spike.sopInstanceUID, huForLabel(id('FOOT')));
    const progress: Progress[] = [];
    const pixels = new SyntheticPixelSource(hu);
    const result = await classifySeries({
      frames: frames.map((f) => ({ ...f, bodyPartExamined: 'CHEST', seriesDescription: 'CT CAP' })),
      pixels,
      model,
      batchSize: 8,
      onProgress: (p) => progress.push(p),
    });
    expect(validateSeriesResult(result)).toEqual([]);
    expect(result.error).toBeNull();
    expect(result.model).toEqual({ id: 'tiny-plumbing', version: '0.0.0' });
    expect(result.regions).toEqual(['CHEST', 'ABDOMEN', 'PELVIS']);
    expect(result.segments.map((s) => [s.label, s.firstIndex, s.lastIndex, s.lengthMm])).toEqual([
      ['PELVIS', 0, 29, 150],
      ['ABDOMEN', 30, 64, 175],
      ['CHEST', 65, 114, 250],
    ]);
    expect(result.segments[1].firstSopInstanceUID).toBe('sop.31');
    const spikeImage = result.images.find((im) => im.sopInstanceUID === 'sop.90');
    expect(spikeImage?.label).toBe('FOOT');
    expect(spikeImage?.decodedLabel).toBe('CHEST');
    expect(result.images).toHaveLength(115);
    expect(result.images.every((im) => im.probabilities?.length === 20)).toBe(true);
    expect(result.images[0].probabilities?.every((p) => Math.round(p * 1e4) / 1e4 === p)).toBe(true);
    expect(result.summary?.annexL?.term).toBe('CHESTABDPELVIS');
    expect(result.summary?.tags.bodyPartExamined.status).toBe('partial');
    expect(result.summary?.tags.seriesDescription.status).toBe('agree');
    expect(result.timing).toMatchObject({ framesTotal: 115, framesFetched: 115, framesClassified: 115, framesFailed: 0 });
    expect(pixels.calls).toBe(115);
    expect(progress[progress.length - 1]).toEqual({ seriesInstanceUID: '1.2.3.4', done: 115, total: 115 });
    // Results are plain JSON.
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  test('fast mode fetches a fraction of the frames and matches exhaustive within one slice', async () => {
    const truth = runs([
      ['HEAD', 70],
      ['NECK', 50],
      ['CHEST', 120],
      ['ABDOMEN', 90],
      ['PELVIS', 70],
    ]);
    const { frames, hu } = series(truth, 2.5);
    const exhaustive = await classifySeries({ frames, pixels: new SyntheticPixelSource(hu), model });
    const pixels = new SyntheticPixelSource(hu);
    const fast = await classifySeries({ frames, pixels, model, mode: 'fast' });
    expect(validateSeriesResult(fast)).toEqual([]);
    expect(fast.mode).toBe('fast');
    const ex = exhaustive.images.map((im) => im.decodedLabel);
    const fa = fast.images.map((im) => im.decodedLabel);
    fa.forEach((label, i) => {
      if (label !== ex[i]) expect([ex[i - 1], ex[i + 1]]).toContain(label);
    });
    expect(fast.regions).toEqual(exhaustive.regions);
    expect(fast.timing.framesFetched).toBe(pixels.calls);
    expect(fast.timing.framesFetched).toBeLessThan(0.25 * frames.length);
    expect(fast.images.filter((im) => im.probabilities).length).toBe(fast.timing.framesClassified);
    expect(fast.summary?.annexL).toBeNull(); // HEAD..PELVIS has no Annex L term
  });

  test('frames that fail to fetch are reported; the rest is classified', async () => {
    const { frames, hu } = series(
      runs([
        ['KNEE', 10],
        ['LOWER_LEG', 10],
      ]),
      4,
    );
    const result = await classifySeries({
      frames,
      pixels: new SyntheticPixelSource(hu, { failUids: new Set(['sop.3', 'sop.15']) }),
      model,
    });
    expect(validateSeriesResult(result)).toEqual([]);
    expect(result.error).toBeNull();
    const failed = result.images.filter((im) => im.error);
    expect(failed.map((im) => im.sopInstanceUID)).toEqual(['sop.3', 'sop.15']);
    expect(failed[0].error).toMatch(/fetch failed: HTTP 500/);
    expect(failed[0].label).toBeNull();
    expect(failed[0].decodedLabel).toBe('KNEE'); // from its neighbours
    expect(result.regions).toEqual(['KNEE', 'LOWER_LEG']);
    expect(result.timing.framesFailed).toBe(2);
    expect(result.summary?.qc.map((f) => f.code)).toContain('frames-failed');
  });

  test('all frames failing gives an error, not an exception', async () => {
    const { frames, hu } = series(runs([['HEAD', 5]]), 4);
    const all = new Set(frames.map((f) => f.sopInstanceUID));
    const result = await classifySeries({ frames, pixels: new SyntheticPixelSource(hu, { failUids: all }), model });
    expect(validateSeriesResult(result)).toEqual([]);
    expect(result.error?.code).toBe('all-frames-failed');
    expect(result.error?.message).toMatch(/HTTP 500/);
    expect(result.images).toHaveLength(5);
  });

  test('non-image series: SR by SOP class, images without Rows/Columns, no frames', async () => {
    const sr = makeFrame({ sopInstanceUID: 'sr', modality: 'SR', sopClassUID: '1.2.840.10008.5.1.4.1.1.88.33', rows: 0, columns: 0 });
    const pixels = new SyntheticPixelSource(new Map());
    const r1 = await classifySeries({ frames: [sr], pixels, model });
    expect(r1.error).toEqual({ code: 'not-an-image', message: 'series has no images (SR: Structured Report)' });
    expect(validateSeriesResult(r1)).toEqual([]);
    const pdf = makeFrame({ sopInstanceUID: 'pdf', modality: 'DOC', sopClassUID: '1.2.840.10008.5.1.4.1.1.104.1' });
    expect((await classifySeries({ frames: [pdf], pixels, model })).error?.code).toBe('not-an-image');
    const noSize = makeFrame({ sopInstanceUID: 'x', modality: 'OT', sopClassUID: '1.2.3', rows: 0, columns: 0 });
    expect((await classifySeries({ frames: [noSize], pixels, model })).error?.message).toMatch(/no Rows\/Columns/);
    expect((await classifySeries({ frames: [], pixels, model })).error?.code).toBe('no-frames');
    expect(pixels.calls).toBe(0);
  });

  test.each(['exhaustive', 'fast'] as const)(
    '%s: a scout beside an axial stack is classified on its own; duplicates get their twin’s label',
    async (mode) => {
      const { frames, hu } = series(runs([['ABDOMEN', 12]]), 5);
      const scout = makeFrame({
        sopInstanceUID: 'scout',
        instanceNumber: 0,
        imagePositionPatient: [0, 0, 0],
        imageOrientationPatient: CORONAL_IOP,
      });
      hu.set('scout', huForLabel(id('OTHER')));
      const twin = { ...frames[4], sopInstanceUID: 'twin', instanceNumber: 99 };
      hu.set('twin', huForLabel(id('ABDOMEN')));
      const result = await classifySeries({ frames: [...frames, scout, twin], pixels: new SyntheticPixelSource(hu), model, mode });
      expect(result.mode).toBe(mode);
      expect(validateSeriesResult(result)).toEqual([]);
      expect(result.stacks.map((s) => [s.kind, s.orientation, s.frameCount])).toEqual([
        ['single', 'coronal', 1],
        ['stack', 'axial', 12],
      ]);
      const scoutImage = result.images.find((im) => im.sopInstanceUID === 'scout');
      expect(scoutImage).toMatchObject({ stackIndex: 0, label: 'OTHER', decodedLabel: 'OTHER', positionMm: null });
      const twinImage = result.images.find((im) => im.sopInstanceUID === 'twin');
      expect(twinImage).toMatchObject({ stackIndex: 1, sliceIndex: 4, label: null, decodedLabel: 'ABDOMEN', probabilities: null });
      expect(result.regions).toEqual(['ABDOMEN', 'OTHER']);
      expect(result.summary?.mainRegion).toBe('ABDOMEN');
      expect(result.summary?.annexL?.term).toBe('ABDOMEN');
      expect(result.images).toHaveLength(14);
    },
  );

  test('abort rejects with AbortError and stops fetching', async () => {
    const { frames, hu } = series(runs([['CHEST', 60]]), 5);
    const pixels = new SyntheticPixelSource(hu, { delayMs: 5 });
    const controller = new AbortController();
    const promise = classifySeries({
      frames,
      pixels,
      model,
      batchSize: 4,
      signal: controller.signal,
      onProgress: (p) => p.done >= 8 && controller.abort(),
    });
    await expect(promise).rejects.toMatchObject({ name: 'AbortError' });
    const callsAtAbort = pixels.calls;
    await new Promise((r) => setTimeout(r, 50));
    expect(pixels.calls).toBe(callsAtAbort);
    expect(pixels.calls).toBeLessThan(60);
    const aborted = new AbortController();
    aborted.abort();
    await expect(classifySeries({ frames, pixels, model, signal: aborted.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('validateSeriesResult reports what is wrong, with JSON paths', async () => {
    const { frames, hu } = series(runs([['CHEST', 6]]), 5);
    const good = await classifySeries({ frames, pixels: new SyntheticPixelSource(hu), model });
    expect(validateSeriesResult(good)).toEqual([]);
    const bad = JSON.parse(JSON.stringify(good));
    bad.schema = 'body-region-result/0';
    bad.images[2].probabilities[0] = 1.5;
    bad.segments[0].stackIndex = 7;
    delete bad.timing.totalMs;
    bad.summary = null;
    const problems = validateSeriesResult(bad);
    expect([...new Set(problems.map((p) => p.slice(0, p.indexOf(':'))))]).toEqual([
      '$.schema',
      '$.images[2].probabilities[0]',
      '$.timing.totalMs',
    ]);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\$\.schema: Expected .*body-region-result\/1/),
        expect.stringMatching(/^\$\.images\[2\]\.probabilities\[0\]: Expected number to be less or equal to 1/),
        '$.timing.totalMs: Expected required property',
      ]),
    );
    delete bad.schema;
    bad.schema = 'body-region-result/1';
    bad.images[2].probabilities[0] = 0.5;
    bad.timing.totalMs = 1;
    expect(validateSeriesResult(bad)).toEqual(['$.summary: required when error is null', '$.segments[0].stackIndex: no such stack']);
    expect(validateSeriesResult(null)).toEqual(['$: Expected object']);
  });

  test('a failing model gives a model-error result', async () => {
    const broken: SliceClassifier = {
      manifest: model.manifest,
      labelNames: model.labelNames,
      inputSize: model.inputSize,
      classify: () => Promise.reject(new Error('onnxruntime: session run failed')),
    };
    const { frames, hu } = series(runs([['CHEST', 6]]), 5);
    const result = await classifySeries({ frames, pixels: new SyntheticPixelSource(hu), model: broken });
    expect(result.error?.code).toBe('model-error');
    expect(validateSeriesResult(result)).toEqual([]);
  });
});
