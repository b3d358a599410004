import * as fs from 'fs';
import { execFileSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { loadModelFromDir, readHead, readManifest } from '../../extension/src/engine/infer/loadModelNode';
import type { BodyRegionModel } from '../../extension/src/engine/infer/BodyRegionModel';
import { parseManifest, parseReplay, serialiseReplay, type LinearHead, type ReplaySet } from '../../extension/src/engine/infer/manifest';
import { classifySeries } from '../../extension/src/engine/pipeline';
import { validateSeriesResult, type SeriesResult } from '../../extension/src/engine/results/schema';
import { decodeEmbedding, encodeEmbedding } from '../../extension/src/engine/results/embeddingCodec';
import { knownOutputsFromResult } from '../../extension/src/engine/results/knownOutputs';
import { fitHead, headLogits } from '../../extension/src/engine/adapt/fitHead';
import { fitAdapter, parseAdapter, SiteAdapter } from '../../extension/src/engine/adapt/adapter';
import { correctionSet } from '../../extension/src/engine/adapt/trainingSet';
import { resultsCacheKey, checkStoredEntry } from '../../extension/src/engine/results/cache';
import { axialSeries } from '../helpers/frames';
import { LABEL_NAMES, runs, seededRandom } from '../helpers/synthetic';
import { SyntheticPixelSource } from '../helpers/syntheticPixels';
import { buildTinyModelDir, huForLabel, TINY_FIXTURES, type TinyModelDir } from '../helpers/tinyModel';

const id = (label: string) => LABEL_NAMES.indexOf(label);

/** An axial series whose slices show the given HU values (uniform frames). */
function huSeries(hu: number[], prefix: string) {
  const frames = axialSeries(
    hu.map((_, i) => i * 5),
    prefix,
  ).map((f) => ({ ...f, seriesInstanceUID: `${prefix}.series` }));
  return { frames, pixels: new SyntheticPixelSource(new Map(frames.map((f, i) => [f.sopInstanceUID, hu[i]]))) };
}

/** Replay rows: the tiny model's embeddings of uniform frames at every label's HU (± noise), labelled truly. */
async function tinyReplay(model: BodyRegionModel, perClass: number): Promise<ReplaySet> {
  const random = seededRandom(7);
  const hu: number[] = [];
  const labels: number[] = [];
  for (let j = 0; j < 20; j++)
    for (let r = 0; r < perClass; r++) {
      hu.push(huForLabel(j) + (random() - 0.5) * 60);
      labels.push(j);
    }
  const { frames, pixels } = huSeries(hu, 'replay');
  const result = await classifySeries({ frames, pixels, model });
  const bySop = new Map(result.images.map((im) => [im.sopInstanceUID, im]));
  const embeddings = new Float32Array(hu.length * 3);
  frames.forEach((f, i) => embeddings.set(decodeEmbedding(bySop.get(f.sopInstanceUID)!.embedding!), i * 3));
  return { count: hu.length, dim: 3, embeddings, labels: Int32Array.from(labels), sources: labels.map(() => 'synthetic') };
}

describe('model manifest, embeddings and temperature', () => {
  test('parseManifest: old manifests load, new fields are checked', () => {
    // the shipped manifest without round 2's fields is a br-pre-1 manifest as written before them
    const shipped = JSON.parse(fs.readFileSync(path.join(__dirname, '../../models/model.json'), 'utf8'));
    const { embeddingOutputName, embeddingSize, head, temperature, replay, calibration, ...old } = shipped;
    expect(embeddingOutputName).toBe('embedding');
    expect([embeddingSize, head, temperature, replay, calibration].every((v) => v !== undefined)).toBe(true);
    expect(parseManifest(old).embeddingOutputName).toBeUndefined();
    expect(parseManifest(shipped).embeddingSize).toBe(256);
    expect(() => parseManifest({ ...old, embeddingOutputName: 'embedding' })).toThrow(/embeddingSize/);
    expect(() => parseManifest({ ...old, temperature: 0 })).toThrow(/temperature/);
    expect(() =>
      parseManifest({
        ...old,
        embeddingOutputName: 'e',
        embeddingSize: 256,
        replay: { file: 'r.bin', labels: 'r.json', count: 2, dim: 128 },
      }),
    ).toThrow(/replay.dim/);
    expect(() => parseManifest({ ...old, inputSize: 0 })).toThrow(/inputSize/);
  });

  test('replay files round-trip (float32 little-endian, labels and sources)', () => {
    const set: ReplaySet = {
      count: 2,
      dim: 3,
      embeddings: Float32Array.from([1, -2.5, 3, 0.25, 5, -6]),
      labels: Int32Array.from([4, 19]),
      sources: ['a', 'b'],
    };
    const { bin, labels } = serialiseReplay(set);
    expect(bin.byteLength).toBe(24);
    expect(new DataView(bin.buffer).getFloat32(4, true)).toBe(-2.5);
    const back = parseReplay(bin, JSON.parse(JSON.stringify(labels)), { file: 'r.bin', labels: 'r.json', count: 2, dim: 3 }, 20);
    expect(Array.from(back.embeddings)).toEqual(Array.from(set.embeddings));
    expect(Array.from(back.labels)).toEqual([4, 19]);
    expect(() => parseReplay(bin, labels, { file: 'r.bin', labels: 'r.json', count: 3, dim: 3 }, 20)).toThrow(/bytes/);
    expect(() => parseReplay(bin, { labels: [4, 20], sources: [] }, { file: 'r.bin', labels: 'r.json', count: 2, dim: 3 }, 20)).toThrow(
      /class indices/,
    );
  });

  test('embedding codec: int8 + scale, within half a step', () => {
    const random = seededRandom(3);
    const v = Float32Array.from({ length: 256 }, () => (random() - 0.3) * 8);
    const e = encodeEmbedding(v);
    expect(e.q).toHaveLength(344);
    const back = decodeEmbedding(e);
    v.forEach((x, i) => expect(Math.abs(back[i] - x)).toBeLessThanOrEqual(e.scale / 2 + 1e-6));
    expect(Array.from(decodeEmbedding(encodeEmbedding(new Float32Array(5))))).toEqual([0, 0, 0, 0, 0]);
  });

  test('the committed tiny fixtures are what buildTinyOnnx.py makes', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tiny-regen-'));
    try {
      execFileSync('/usr/bin/python3', [
        path.join(__dirname, '../helpers/buildTinyOnnx.py'),
        path.join(dir, 'tiny.onnx'),
        '20',
        '0',
        '--nearest-centre',
        '2000',
      ]);
      for (const file of ['tiny.onnx', 'head.json']) {
        expect(fs.readFileSync(path.join(dir, file)).equals(fs.readFileSync(path.join(TINY_FIXTURES, 'k20-s0-nc2000', file)))).toBe(true);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('with the tiny model', () => {
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

    test('infer returns embeddings that the shipped head turns into the logits', async () => {
      const S = 16;
      const random = seededRandom(5);
      const batch = Float32Array.from({ length: 3 * 3 * S * S }, () => random());
      const { probabilities, embeddings } = await model.infer(batch, 3);
      expect(model.embeddingSize).toBe(3);
      expect(embeddings).toHaveLength(9);
      const head = (await readHead(tiny.dir, await readManifest(tiny.dir))) as LinearHead;
      const logits = await model.logits(batch, 3);
      headLogits(head, embeddings!, 3).forEach((z, i) => expect(z).toBeCloseTo(logits[i], 3));
      expect(Array.from(probabilities)).toEqual(Array.from(await model.classify(batch, 3)));
      // The channel means.
      const mean0 = batch.subarray(0, S * S).reduce((a, b) => a + b, 0) / (S * S);
      expect(embeddings![0]).toBeCloseTo(mean0, 5);
      expect(model.sha256).toMatch(/^[0-9a-f]{64}$/);
    });

    test('temperature divides the logits; an old manifest gives no embeddings; a missing output is refused', async () => {
      const hot = buildTinyModelDir(20, 16, 0, 2000, { temperature: 4 });
      const old = buildTinyModelDir(20, 16, 0, 2000, { embedding: false });
      const hotModel = await loadModelFromDir(hot.dir);
      const oldModel = await loadModelFromDir(old.dir);
      try {
        const image = new Float32Array(3 * 16 * 16).fill(0.3);
        const logits = await model.logits(image, 1);
        const expected = Array.from(logits, (z) => Math.exp(z / 4));
        const sum = expected.reduce((a, b) => a + b, 0);
        const p = (await hotModel.infer(image, 1)).probabilities;
        expected.forEach((e, j) => expect(p[j]).toBeCloseTo(e / sum, 5));
        const plain = await oldModel.infer(image, 1);
        expect(plain.embeddings).toBeNull();
        expect(oldModel.embeddingSize).toBe(0);
        const bytes = new Uint8Array(fs.readFileSync(path.join(tiny.dir, 'tiny.onnx')));
        const { BodyRegionModel: M } = await import('../../extension/src/engine/infer/BodyRegionModel');
        await expect(
          M.load({ manifest: { ...tiny.manifest, embeddingOutputName: 'features' }, modelBytes: bytes, labels: model.labels }),
        ).rejects.toThrow(/"features"/);
        await expect(M.load({ manifest: { ...tiny.manifest, embeddingSize: 4 }, modelBytes: bytes, labels: model.labels })).rejects.toThrow(
          /3 embedding values .* embeddingSize = 4/,
        );
      } finally {
        await hotModel.dispose();
        await oldModel.dispose();
        fs.rmSync(hot.dir, { recursive: true, force: true });
        fs.rmSync(old.dir, { recursive: true, force: true });
      }
    });

    test('results keep every image embedding; a re-decode from them needs no fetch', async () => {
      const truth = runs([
        ['PELVIS', 10],
        ['ABDOMEN', 12],
      ]);
      const { frames, pixels } = huSeries(
        truth.map((l) => huForLabel(id(l))),
        'keep',
      );
      const result = await classifySeries({ frames, pixels, model, batchSize: 5 });
      expect(validateSeriesResult(result)).toEqual([]);
      expect(result.images.every((im) => im.embedding && decodeEmbedding(im.embedding).length === 3)).toBe(true);
      expect(result.adapter).toBeUndefined();
      const again = new SyntheticPixelSource(new Map());
      const redecoded = await classifySeries({ frames, pixels: again, model, known: knownOutputsFromResult(result) });
      expect(again.calls).toBe(0);
      expect(redecoded.regions).toEqual(result.regions);
      expect(redecoded.images.map((im) => im.decodedLabel)).toEqual(result.images.map((im) => im.decodedLabel));
    });

    test('a site adapter learns a correction, keeps the rest, and the decoder runs on its probabilities', async () => {
      // The "site" scans ABDOMEN at the HU the model reads as CHEST.
      const siteHu = huForLabel(id('CHEST'));
      const study = (prefix: string, n: number) =>
        huSeries(
          new Array(n).fill(siteHu).map((h, i) => h + (i % 3) * 5),
          prefix,
        );
      const first = study('site1', 20);
      const before = await classifySeries({ ...first, model });
      expect(before.regions).toEqual(['CHEST']);

      // The radiologist corrects the segment to ABDOMEN.
      const items = before.images.map((im) => ({
        embedding: decodeEmbedding(im.embedding!),
        label: id('ABDOMEN'),
        series: before.seriesInstanceUID,
      }));
      const corrections = correctionSet(items, 3);
      const head = (await readHead(tiny.dir, await readManifest(tiny.dir))) as LinearHead;
      const replay = await tinyReplay(model, 20);
      const file = fitAdapter({
        head,
        temperature: 1,
        replay,
        corrections,
        labels: model.labelNames,
        baseModel: { id: 'tiny-plumbing', version: '0.0.0', sha256: model.sha256! },
        method: { lambda: 1e-4 },
      });
      expect(file.corrections).toEqual({ images: 20, series: 1, classes: ['ABDOMEN'] });
      expect(file.fit.loss).toBeLessThan(file.fit.initialLoss);
      const adapter = parseAdapter(JSON.parse(JSON.stringify(file)));
      adapter.checkModel(model);

      // Another study of the same kind now reads as ABDOMEN; PELVIS elsewhere stays PELVIS.
      const second = study('site2', 15);
      const after = await classifySeries({ ...second, model, adapter });
      expect(validateSeriesResult(after)).toEqual([]);
      expect(after.regions).toEqual(['ABDOMEN']);
      expect(after.adapter).toEqual({ id: adapter.id, corrections: 20, series: 1 });
      const pelvis = huSeries(new Array(10).fill(huForLabel(id('PELVIS'))), 'pelvis');
      expect((await classifySeries({ ...pelvis, model, adapter })).regions).toEqual(['PELVIS']);

      // Re-decoding the first study's cached result with the adapter: no fetch, corrected region.
      const none = new SyntheticPixelSource(new Map());
      const redecoded = await classifySeries({ frames: first.frames, pixels: none, model, adapter, known: knownOutputsFromResult(before) });
      expect(none.calls).toBe(0);
      expect(redecoded.regions).toEqual(['ABDOMEN']);
    });

    test('the nearest-neighbour memory speaks near corrections only (gate from the replay set)', async () => {
      const siteHu = huForLabel(id('CHEST'));
      const first = huSeries(
        new Array(12).fill(siteHu).map((h, i) => h + (i % 3) * 5),
        'mem1',
      );
      const before = await classifySeries({ ...first, model });
      const items = before.images.map((im) => ({
        embedding: decodeEmbedding(im.embedding!),
        label: id('ABDOMEN'),
        series: before.seriesInstanceUID,
      }));
      const head = (await readHead(tiny.dir, await readManifest(tiny.dir))) as LinearHead;
      const replay = await tinyReplay(model, 10);
      // A stiff head (λ huge) cannot move: whatever changes comes from the memory.
      const file = fitAdapter({
        head,
        temperature: 1,
        replay,
        corrections: correctionSet(items, 3),
        labels: model.labelNames,
        baseModel: { id: 'tiny-plumbing', version: '0.0.0', sha256: model.sha256! },
        method: { lambda: 1e6, memory: { k: 3, weight: 0.9 } },
      });
      expect(file.memory?.labels).toHaveLength(12);
      expect(file.memory!.gate).toBeGreaterThan(0);
      const adapter = parseAdapter(JSON.parse(JSON.stringify(file)));
      const second = huSeries(
        new Array(8).fill(siteHu).map((h, i) => h + (i % 2) * 5),
        'mem2',
      );
      expect((await classifySeries({ ...second, model, adapter })).regions).toEqual(['ABDOMEN']);
      const pelvis = huSeries(new Array(8).fill(huForLabel(id('PELVIS'))), 'mem3');
      expect((await classifySeries({ ...pelvis, model, adapter })).regions).toEqual(['PELVIS']);
      const stiffOnly = new SiteAdapter({ ...file, memory: undefined });
      expect((await classifySeries({ ...second, model, adapter: stiffOnly })).regions).toEqual(['CHEST']);
    });

    test('an adapter refuses another model; adapted results have their own cache key', async () => {
      const other = buildTinyModelDir(20, 16, 0, 2500);
      const otherModel = await loadModelFromDir(other.dir);
      try {
        const head = (await readHead(tiny.dir, await readManifest(tiny.dir))) as LinearHead;
        const corrections = correctionSet([{ embedding: [0.4, 0.4, 0.4], label: 3, series: 's' }], 3);
        const adapter = new SiteAdapter(
          fitAdapter({
            head,
            temperature: 1,
            replay: null,
            corrections,
            labels: model.labelNames,
            baseModel: { id: 'tiny-plumbing', version: '0.0.0', sha256: model.sha256! },
          }),
        );
        expect(() => adapter.checkModel(otherModel)).toThrow(/fitted for model sha256/);
        const k = { seriesInstanceUID: '1.2', model: { id: 'm', version: '1', sha256: 'ab' }, mode: 'exhaustive' as const };
        expect(resultsCacheKey({ ...k, adapter: adapter.id })).not.toBe(resultsCacheKey(k));
        const { frames, pixels } = huSeries([0, 0, 0], 'cache');
        const plain = await classifySeries({ frames, pixels, model });
        const adapted: SeriesResult = await classifySeries({ frames, pixels, model, adapter });
        const entry = (r: SeriesResult, key: string) =>
          JSON.stringify({ key, result: { ...r, seriesInstanceUID: '1.2', model: { id: 'm', version: '1' } } });
        const key = resultsCacheKey({ ...k, adapter: adapter.id });
        expect(checkStoredEntry(entry(adapted, key), key, { ...k, adapter: adapter.id })).toBeNull();
        expect(checkStoredEntry(entry(plain, key), key, { ...k, adapter: adapter.id })).toMatch(/another site adapter/);
      } finally {
        await otherModel.dispose();
        fs.rmSync(other.dir, { recursive: true, force: true });
      }
    });
  });
});

describe('fitHead', () => {
  /** A random problem of the real model's size: 20 classes, 256-d embeddings. */
  function problem(seed: number, n: number) {
    const random = seededRandom(seed);
    const k = 20;
    const d = 256;
    const base: LinearHead = {
      classes: k,
      dim: d,
      weights: Float32Array.from({ length: k * d }, () => (random() - 0.5) * 0.2),
      bias: new Float32Array(k),
    };
    const embeddings = Float32Array.from({ length: n * d }, () => Math.max(0, random() * 2 - 0.5));
    const labels = Int32Array.from({ length: n }, () => Math.floor(random() * k));
    return { base, embeddings, labels };
  }

  // Fit time is logged, not asserted: this machine's CPU is shared; docs/ADAPTATION.md reports measured times.
  test('a huge λ keeps the base head; λ = 1 converges in a few dozen steps (2,000 replay + 400 corrected images, 256-d)', () => {
    const { base, embeddings, labels } = problem(1, 2400);
    const corrections = { embeddings: embeddings.subarray(0, 400 * 256), labels: labels.subarray(0, 400), count: 400, weight: 1 };
    const replay = { embeddings: embeddings.subarray(400 * 256), labels: labels.subarray(400), count: 2000, weight: 1 };
    const stiff = fitHead(base, [corrections, replay], { lambda: 1e6 });
    stiff.head.weights.forEach((w, i) => expect(Math.abs(w - base.weights[i])).toBeLessThan(1e-4));
    const t0 = performance.now();
    const fit = fitHead(base, [corrections, replay], { lambda: 1 });
    const ms = performance.now() - t0;
    console.log(
      `fitHead 20 × 256, 2,400 images: ${ms.toFixed(0)} ms, ${fit.iterations} iterations, loss ${fit.initialLoss.toFixed(3)} → ${fit.loss.toFixed(3)}`,
    );
    expect(fit.loss).toBeLessThan(fit.initialLoss);
    expect(fit.iterations).toBeLessThanOrEqual(40);
  });

  test('free classes: the other rows stay the base head', () => {
    const { base, embeddings, labels } = problem(2, 300);
    const fit = fitHead(base, [{ embeddings, labels, count: 300, weight: 1 }], { lambda: 0.1, freeClasses: new Set([2, 5]) });
    for (let j = 0; j < 20; j++) {
      const moved = fit.head.weights.subarray(j * 256, (j + 1) * 256).some((w, t) => w !== base.weights[j * 256 + t]);
      expect(moved).toBe(j === 2 || j === 5);
    }
  });
});
