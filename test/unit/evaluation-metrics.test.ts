import { accuracyOf, confusionMatrix, confusionTotal, confusionTrace } from '../../extension/src/evaluation/metrics/confusion';
import { classScores, macroF1 } from '../../extension/src/evaluation/metrics/classMetrics';
import { median, quantile } from '../../extension/src/evaluation/metrics/quantile';
import { bootstrapIntervals } from '../../extension/src/evaluation/metrics/bootstrap';
import { seededRandom } from '../../extension/src/evaluation/metrics/random';
import { boundariesOf, matchBoundaries } from '../../extension/src/evaluation/metrics/boundaries';
import { breakdown, thicknessBucket, vendorOf } from '../../extension/src/evaluation/metrics/breakdown';
import { adjacencyFromPairs, nonAdjacentConfusions } from '../../extension/src/evaluation/metrics/adjacency';

describe('confusion matrix and class scores', () => {
  // truth:     0 0 0 1 1 2
  // predicted: 0 0 1 1 2 2
  const cm = confusionMatrix([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], 3);

  it('counts truth in rows and predictions in columns', () => {
    expect(cm).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect(confusionTotal(cm)).toBe(6);
    expect(confusionTrace(cm)).toBe(4);
    expect(accuracyOf(cm)).toBeCloseTo(4 / 6, 12);
  });

  it('gives precision, recall and F1 per class', () => {
    // class 1: TP 1, predicted 2 (rows 0 and 1), support 2
    expect(classScores(cm, 1)).toEqual({ truePositives: 1, support: 2, predicted: 2, precision: 0.5, recall: 0.5, f1: 0.5 });
    // class 0: TP 2, predicted 2, support 3 → P 1, R 2/3, F1 = 4/5
    const c0 = classScores(cm, 0);
    expect(c0.precision).toBe(1);
    expect(c0.recall).toBeCloseTo(2 / 3, 12);
    expect(c0.f1).toBeCloseTo(0.8, 12);
    // class 2: TP 1, predicted 2, support 1 → P 0.5, R 1, F1 2/3
    expect(classScores(cm, 2).f1).toBeCloseTo(2 / 3, 12);
    expect(macroF1(cm)).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
  });

  it('leaves undefined ratios null and refuses bad input', () => {
    const none = confusionMatrix([0, 0], [0, 0], 2);
    expect(classScores(none, 1)).toMatchObject({ precision: null, recall: null, f1: null });
    expect(accuracyOf(confusionMatrix([], [], 2))).toBeNull();
    expect(() => confusionMatrix([0], [0, 1], 2)).toThrow(/length/);
    expect(() => confusionMatrix([2], [0], 2)).toThrow(/range/);
  });
});

describe('quantiles', () => {
  it('interpolates linearly between order statistics', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(quantile([0, 10], 0.9)).toBeCloseTo(9, 12);
    expect(quantile([1, 2, 3, 4, 5], 0.9)).toBeCloseTo(4.6, 12);
    expect(quantile([], 0.5)).toBeNull();
  });
});

describe('bootstrap over groups', () => {
  it('is reproducible with a seed and differs with another seed', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const c = seededRandom(8);
    const xs = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(xs);
    expect(c()).not.toBe(xs[0]);
    xs.forEach((x) => expect(x >= 0 && x < 1).toBe(true));
  });

  it('gives a zero-width interval when every group has the same value', () => {
    const [i] = bootstrapIntervals([5, 5, 5], (s) => [s.reduce((x, y) => x + y, 0) / s.length], { reps: 200, seed: 1 });
    expect(i).toEqual({ low: 5, high: 5 });
  });

  it('brackets the mean of two distinct groups within their range', () => {
    // Groups 0 and 1, mean of the resample: values k/2 for k in 0..2 → interval spans the extremes.
    const [i] = bootstrapIntervals([0, 1], (s) => [(s[0] + s[1]) / 2], { reps: 2000, seed: 3 });
    expect(i).toEqual({ low: 0, high: 1 });
    // With many groups the interval of the mean is narrow around 0.5.
    const groups = Array.from({ length: 400 }, (_, k) => k % 2);
    const [j] = bootstrapIntervals(groups, (s) => [s.reduce((x, y) => x + y, 0) / s.length], { reps: 500, seed: 3 });
    expect(j!.low).toBeGreaterThan(0.4);
    expect(j!.high).toBeLessThan(0.6);
    expect(j!.low).toBeLessThan(0.5);
    expect(j!.high).toBeGreaterThan(0.5);
  });

  it('skips replicates where a statistic is undefined, and reports null when it never is', () => {
    const out = bootstrapIntervals([1, 2], (s) => [null, s.includes(2) ? 2 : null], { reps: 50, seed: 1 });
    expect(out[0]).toBeNull();
    expect(out[1]).toEqual({ low: 2, high: 2 });
  });
});

describe('boundaries', () => {
  const positions = [0, 5, 10, 15, 20, 25];

  it('puts a boundary halfway between differing neighbours', () => {
    expect(boundariesOf(['PELVIS', 'PELVIS', 'ABDOMEN', 'ABDOMEN', 'CHEST', 'CHEST'], positions)).toEqual([
      { from: 'PELVIS', to: 'ABDOMEN', positionMm: 7.5 },
      { from: 'ABDOMEN', to: 'CHEST', positionMm: 17.5 },
    ]);
  });

  it('matches each true boundary to the nearest predicted one of the same pair', () => {
    const truth = boundariesOf(['PELVIS', 'PELVIS', 'ABDOMEN', 'ABDOMEN', 'CHEST', 'CHEST'], positions);
    const predicted = boundariesOf(['PELVIS', 'PELVIS', 'PELVIS', 'ABDOMEN', 'ABDOMEN', 'NECK'], positions);
    const m = matchBoundaries(truth, predicted);
    expect(m.errorsMm).toEqual([5]); // PELVIS→ABDOMEN at 7.5 true, 12.5 predicted
    expect(m.missed).toEqual([{ from: 'ABDOMEN', to: 'CHEST', positionMm: 17.5 }]);
    expect(m.spurious).toEqual([{ from: 'ABDOMEN', to: 'NECK', positionMm: 22.5 }]);
  });
});

describe('breakdowns', () => {
  it('groups images and scores each group', () => {
    const images = [
      { seriesId: 'a', subject: 's1', truth: 0, raw: 0, decoded: 0, vendor: 'GE' },
      { seriesId: 'a', subject: 's1', truth: 0, raw: 1, decoded: 0, vendor: 'GE' },
      { seriesId: 'b', subject: 's2', truth: 1, raw: 1, decoded: 0, vendor: 'GE' },
      { seriesId: 'c', subject: 's3', truth: 1, raw: 0, decoded: 0, vendor: 'Siemens' },
    ];
    expect(breakdown(images, (i) => i.vendor)).toEqual([
      { key: 'GE', images: 3, subjects: 2, series: 2, accuracy: 2 / 3, accuracyDecoded: 2 / 3 },
      { key: 'Siemens', images: 1, subjects: 1, series: 1, accuracy: 0, accuracyDecoded: 0 },
    ]);
  });

  it('buckets slice thickness and vendors', () => {
    expect([1, 1.5, 2, 3, 4, 5, 9.81, null].map(thicknessBucket)).toEqual([
      '<=1.5 mm',
      '<=1.5 mm',
      '<=3 mm',
      '<=3 mm',
      '<=5 mm',
      '<=5 mm',
      '>5 mm',
      'unknown',
    ]);
    expect(['GE MEDICAL SYSTEMS', 'GE', 'Philips Medical Systems', 'SIEMENS', '', 'Acme'].map(vendorOf)).toEqual([
      'GE',
      'GE',
      'Philips',
      'Siemens',
      'unknown',
      'Acme',
    ]);
  });
});

describe('non-adjacent confusions', () => {
  const adjacent = adjacencyFromPairs([
    ['HEAD', 'NECK'],
    ['NECK', 'CHEST'],
  ]);
  it('counts only errors between regions that do not touch', () => {
    const s = nonAdjacentConfusions(
      [
        { truth: 'HEAD', predicted: 'HEAD' },
        { truth: 'HEAD', predicted: 'NECK' },
        { truth: 'CHEST', predicted: 'NECK' },
        { truth: 'HEAD', predicted: 'CHEST' },
        { truth: 'HEAD', predicted: 'CHEST' },
        { truth: 'CHEST', predicted: 'OTHER' },
      ],
      adjacent,
    );
    expect(s.images).toBe(3);
    expect(s.pairs).toEqual([
      { truth: 'HEAD', predicted: 'CHEST', images: 2 },
      { truth: 'CHEST', predicted: 'OTHER', images: 1 },
    ]);
  });
});
