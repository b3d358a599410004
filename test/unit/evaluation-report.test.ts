import { buildReport, ReportContext, splitSeenInTraining } from '../../extension/src/evaluation/buildReport';
import type { SeriesRecord } from '../../extension/src/evaluation/dataset';
import type { SeriesOutcome } from '../../extension/src/evaluation/outcome';
import { adjacencyFromPairs } from '../../extension/src/evaluation/metrics/adjacency';
import { confusionSvg } from '../../extension/src/evaluation/report/confusionSvg';
import { reportMarkdown } from '../../extension/src/evaluation/report/markdown';
import labelsFile from '../../models/labels.json';

const LABELS = labelsFile.labels.map((l) => l.name);

function record(id: string, over: Partial<SeriesRecord>): SeriesRecord {
  return {
    id,
    modality: 'CT',
    subject: id,
    source: 'src',
    manufacturer: 'GE',
    model: '',
    institution: '',
    orientation: 'axial',
    slices: 1,
    rows: 4,
    cols: 4,
    rowMm: 1,
    colMm: 1,
    sliceMm: 5,
    split: 'dev',
    kind: 'slice-stack',
    notes: '',
    volumePath: `/nowhere/${id}.nii.gz`,
    sliceLabels: [],
    ...over,
  };
}

function outcome(id: string, truth: string[], raw: string[], decoded: string[], over: Partial<SeriesRecord> = {}): SeriesOutcome {
  const series = record(id, { slices: truth.length, sliceLabels: truth, ...over });
  const isStack = series.kind !== 'single' && truth.length >= 2;
  return {
    series,
    isStack,
    positionsMm: series.sliceMm === null ? null : truth.map((_, k) => k * (series.sliceMm as number)),
    eightBitRemapped: false,
    truth,
    raw,
    classified: truth.map(() => true),
    decoded,
    rawConfidence: truth.map(() => 0.9),
  };
}

const context = (over: Partial<ReportContext> = {}): ReportContext => ({
  model: {
    id: 'test-model',
    version: '0.0.1',
    file: 'm.onnx',
    sha256: 'ab'.repeat(32),
    inputSize: 64,
    preprocessing: 'br-pre-1',
    trainedOn: 'train',
  },
  data: { path: '/data', folders: ['ct', 'mr'], split: 'dev', modality: null, seriesFilter: null, mode: 'exhaustive' },
  createdAt: '2026-11-27T12:00:00.000Z',
  runtimeSeconds: 2,
  bootstrap: { reps: 200, seed: 5 },
  adjacency: {
    test: adjacencyFromPairs([
      ['PELVIS', 'ABDOMEN'],
      ['ABDOMEN', 'CHEST'],
    ]),
    source: 'test table',
  },
  hasBodyPartExamined: false,
  ...over,
});

// Series 1 (CT, subject A): 4 slices, PELVIS PELVIS ABDOMEN ABDOMEN, 5 mm apart.
//   raw     PELVIS ABDOMEN ABDOMEN ABDOMEN (1 error), decoded PELVIS PELVIS PELVIS ABDOMEN (1 error, boundary 5 mm off)
// Series 2 (CT, subject B): single CHEST image predicted HEAD (non-adjacent).
// Series 3 (MR, subject A): 2 slices KNEE KNEE, all right.
const outcomes = [
  outcome(
    's1',
    ['PELVIS', 'PELVIS', 'ABDOMEN', 'ABDOMEN'],
    ['PELVIS', 'ABDOMEN', 'ABDOMEN', 'ABDOMEN'],
    ['PELVIS', 'PELVIS', 'PELVIS', 'ABDOMEN'],
    { subject: 'A' },
  ),
  outcome('s2', ['CHEST'], ['HEAD'], ['HEAD'], { subject: 'B', kind: 'single', sliceMm: null, manufacturer: '' }),
  outcome('s3', ['KNEE', 'KNEE'], ['KNEE', 'KNEE'], ['KNEE', 'KNEE'], {
    subject: 'A',
    modality: 'MR',
    manufacturer: 'SIEMENS',
    sliceMm: 1,
  }),
];

describe('evaluation report', () => {
  const r = buildReport(outcomes, LABELS, context());

  it('scores images raw and decoded, overall and per modality', () => {
    expect(r.counts).toMatchObject({ series: 3, stacks: 2, singleImages: 1, images: 7, imagesClassified: 7, subjects: 2 });
    expect(r.imageAccuracy).toBeCloseTo(5 / 7, 12);
    expect(r.imageAccuracyDecoded).toBeCloseTo(5 / 7, 12);
    expect(r.byModality.CT).toMatchObject({ series: 2, images: 5, subjects: 2 });
    expect(r.byModality.CT.accuracy).toBeCloseTo(3 / 5, 12);
    expect(r.byModality.MR.accuracyDecoded).toBe(1);
    // accuracy is the trace over the total of the confusion matrix
    const trace = r.confusion.decoded.reduce((a, row, i) => a + row[i], 0);
    const total = r.confusion.decoded.flat().reduce((a, b) => a + b, 0);
    expect(trace / total).toBeCloseTo(r.imageAccuracyDecoded as number, 12);
  });

  it('reports per class scores with support in images and subjects, and marks unseen classes', () => {
    const pelvis = r.perClass.find((c) => c.label === 'PELVIS')!;
    // decoded: PELVIS predicted 3 times, 2 right; 2 true PELVIS images, both right
    expect(pelvis).toMatchObject({ validated: true, images: 2, subjects: 1, predicted: 3, recall: 1 });
    expect(pelvis.precision).toBeCloseTo(2 / 3, 12);
    expect(pelvis.f1).toBeCloseTo(0.8, 12);
    expect(pelvis.raw.recall).toBe(0.5);
    const head = r.perClass.find((c) => c.label === 'HEAD')!;
    expect(head).toMatchObject({ validated: false, precision: null, predicted: 1 });
    expect(r.notValidated).toContain('HEAD');
    expect(r.notValidated).not.toContain('KNEE');
    for (const c of r.perClass.filter((x) => x.validated)) {
      for (const ci of [c.precisionCi, c.recallCi, c.f1Ci]) {
        if (ci) {
          expect(ci.low).toBeGreaterThanOrEqual(0);
          expect(ci.high).toBeLessThanOrEqual(1);
          expect(ci.low).toBeLessThanOrEqual(ci.high);
        }
      }
    }
  });

  it('measures series-level agreement, boundaries and non-adjacent confusions', () => {
    expect(r.seriesExactMatch).toBeCloseTo(2 / 3, 12); // s1 and s3 have the right set of regions
    expect(r.seriesExactMatchStacks).toBe(1);
    expect(r.boundaryErrorMmMedian).toBe(5);
    expect(r.boundaries).toEqual({ seriesMeasured: 2, seriesWithoutSpacing: 0, trueBoundaries: 1, matched: 1, missed: 0, spurious: 0 });
    expect(r.nonAdjacentConfusions).toBe(1);
    expect(r.nonAdjacent.decoded.pairs).toEqual([{ truth: 'CHEST', predicted: 'HEAD', images: 1 }]);
    expect(r.bodyPartExamined).toEqual({ available: false, note: expect.stringContaining('not available') });
  });

  it('breaks accuracy down by vendor, orientation, thickness and source', () => {
    expect(r.breakdowns.manufacturer.map((b) => [b.key, b.images])).toEqual([
      ['GE', 4],
      ['Siemens', 2],
      ['unknown', 1],
    ]);
    expect(r.breakdowns.sliceThickness.map((b) => b.key).sort()).toEqual(['<=1.5 mm', '<=5 mm', 'unknown']);
  });

  it('compares a BodyPartExamined tag with the truth when the data has one', () => {
    const tagged = [
      outcome('t1', ['CHEST', 'ABDOMEN'], ['CHEST', 'ABDOMEN'], ['CHEST', 'ABDOMEN'], { bodyPartExamined: 'CHEST' }),
      outcome('t2', ['KNEE'], ['KNEE'], ['KNEE'], { bodyPartExamined: 'knee', kind: 'single' }),
    ];
    const t = buildReport(tagged, LABELS, context({ hasBodyPartExamined: true }));
    // t1: tag CHEST, truth CHEST+ABDOMEN → partial; t2: tag knee, truth KNEE → agree; the model is right on both.
    expect(t.bodyPartExamined).toEqual({
      available: true,
      series: 2,
      tagAgreesWithTruth: 0.5,
      tagPartlyAgreesWithTruth: 0.5,
      modelAgreesWithTruth: 1,
    });
  });

  it('says whether the evaluated split was in the training data, and warns in the markdown', () => {
    expect(r.splitSeenInTraining).toBe(false);
    expect(splitSeenInTraining('dev', 'all')).toBe(true);
    expect(splitSeenInTraining('test', 'all')).toBe(false);
    expect(splitSeenInTraining('all', 'train')).toBe(true);
    expect(splitSeenInTraining('train', null)).toBe(true);
    expect(splitSeenInTraining('dev', null)).toBeNull();
    expect(reportMarkdown(r)).not.toContain("part of the model's training data");
    const seen = buildReport(outcomes, LABELS, context({ model: { ...context().model, trainedOn: 'all' } }));
    expect(seen.splitSeenInTraining).toBe(true);
    expect(reportMarkdown(seen)).toContain("part of the model's training data");
  });

  it('refuses labels the model does not know', () => {
    expect(() => buildReport([outcome('x', ['ELBOWS'], ['HEAD'], ['HEAD'])], LABELS, context())).toThrow(/ELBOWS/);
  });

  it('writes markdown and an SVG matrix from the report', () => {
    const md = reportMarkdown(r);
    expect(md).toContain('test-model');
    expect(md).toContain('| HEAD | 0 | 0 | not validated (predicted for 1 images)');
    expect(md).toContain('not available');
    const svg = confusionSvg(r.confusion.labels, r.confusion.decoded, 'title <&>');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('title &lt;&amp;&gt;');
    expect(svg).toContain('5 of 7 images on the diagonal');
    // only classes that occur are drawn: PELVIS ABDOMEN CHEST HEAD KNEE
    expect((svg.match(/text-anchor="end"/g) ?? []).length).toBe(5);
  });
});
