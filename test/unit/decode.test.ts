import { decodeSequence, jumpMatrix, switchProbability, toSegments } from '../../extension/src/engine/decode/decodeSequence';
import { buildStacks } from '../../extension/src/engine/geometry/buildStacks';
import { axialSeries } from '../helpers/frames';
import { LABEL_NAMES, runs, syntheticProbabilities } from '../helpers/synthetic';

const positions = (n: number, spacing: number) => Array.from({ length: n }, (_, i) => i * spacing);

function boundaryErrors(decoded: string[], truth: string[]): number {
  // Count wrong slices that are more than one slice away from a true boundary.
  let errors = 0;
  truth.forEach((label, i) => {
    if (decoded[i] === label) return;
    const nearBoundary = truth[i - 1] !== label || truth[i + 1] !== label;
    if (!nearBoundary) errors++;
  });
  return errors;
}

describe('decodeSequence', () => {
  test('clean probabilities decode to the truth', () => {
    const truth = runs([
      ['NECK', 8],
      ['CHEST', 30],
      ['ABDOMEN', 25],
      ['PELVIS', 20],
    ]);
    const out = decodeSequence(syntheticProbabilities(truth), LABEL_NAMES, positions(truth.length, 5));
    expect(out.labels).toEqual(truth);
    expect(out.confidence.every((c) => c > 0 && c <= 1)).toBe(true);
  });

  test('noisy probabilities (25 % wrong slices) are smoothed to the truth, ±1 slice at boundaries', () => {
    const truth = runs([
      ['HEAD', 30],
      ['NECK', 25],
      ['CHEST', 60],
      ['ABDOMEN', 45],
      ['PELVIS', 40],
      ['THIGH', 30],
    ]);
    const noisy = syntheticProbabilities(truth, { peak: 0.6, flipRate: 0.25, seed: 7 });
    const argmax = noisy.map((row) => LABEL_NAMES[row.indexOf(Math.max(...row))]);
    const rawErrors = argmax.filter((l, i) => l !== truth[i]).length;
    expect(rawErrors).toBeGreaterThan(30); // the test is about real noise
    const out = decodeSequence(noisy, LABEL_NAMES, positions(truth.length, 3));
    expect(boundaryErrors(out.labels, truth)).toBe(0);
  });

  test('works in either direction (superior → inferior stacks)', () => {
    const truth = runs([
      ['PELVIS', 20],
      ['ABDOMEN', 25],
      ['CHEST', 30],
    ]);
    const reversed = [...truth].reverse();
    const noisyReversed = syntheticProbabilities(reversed, { peak: 0.6, flipRate: 0.2, seed: 3 });
    const out = decodeSequence(noisyReversed, LABEL_NAMES, positions(truth.length, 5));
    expect(boundaryErrors(out.labels, reversed)).toBe(0);
  });

  test('a confident spike of a non-adjacent region is smoothed away', () => {
    const truth = runs([['CHEST', 40]]);
    const probs = syntheticProbabilities(truth);
    probs[20] = probs[20].map(() => 0.001);
    probs[20][LABEL_NAMES.indexOf('FOOT')] = 0.98;
    const out = decodeSequence(probs, LABEL_NAMES, positions(40, 2));
    expect(out.labels).toEqual(truth);
    expect(out.confidence[20]).toBeLessThan(out.confidence[5]);
  });

  test('a real short adjacent region survives', () => {
    const truth = runs([
      ['CHEST', 30],
      ['ABDOMEN', 4],
    ]);
    const out = decodeSequence(syntheticProbabilities(truth, { peak: 0.9 }), LABEL_NAMES, positions(truth.length, 5));
    expect(out.labels).toEqual(truth);
  });

  test('accepts a flat Float32Array and no positions', () => {
    const truth = runs([
      ['KNEE', 10],
      ['LOWER_LEG', 10],
    ]);
    const flat = Float32Array.from(syntheticProbabilities(truth).flat());
    expect(decodeSequence(flat, LABEL_NAMES, null).labels).toEqual(truth);
    expect(decodeSequence(new Float32Array(0), LABEL_NAMES, null)).toEqual({ labels: [], confidence: [] });
    expect(() => decodeSequence(new Float32Array(7), LABEL_NAMES, null)).toThrow(/multiple/);
  });

  test('a NaN row (broken model output) does not break the decoding', () => {
    const truth = runs([['CHEST', 10]]);
    const probs = syntheticProbabilities(truth);
    probs[4] = probs[4].map(() => NaN);
    const out = decodeSequence(probs, LABEL_NAMES, positions(10, 5));
    expect(out.labels).toEqual(truth);
    expect(out.confidence.every(Number.isFinite)).toBe(true);
  });

  test('switch probability grows with slice distance; jumps favour adjacent regions', () => {
    expect(switchProbability('CHEST', 1)).toBeLessThan(switchProbability('CHEST', 10));
    const jump = jumpMatrix(LABEL_NAMES);
    const k = LABEL_NAMES.length;
    const at = (a: string, b: string) => jump[LABEL_NAMES.indexOf(a) * k + LABEL_NAMES.indexOf(b)];
    expect(at('CHEST', 'ABDOMEN')).toBeGreaterThan(at('CHEST', 'OTHER'));
    expect(at('CHEST', 'OTHER')).toBeGreaterThan(at('CHEST', 'FOOT'));
    expect(at('ABDOMEN', 'CHEST')).toBeCloseTo(at('ABDOMEN', 'PELVIS'), 12);
    expect(at('OTHER', 'HEAD')).toBeGreaterThan(0);
    for (let i = 0; i < k; i++) {
      let sum = 0;
      for (let j = 0; j < k; j++) sum += jump[i * k + j];
      expect(sum).toBeCloseTo(1, 12);
    }
  });
});

describe('toSegments', () => {
  test('runs of labels with mm extents, confidence and the first image', () => {
    const [stack] = buildStacks(axialSeries([0, 5, 10, 15, 20, 25]));
    const decoded = {
      labels: ['PELVIS', 'PELVIS', 'ABDOMEN', 'ABDOMEN', 'ABDOMEN', 'CHEST'],
      confidence: [0.9, 0.7, 0.5, 1, 0.9, 0.6],
    };
    const segments = toSegments(stack, decoded);
    expect(segments.map((s) => [s.label, s.firstIndex, s.lastIndex, s.startMm, s.endMm, s.lengthMm])).toEqual([
      ['PELVIS', 0, 1, 0, 5, 10],
      ['ABDOMEN', 2, 4, 10, 20, 15],
      ['CHEST', 5, 5, 25, 25, 5],
    ]);
    expect(segments[0].confidence).toBeCloseTo(0.8, 12);
    expect(segments[1].firstSopInstanceUID).toBe('sop.3');
    expect(segments[1].firstFrameNumber).toBe(1);
  });
});
