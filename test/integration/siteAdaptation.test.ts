/**
 * Site adaptation through the CLI, end to end with the engine and a tiny nearest-centre model:
 * `build-replay` writes the model's replay set, `adapt` fits an adapter on a site's labelled series,
 * `evaluate --adapter` scores the site's other series with it (and records it), and
 * `evaluate --simulate-sites k` does both for every source. The "site" scans ABDOMEN at the HU
 * the model reads as CHEST: the adapter must learn it and leave the other source alone.
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ExitCode } from '../../extension/src/cli/exitCodes';
import { parseAdapter } from '../../extension/src/engine/adapt/adapter';
import { readManifest, readReplay } from '../../extension/src/engine/infer/loadModelNode';
import type { EvaluationReport } from '../../extension/src/evaluation/buildReport';
import type { SimulationReport } from '../../extension/src/evaluation/simulateSites';
import { writeCtDataset, type SyntheticSeries } from '../helpers/labelledDataset';
import { runCli } from '../helpers/runCli';
import { axialSeries } from '../helpers/frames';
import { makeSeries } from '../helpers/dicomFactory';
import { SyntheticPixelSource } from '../helpers/syntheticPixels';
import { loadModelFromDir } from '../../extension/src/engine/infer/loadModelNode';
import { classifySeries } from '../../extension/src/engine/pipeline';
import { correctionsFile, makeCorrection } from '../../extension/src/engine/adapt/correctionActions';
import { LABEL_NAMES } from '../helpers/synthetic';
import { buildTinyModelDir, huForLabel, type TinyModelDir } from '../helpers/tinyModel';

// The tiny model's logits are thousands apart (sharpness 2000): the pull that suits the real model (λ = 1) is far too stiff here.
const LAMBDA = ['--lambda', '1e-4'];
const hu = (label: string) => huForLabel(LABEL_NAMES.indexOf(label));

function siteSeries(id: string, subject: string, n: number): SyntheticSeries {
  // ABDOMEN, scanned so that the model reads CHEST.
  return {
    id,
    subject,
    source: 'siteA',
    split: 'test',
    slices: Array.from({ length: n }, (_, k) => ({ hu: hu('CHEST') + 4 * (k % 4), label: 'ABDOMEN' })),
  };
}
function pelvisSeries(id: string, subject: string): SyntheticSeries {
  return {
    id,
    subject,
    source: 'siteB',
    split: 'test',
    slices: Array.from({ length: 10 }, (_, k) => ({ hu: hu('PELVIS') + 3 * (k % 3), label: 'PELVIS' })),
  };
}
/** Training data for the replay set: every label at its own HU, two sources. */
const trainSeries: SyntheticSeries[] = LABEL_NAMES.map((label, j) => ({
  id: `train-${j}`,
  subject: `t${j}`,
  source: j % 2 ? 'trainX' : 'trainY',
  split: 'train',
  slices: Array.from({ length: 6 }, (_, k) => ({ hu: hu(label) + 5 * (k % 3) - 5, label })),
}));

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as T;
}

describe('site adaptation CLI (adapt, build-replay, evaluate --adapter, --simulate-sites)', () => {
  let tmp: string;
  let tiny: TinyModelDir;
  const site = [siteSeries('a1', 's1', 12), siteSeries('a2', 's2', 14), siteSeries('a3', 's3', 12), siteSeries('a4', 's4', 10)];
  const other = [pelvisSeries('b1', 'u1'), pelvisSeries('b2', 'u2'), pelvisSeries('b3', 'u3')];

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'site-adapt-'));
    tiny = buildTinyModelDir(20, 16, 0, 2000);
    await writeCtDataset(path.join(tmp, 'all'), [...site, ...other, ...trainSeries]);
    await writeCtDataset(path.join(tmp, 'corrected'), site.slice(0, 2));
    await writeCtDataset(path.join(tmp, 'rest'), [...site.slice(2), ...other]);
  });
  afterAll(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
    await fs.rm(tiny.dir, { recursive: true, force: true });
  });

  test('build-replay: a class- and source-balanced replay set, and model.json points at it', async () => {
    const run = await runCli(['build-replay', '--data', path.join(tmp, 'all'), '--model', tiny.dir, '--count', '60']);
    expect(run.stderr).toMatch(/embedded 20\/20 series/);
    expect(run.code).toBe(ExitCode.Ok);
    const manifest = await readManifest(tiny.dir);
    expect(manifest.replay).toEqual({ file: 'replay-embeddings.bin', labels: 'replay-labels.json', count: 60, dim: 3 });
    expect(manifest.modelId).toBe('tiny-plumbing'); // the rest of model.json is kept
    const replay = (await readReplay(tiny.dir, manifest))!;
    const perClass = new Map<number, number>();
    replay.labels.forEach((l) => perClass.set(l, (perClass.get(l) ?? 0) + 1));
    expect([...perClass.values()]).toEqual(new Array(20).fill(3));
    expect(new Set(replay.sources)).toEqual(new Set(['trainX', 'trainY']));
    // The embeddings are the tiny model's: three channel means of a CT frame, in 0..1.
    expect(replay.embeddings.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  test('adapt on two corrected series; evaluate --adapter scores the others with it and records it', async () => {
    const adapterFile = path.join(tmp, 'a.json');
    const fit = await runCli([
      'adapt',
      '--data',
      path.join(tmp, 'corrected'),
      '--split',
      'test',
      '--out',
      adapterFile,
      '--model',
      tiny.dir,
      ...LAMBDA,
    ]);
    expect(fit.code).toBe(ExitCode.Ok);
    const adapter = parseAdapter(await readJson(adapterFile));
    expect(adapter.file.corrections).toEqual({ images: 26, series: 2, classes: ['ABDOMEN'] });
    expect(adapter.file.replay.images).toBe(60);
    expect(adapter.file.baseModel.id).toBe('tiny-plumbing');

    const plainOut = path.join(tmp, 'plain');
    const adaptedOut = path.join(tmp, 'adapted');
    expect(
      await runCli([
        'evaluate',
        '--data',
        path.join(tmp, 'rest'),
        '--split',
        'test',
        '--model',
        tiny.dir,
        '--bootstrap',
        '0',
        '--out',
        plainOut,
      ]).then((r) => r.code),
    ).toBe(ExitCode.Ok);
    const run = await runCli([
      'evaluate',
      '--data',
      path.join(tmp, 'rest'),
      '--split',
      'test',
      '--model',
      tiny.dir,
      '--bootstrap',
      '0',
      '--adapter',
      adapterFile,
      '--out',
      adaptedOut,
    ]);
    expect(run.code).toBe(ExitCode.Ok);
    const plain = await readJson<EvaluationReport>(path.join(plainOut, 'report.json'));
    const adapted = await readJson<EvaluationReport>(path.join(adaptedOut, 'report.json'));
    expect(plain.adapter).toBeNull();
    expect(adapted.adapter).toMatchObject({ file: adapterFile, id: adapter.id, corrections: 26, series: 2, classes: ['ABDOMEN'] });
    // 22 site images (wrong before) + 30 pelvis images (right before and after).
    expect(plain.counts.images).toBe(52);
    expect(plain.imageAccuracyDecoded).toBeCloseTo(30 / 52, 5);
    expect(adapted.imageAccuracyDecoded).toBe(1);
  });

  test('adapt --corrections: a corrections export (body-region-corrections/1) fits the same kind of adapter', async () => {
    // What the panel does: classify a series, set its segment's region, export.
    const model = await loadModelFromDir(tiny.dir);
    try {
      const frames = axialSeries([0, 5, 10, 15, 20, 25, 30, 35], 'corr').map((f) => ({ ...f, seriesInstanceUID: 'corr.series' }));
      const pixels = new SyntheticPixelSource(new Map(frames.map((f, i) => [f.sopInstanceUID, hu('CHEST') + 4 * (i % 4)])));
      const result = await classifySeries({ frames, pixels, model });
      expect(result.segments.map((s) => s.label)).toEqual(['CHEST']);
      const [segment] = result.segments;
      const fix = makeCorrection(
        result,
        { kind: 'set-segment', stackIndex: 0, firstIndex: segment.firstIndex, lastIndex: segment.lastIndex, from: 'CHEST', to: 'ABDOMEN' },
        'c1',
        '2026-12-07T03:00:00Z',
      );
      const half = makeCorrection(
        result,
        { kind: 'move-boundary', stackIndex: 0, fromIndex: 0, toIndex: 2, label: 'PELVIS' },
        'c0',
        '2026-12-07T02:00:00Z',
      );
      expect(fix.images).toHaveLength(8);
      expect(half.images.map((im) => im.label)).toEqual(['PELVIS', 'PELVIS', 'PELVIS']);
      const exported = correctionsFile(
        { id: 'tiny-plumbing', version: '0.0.0', sha256: model.sha256! },
        [fix, half],
        '2026-12-07T03:01:00Z',
      );
      // No pixels and no names: only UIDs, labels, embeddings and the model.
      expect(JSON.stringify(exported)).not.toMatch(/PatientName|pixel/i);
      const file = path.join(tmp, 'corrections.json');
      await fs.writeFile(file, JSON.stringify(exported));
      const adapterFile = path.join(tmp, 'from-corrections.json');
      const run = await runCli(['adapt', '--corrections', file, '--out', adapterFile, '--model', tiny.dir, ...LAMBDA]);
      expect(run.code).toBe(ExitCode.Ok);
      const adapter = parseAdapter(await readJson(adapterFile));
      // The later correction (set-segment, 03:00) wins over the earlier one on the same images.
      expect(adapter.file.corrections).toEqual({ images: 8, series: 1, classes: ['ABDOMEN'] });
      const evaluated = await runCli([
        'evaluate',
        '--data',
        path.join(tmp, 'rest'),
        '--split',
        'test',
        '--model',
        tiny.dir,
        '--bootstrap',
        '0',
        '--adapter',
        adapterFile,
        '--out',
        path.join(tmp, 'from-corrections'),
      ]);
      expect(evaluated.code).toBe(ExitCode.Ok);
      expect((await readJson<EvaluationReport>(path.join(tmp, 'from-corrections', 'report.json'))).imageAccuracyDecoded).toBe(1);
      // Corrections of another model are refused.
      await fs.writeFile(file, JSON.stringify({ ...exported, model: { ...exported.model, sha256: '00'.repeat(32) } }));
      const refused = await runCli(['adapt', '--corrections', file, '--out', adapterFile, '--model', tiny.dir]);
      expect(refused.code).toBe(ExitCode.Usage);
      expect(refused.stderr).toMatch(/corrections were made with model sha256 000000000000/);
    } finally {
      await model.dispose();
    }
  });

  test('classify-files --adapter: the site adapter shapes the results, which say so', async () => {
    const folder = path.join(tmp, 'dicom');
    await fs.mkdir(folder, { recursive: true });
    // +12 HU: like the corrected series, and away from the replay set's CHEST rows (−5…+5 HU).
    const series = await makeSeries({ slices: 6, rows: 32, columns: 32, pixel: () => hu('CHEST') + 12 });
    await Promise.all(series.files.map((f, i) => fs.writeFile(path.join(folder, `i${i}.dcm`), f)));
    const adapterFile = path.join(tmp, 'a.json');
    const plainOut = path.join(tmp, 'plain.jsonl');
    const adaptedOut = path.join(tmp, 'adapted.jsonl');
    expect((await runCli(['classify-files', folder, '--model', tiny.dir, '--out', plainOut, '-q'])).code).toBe(ExitCode.Ok);
    expect((await runCli(['classify-files', folder, '--model', tiny.dir, '--adapter', adapterFile, '--out', adaptedOut, '-q'])).code).toBe(
      ExitCode.Ok,
    );
    const first = async (file: string) =>
      (await fs.readFile(file, 'utf8'))
        .split('\n')
        .map((l) => (l ? JSON.parse(l) : null))
        .find((l) => l?.schema === 'body-region-result/1');
    const plain = await first(plainOut);
    const adapted = await first(adaptedOut);
    expect(plain.regions).toEqual(['CHEST']);
    expect(plain.adapter).toBeUndefined();
    expect(adapted.regions).toEqual(['ABDOMEN']);
    expect(adapted.adapter).toEqual({ id: parseAdapter(await readJson(adapterFile)).id, corrections: 26, series: 2 });
    expect(adapted.images.every((im: { embedding?: unknown }) => im.embedding)).toBe(true);
  });

  test('an adapter of another model is refused by evaluate and classify-files', async () => {
    const otherModel = buildTinyModelDir(20, 16, 0, 2500);
    try {
      const adapterFile = path.join(tmp, 'a.json');
      const evaluate = await runCli([
        'evaluate',
        '--data',
        path.join(tmp, 'rest'),
        '--split',
        'test',
        '--model',
        otherModel.dir,
        '--bootstrap',
        '0',
        '--adapter',
        adapterFile,
        '--out',
        path.join(tmp, 'x'),
      ]);
      expect(evaluate.code).toBe(ExitCode.Usage);
      expect(evaluate.stderr).toMatch(/fitted for model sha256/);
      const classify = await runCli(['classify-files', tmp, '--model', otherModel.dir, '--adapter', adapterFile, '-q']);
      expect(classify.code).toBe(ExitCode.Usage);
      expect(classify.stderr).toMatch(/adapter .* cannot be used: adapter was fitted for model sha256/);
    } finally {
      await fs.rm(otherModel.dir, { recursive: true, force: true });
    }
  });

  test('evaluate --simulate-sites 2: the site gains, the other source loses nothing', async () => {
    const out = path.join(tmp, 'simulated');
    const run = await runCli([
      'evaluate',
      '--data',
      path.join(tmp, 'all'),
      '--split',
      'test',
      '--model',
      tiny.dir,
      '--simulate-sites',
      '2',
      '--out',
      out,
      ...LAMBDA,
    ]);
    expect(run.code).toBe(ExitCode.Ok);
    const report = await readJson<SimulationReport>(path.join(out, 'simulate-sites.json'));
    expect(report.sites.map((s) => s.site)).toEqual(['CT|siteA', 'CT|siteB']);
    const [a, b] = report.sites;
    expect(a.fitSeries).toHaveLength(2);
    expect(a.scoredSeries).toBe(2);
    expect(a.before.decoded).toBe(0);
    expect(a.after.decoded).toBe(1);
    expect(a.errorReduction).toBe(1);
    expect(a.others.changePoints).toBe(0); // siteB's pelvis images stay right
    expect(b.before.decoded).toBe(1);
    expect(b.errorReduction).toBeNull();
    expect(report.overall.sites).toBe(2);
    const md = await fs.readFile(path.join(out, 'simulate-sites.md'), 'utf8');
    expect(md).toContain('| CT|siteA |');
  });
});
