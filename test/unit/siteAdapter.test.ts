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
import { DEFAULT_ADAPTER_METHOD, fitAdapter, parseAdapter, SITE_MEMORY, SiteAdapter } from '../../extension/src/engine/adapt/adapter';
import { blendMemory, buildMemory, memoryFrom, memoryShares } from '../../extension/src/engine/adapt/memory';
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

    test('the site memory speaks where images look like the corrections, not the replay set', async () => {
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
        method: { lambda: 1e6, memory: { k: 3, weight: 1 } },
      });
      expect(file.schema).toBe('body-region-adapter/2');
      expect(file.memory).toMatchObject({ kind: 'cosine-knn', k: 3, weight: 1 });
      expect(file.memory?.labels).toHaveLength(12);
      expect(file.memory!.detector.weights).toHaveLength(3);
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
      // Without a replay set there is nothing to tell the site from: no memory.
      const noReplay = fitAdapter({
        head,
        temperature: 1,
        replay: null,
        corrections: correctionSet(items, 3),
        labels: model.labelNames,
        baseModel: { id: 'tiny-plumbing', version: '0.0.0', sha256: model.sha256! },
      });
      expect(noReplay.memory).toBeUndefined();
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

  test("soft targets: fitted to the base head's own probabilities, the head stays put; one-hot targets equal labels", () => {
    const { base, embeddings, labels } = problem(3, 300);
    const logits = headLogits(base, embeddings, 300);
    const own = new Float32Array(logits.length);
    for (let i = 0; i < 300; i++) {
      const row = logits.subarray(i * 20, (i + 1) * 20);
      const max = Math.max(...row);
      const e = Array.from(row, (z) => Math.exp(z - max));
      const sum = e.reduce((a, b) => a + b, 0);
      e.forEach((v, j) => (own[i * 20 + j] = v / sum));
    }
    // The base head is the minimum of its own soft cross-entropy plus the pull: nothing to move.
    const kept = fitHead(base, [{ embeddings, labels, count: 300, weight: 1, targets: own }], { lambda: 0.01 });
    kept.head.weights.forEach((w, i) => expect(Math.abs(w - base.weights[i])).toBeLessThan(1e-3));
    const byLabel = fitHead(base, [{ embeddings, labels, count: 300, weight: 1 }], { lambda: 0.1 });
    const oneHot = new Float32Array(300 * 20);
    labels.forEach((y, i) => (oneHot[i * 20 + y] = 1));
    const byTarget = fitHead(base, [{ embeddings, labels: new Int32Array(300), count: 300, weight: 1, targets: oneHot }], { lambda: 0.1 });
    expect(byTarget.loss).toBeCloseTo(byLabel.loss, 6);
    byTarget.head.weights.forEach((w, i) => expect(w).toBeCloseTo(byLabel.head.weights[i], 5));
    // Labels move the head away from the base (these random labels disagree with it).
    expect(byLabel.head.weights.some((w, i) => Math.abs(w - base.weights[i]) > 1e-2)).toBe(true);
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

describe('site memory (memory.ts) on a new site', () => {
  /**
   * 20 classes with random centres in 32-d; the "site" adds its own offset to every image, and its
   * images of class 15 sit where the head reads class 3 (a scanner the model never saw).
   */
  function world(seed: number) {
    const random = seededRandom(seed);
    const d = 32;
    const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const centres = Array.from({ length: 20 }, () => Array.from({ length: d }, () => 2 * gauss()));
    const offset = Array.from({ length: d }, () => 2 * gauss());
    const row = (j: number, site: boolean) => centres[j].map((c, t) => c + (site ? offset[t] : 0) + 0.3 * gauss());
    const rows = (n: number, make: () => number[]) => Float32Array.from(Array.from({ length: n }, make).flat());
    const replayLabels = Int32Array.from({ length: 400 }, (_, i) => i % 20);
    const replay: ReplaySet = {
      count: 400,
      dim: d,
      embeddings: Float32Array.from(Array.from(replayLabels, (j) => row(j, false)).flat()),
      labels: replayLabels,
      sources: Array.from(replayLabels, () => 'reference'),
    };
    // Nearest-centre head of the reference world.
    const probabilities = (x: Float32Array, count: number) => {
      const p = new Float32Array(count * 20);
      for (let i = 0; i < count; i++) {
        const d2 = centres.map((c) => c.reduce((a, v, t) => a + (v - x[i * d + t]) ** 2, 0));
        const best = d2.indexOf(Math.min(...d2));
        for (let j = 0; j < 20; j++) p[i * 20 + j] = j === best ? 0.9 : 0.1 / 19;
      }
      return p;
    };
    return {
      d,
      replay,
      probabilities,
      siteRows: (n: number) => rows(n, () => row(3, true)),
      referenceRows: (j: number, n: number) => rows(n, () => row(j, false)),
    };
  }

  test('the detector tells the site from the reference images; the vote moves only site images', () => {
    const w = world(11);
    const corrections = { embeddings: w.siteRows(20), labels: new Int32Array(20).fill(15), count: 20, dim: w.d, series: 2 };
    const file = buildMemory(corrections, w.replay, { k: 5, weight: 1 })!;
    const memory = memoryFrom(JSON.parse(JSON.stringify(file)), w.d);
    const site = w.siteRows(30);
    const chest = w.referenceRows(3, 30);
    const siteShares = memoryShares(memory, site, 30);
    const chestShares = memoryShares(memory, chest, 30);
    expect(Math.min(...siteShares)).toBeGreaterThan(0.8);
    // Reference images of the class the site's images resemble get a small share: the head's 0.9 outweighs the vote.
    expect(Math.max(...chestShares)).toBeLessThan(0.45);
    // ... and images of other regions next to nothing.
    expect(Math.max(...memoryShares(memory, w.referenceRows(10, 30), 30))).toBeLessThan(0.1);

    const argmax = (p: Float32Array, i: number) => {
      const row = Array.from(p.subarray(i * 20, (i + 1) * 20));
      return row.indexOf(Math.max(...row));
    };
    const pSite = w.probabilities(site, 30);
    const pChest = w.probabilities(chest, 30);
    expect(argmax(pSite, 0)).toBe(3); // the head alone reads the site's images as class 3
    blendMemory(memory, site, 30, pSite, 20);
    blendMemory(memory, chest, 30, pChest, 20);
    for (let i = 0; i < 30; i++) {
      expect(argmax(pSite, i)).toBe(15);
      expect(argmax(pChest, i)).toBe(3);
    }
    // Rows still sum to 1.
    expect(pSite.subarray(0, 20).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  test('the memory when asked for (not by default); adapter/1 files load, /1 with the old memory and malformed /2 memories are refused', () => {
    expect(DEFAULT_ADAPTER_METHOD.memory).toBeUndefined();
    const w = world(12);
    const corrections = { embeddings: w.siteRows(10), labels: new Int32Array(10).fill(15), count: 10, dim: w.d, series: 1 };
    const base: LinearHead = { classes: 20, dim: w.d, weights: new Float32Array(20 * w.d), bias: new Float32Array(20) };
    const labels = Array.from({ length: 20 }, (_, j) => `C${j}`);
    const file = fitAdapter({
      head: base,
      temperature: 1,
      replay: w.replay,
      corrections,
      labels,
      baseModel: { id: 'm', version: '1', sha256: 'ab' },
      method: { memory: SITE_MEMORY },
    });
    expect(file.memory?.kind).toBe('cosine-knn');
    expect(file.method.memory).toEqual({ k: 5, weight: 0.5 });
    // Too few corrected images to tell a site by: head only.
    const few = { ...corrections, embeddings: corrections.embeddings.slice(0, 9 * w.d), labels: corrections.labels.slice(0, 9), count: 9 };
    expect(
      fitAdapter({
        head: base,
        temperature: 1,
        replay: w.replay,
        corrections: few,
        labels,
        baseModel: { id: 'm', version: '1', sha256: 'ab' },
        method: { memory: SITE_MEMORY },
      }).memory,
    ).toBeUndefined();
    const json = JSON.parse(JSON.stringify(file));

    const v1 = { ...json, schema: 'body-region-adapter/1', memory: undefined };
    expect(parseAdapter(JSON.parse(JSON.stringify(v1))).file.memory).toBeUndefined();
    const v1Memory = {
      ...v1,
      memory: { k: 5, weight: 0.5, gate: 1.2, labels: [15], embeddings: [encodeEmbedding(new Array(w.d).fill(1))] },
    };
    expect(() => parseAdapter(v1Memory)).toThrow(/earlier nearest-neighbour memory.*fit the adapter again/);
    expect(() => parseAdapter({ ...json, memory: { ...json.memory, kind: 'euclidean' } })).toThrow(/kind must be "cosine-knn"/);
    expect(() => parseAdapter({ ...json, memory: { ...json.memory, detector: { weights: [1, 2], bias: 0 } } })).toThrow(
      /detector must have 32 weights/,
    );
    expect(() => parseAdapter({ ...json, memory: { ...json.memory, labels: json.memory.labels.map(() => 20) } })).toThrow(
      /class indices below 20/,
    );
    expect(() => parseAdapter({ ...json, schema: 'body-region-adapter/3' })).toThrow(/not a body-region-adapter\/2/);
    // The memory is part of the adapter's id (results cached with one are not taken for the other's).
    expect(parseAdapter(json).id).not.toBe(new SiteAdapter({ ...file, memory: undefined }).id);
  });
});
