import { coarseToFine, decodeSparse, DEFAULT_SAMPLE_MM } from '../../extension/src/engine/decode/coarseToFine';
import { decodeSequence } from '../../extension/src/engine/decode/decodeSequence';
import { LABEL_NAMES, runs, syntheticProbabilities } from '../helpers/synthetic';

/** Runs fast mode against a fixed per-slice probability table, counting what it asks for. */
async function fastVersusExhaustive(probs: number[][], spacing: number, sampleMm = DEFAULT_SAMPLE_MM) {
  const positions = probs.map((_, i) => i * spacing);
  const exhaustive = decodeSequence(probs, LABEL_NAMES, positions).labels;
  const asked: number[] = [];
  const fast = await coarseToFine({
    n: probs.length,
    positionsMm: positions,
    labelNames: LABEL_NAMES,
    sampleMm,
    classify: async (indices) => {
      asked.push(...indices);
      return indices.map((i) => probs[i]);
    },
  });
  const offByMoreThanOne = fast.labels.filter(
    (label, i) => label !== exhaustive[i] && exhaustive[i - 1] !== label && exhaustive[i + 1] !== label,
  );
  return { exhaustive, fast, asked, offByMoreThanOne };
}

describe('coarseToFine (fast mode) against exhaustive decoding', () => {
  const trunk = runs([
    ['HEAD', 80],
    ['NECK', 50],
    ['CHEST', 120],
    ['ABDOMEN', 80],
    ['PELVIS', 70],
    ['THIGH', 100],
  ]);

  test.each([
    ['clean, 2.5 mm', syntheticProbabilities(trunk), 2.5],
    ['noisy (peak 0.55, 10 % wrong slices), 2.5 mm', syntheticProbabilities(trunk, { peak: 0.55, flipRate: 0.1, seed: 5 }), 2.5],
    ['superior → inferior, 1 mm', syntheticProbabilities([...trunk].reverse(), { peak: 0.7, flipRate: 0.05, seed: 9 }), 1],
    [
      'few thick slices, 7 mm',
      syntheticProbabilities(
        runs([
          ['CHEST', 30],
          ['ABDOMEN', 25],
          ['PELVIS', 20],
        ]),
        { peak: 0.7, flipRate: 0.1, seed: 2 },
      ),
      7,
    ],
  ])('%s: same map within one slice, a fraction of the slices', async (_name, probs, spacing) => {
    const { asked, offByMoreThanOne, fast, exhaustive } = await fastVersusExhaustive(probs, spacing);
    expect(offByMoreThanOne).toEqual([]);
    expect(new Set(fast.labels)).toEqual(new Set(exhaustive));
    expect(new Set(asked).size).toBe(asked.length); // never asks twice
    expect(fast.attempted).toBe(asked.length);
    if (probs.length > 200) expect(asked.length).toBeLessThan(0.2 * probs.length);
    console.log(`${_name}: fast mode classified ${asked.length} of ${probs.length} slices`);
  });

  test('boundaries are bisected down to adjacent slices', async () => {
    const truth = runs([
      ['CHEST', 137],
      ['ABDOMEN', 163],
    ]);
    const { fast, asked } = await fastVersusExhaustive(syntheticProbabilities(truth), 1);
    expect(fast.labels).toEqual(truth);
    expect(asked).toEqual(expect.arrayContaining([136, 137]));
  });

  test('a short region cut off by the end of the stack is found', async () => {
    const truth = runs([
      ['ABDOMEN', 23],
      ['CHEST', 26],
      ['NECK', 2],
    ]);
    const { fast, exhaustive } = await fastVersusExhaustive(syntheticProbabilities(truth, { peak: 0.9 }), 6);
    expect(exhaustive).toEqual(truth);
    expect(fast.labels).toEqual(truth);
  });

  test('a short stack is classified in full, so a region between two samples is not lost', async () => {
    // 16 slices of 7 mm: samples every 7 slices plus three at each end would skip slices 8-10.
    const truth = runs([
      ['THIGH', 8],
      ['KNEE', 3],
      ['THIGH', 5],
    ]);
    const { fast, exhaustive, asked } = await fastVersusExhaustive(syntheticProbabilities(truth, { peak: 0.95 }), 7);
    expect(exhaustive).toEqual(truth);
    expect(fast.labels).toEqual(exhaustive);
    expect([...asked].sort((a, b) => a - b)).toEqual(truth.map((_, i) => i));
  });

  test('a failed sample is replaced by its neighbour', async () => {
    const truth = runs([
      ['PELVIS', 40],
      ['THIGH', 60],
    ]);
    const probs = syntheticProbabilities(truth);
    const result = await coarseToFine({
      n: truth.length,
      positionsMm: truth.map((_, i) => i * 5),
      labelNames: LABEL_NAMES,
      classify: async (indices) => indices.map((i) => (i === 0 || i === 42 ? null : probs[i])),
    });
    expect([...result.failed].sort((a, b) => a - b)).toEqual(expect.arrayContaining([0]));
    expect(result.known.has(1)).toBe(true);
    expect(result.labels).toEqual(truth);
  });

  test('decodeSparse fills unclassified slices from the nearer classified neighbour', () => {
    const probs = syntheticProbabilities(['KNEE', 'LOWER_LEG']);
    const known = new Map([
      [0, probs[0]],
      [4, probs[1]],
    ]);
    const out = decodeSparse(6, [0, 1, 2, 3, 4, 5], LABEL_NAMES, known);
    expect(out.labels).toEqual(['KNEE', 'KNEE', 'KNEE', 'LOWER_LEG', 'LOWER_LEG', 'LOWER_LEG']);
    expect(decodeSparse(3, null, LABEL_NAMES, new Map()).labels).toEqual([null, null, null]);
  });
});
