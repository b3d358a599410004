/**
 * `body-region evaluate` end to end on a few real series of the shared data set, through the real
 * engine and the shipped model (models/model.json). Checks the report files' structure and that
 * the numbers agree with each other; what the numbers are is the model's business.
 */
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { evaluateCommand } from '../../extension/src/evaluation/command';
import { ExitCode } from '../../extension/src/cli/exitCodes';
import type { EvaluationReport } from '../../extension/src/evaluation/buildReport';
import { readDataset } from '../../extension/src/evaluation/dataset';

const REPO = path.resolve(__dirname, '../..');
const DATA = path.resolve(REPO, '../shared/data');
// One CT stack, one MR stack, one 8-bit CT key slice (single image), all in the dev split.
const SERIES = ['ibsi_sts_003_ct', 'chaos-02', 'dl_015_003599'];
/** A dev stack longer than fast mode's full-read limit (FULL_STACK_MAX_SLICES). */
const LONG_STACK = 'invesalius_head';

const trace = (m: number[][]) => m.reduce((a, row, i) => a + row[i], 0);
const total = (m: number[][]) => m.flat().reduce((a, b) => a + b, 0);
const inUnit = (v: number | null) => v === null || (v >= 0 && v <= 1);

describe('body-region evaluate', () => {
  let out: string;
  let report: EvaluationReport;
  let code: number;

  beforeAll(async () => {
    out = await fs.mkdtemp(path.join(os.tmpdir(), 'evaluate-'));
    code = await evaluateCommand(['--data', DATA, '--split', 'dev', '--series', SERIES.join(','), '--bootstrap', '200', '--out', out]);
    if (code === 0) report = JSON.parse(await fs.readFile(path.join(out, 'report.json'), 'utf8'));
  });
  afterAll(() => fs.rm(out, { recursive: true, force: true }));

  it('writes report.json, report.md and the confusion pictures', async () => {
    expect(code).toBe(0);
    const files = (await fs.readdir(out)).sort();
    expect(files).toEqual(['confusion-raw.svg', 'confusion.svg', 'predictions.csv', 'report.json', 'report.md']);
    const predictions = (await fs.readFile(path.join(out, 'predictions.csv'), 'utf8')).trim().split('\n');
    expect(predictions[0]).toBe('series,modality,subject,slice,truth,raw,decoded,raw_confidence');
    expect(predictions.length - 1).toBe(report.counts.images);
    const rawRight = predictions.slice(1).filter((line) => {
      const [, , , , truth, raw] = line.split(',');
      return truth === raw;
    }).length;
    expect(rawRight / report.counts.images).toBeCloseTo(report.imageAccuracy as number, 5);
    const md = await fs.readFile(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain(report.model.id);
    expect(md).toMatch(/BodyPartExamined tag with the truth: not available/);
    const svg = await fs.readFile(path.join(out, 'confusion.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain(`of ${report.counts.images} images on the diagonal`);
  });

  it('describes the shipped model and the data it evaluated', async () => {
    const manifest = JSON.parse(await fs.readFile(path.join(REPO, 'models/model.json'), 'utf8'));
    const onnx = await fs.readFile(path.join(REPO, 'models', manifest.file));
    expect(report.model.id).toBe(manifest.modelId);
    expect(report.model.version).toBe(manifest.version);
    expect(report.model.sha256).toBe(createHash('sha256').update(onnx).digest('hex'));
    const dataset = await readDataset(DATA);
    const selected = dataset.series.filter((s) => SERIES.includes(s.id));
    const images = selected.reduce((a, s) => a + s.slices, 0);
    expect(report.counts).toMatchObject({ series: 3, images, stacks: 2, singleImages: 1, eightBitCtSeries: 1 });
    expect(Object.keys(report.byModality).sort()).toEqual(['CT', 'MR']);
    expect(report.series.map((s) => s.id).sort()).toEqual([...SERIES].sort());
    expect(report.runtimeSeconds).toBeGreaterThan(0);
  });

  it('reports numbers in [0, 1] that agree with the confusion matrices', () => {
    const { raw, decoded } = report.confusion;
    expect(total(raw)).toBe(report.counts.images);
    expect(total(decoded)).toBe(report.counts.images);
    expect(report.imageAccuracy).toBeCloseTo(trace(raw) / total(raw), 5);
    expect(report.imageAccuracyDecoded).toBeCloseTo(trace(decoded) / total(decoded), 5);
    for (const v of [report.imageAccuracy, report.imageAccuracyDecoded, report.seriesExactMatch, report.macroF1Decoded]) {
      expect(inUnit(v)).toBe(true);
    }
    for (const m of Object.values(report.byModality)) expect(inUnit(m.accuracy) && inUnit(m.accuracyDecoded)).toBe(true);
    expect(report.perClass.reduce((a, c) => a + c.images, 0)).toBe(report.counts.images);
    report.perClass.forEach((c, k) => {
      expect(c.images).toBe(decoded[k].reduce((a, b) => a + b, 0));
      if (!c.validated) {
        expect(c.images).toBe(0);
        expect(report.notValidated).toContain(c.label);
        return;
      }
      expect(c.recall).toBeCloseTo(decoded[k][k] / c.images, 5);
      for (const v of [c.precision, c.recall, c.f1]) expect(inUnit(v)).toBe(true);
      for (const ci of [c.precisionCi, c.recallCi, c.f1Ci]) if (ci) expect(0 <= ci.low && ci.low <= ci.high && ci.high <= 1).toBe(true);
    });
    // Non-adjacent confusions are a subset of the errors.
    expect(report.nonAdjacentConfusions).toBeLessThanOrEqual(total(decoded) - trace(decoded));
    expect(report.nonAdjacentConfusionsRaw).toBeLessThanOrEqual(total(raw) - trace(raw));
    if (report.boundaryErrorMmMedian !== null) expect(report.boundaryErrorMmMedian).toBeGreaterThanOrEqual(0);
    expect(report.bodyPartExamined).toMatchObject({ available: false });
  });

  it('has every report.json field documented in docs/EVALUATION.md', async () => {
    const docs = await fs.readFile(path.join(REPO, 'docs/EVALUATION.md'), 'utf8');
    const undocumented = Object.keys(report).filter((key) => !docs.includes(`\`${key}\``));
    expect(undocumented).toEqual([]);
  });

  it("evaluates the engine's fast mode too: short stacks in full, a long stack only in part", async () => {
    const runFast = async (series: string[], name: string): Promise<EvaluationReport> => {
      const fastOut = path.join(out, name);
      const args = ['--data', DATA, '--split', 'dev', '--series', series.join(','), '--bootstrap', '0'];
      expect(await evaluateCommand([...args, '--mode', 'fast', '--out', fastOut])).toBe(0);
      return JSON.parse(await fs.readFile(path.join(fastOut, 'report.json'), 'utf8')) as EvaluationReport;
    };
    // SERIES holds stacks of 17 and 7 slices and a single image: fast mode classifies them all.
    const short = await runFast(SERIES, 'fast-short');
    expect(short.data.mode).toBe('fast');
    expect(report.data.mode).toBe('exhaustive');
    expect(report.counts.imagesClassified).toBe(report.counts.images);
    expect(short.counts.images).toBe(report.counts.images);
    expect(short.counts.imagesClassified).toBe(short.counts.images);
    expect(short.imageAccuracyCi).toBeNull();
    expect(inUnit(short.imageAccuracyDecoded)).toBe(true);
    // A 108-slice head CT is sampled and refined at its boundaries, not read in full.
    const long = await runFast([LONG_STACK], 'fast-long');
    expect(long.counts.images).toBe(108);
    expect(long.counts.imagesClassified).toBeLessThan(long.counts.images);
    expect(long.counts.imagesClassified).toBeGreaterThan(0);
    expect(inUnit(long.imageAccuracyDecoded)).toBe(true);
  });

  it('answers bad arguments, unknown series and a missing model with the CLI exit codes', async () => {
    expect(await evaluateCommand(['--split', 'dev'])).toBe(ExitCode.Usage);
    expect(await evaluateCommand(['--data', DATA, '--split', 'sometimes'])).toBe(ExitCode.Usage);
    expect(await evaluateCommand(['--data', DATA, '--series', 'no-such-series', '--out', out])).toBe(ExitCode.NothingFound);
    const noModel = path.join(out, 'no-model');
    expect(await evaluateCommand(['--data', DATA, '--series', SERIES[0], '--model', noModel, '--out', noModel])).toBe(ExitCode.ModelFailed);
  });
});
