/**
 * The fast (coarse-to-fine) region map equals the exhaustive decoded map on every stack of the dev
 * data, with the shipped model: the same regions in the same order, each boundary within one slice.
 * Prints how many frames the fast mode classified.
 */
import * as path from 'path';
import { loadModelFromDir } from '../../extension/src/engine/infer/loadModelNode';
import type { BodyRegionModel } from '../../extension/src/engine/infer/BodyRegionModel';
import { classifySeriesVolume } from '../../extension/src/evaluation/classifyVolumes';
import { readDataset, selectSeries, type SeriesRecord } from '../../extension/src/evaluation/dataset';
import { REPO_ROOT, SHARED_DATA } from '../helpers/repoPaths';

interface Run {
  label: string;
  first: number;
}

function runsOf(labels: readonly string[]): Run[] {
  const runs: Run[] = [];
  labels.forEach((label, k) => {
    if (runs.length === 0 || runs[runs.length - 1].label !== label) runs.push({ label, first: k });
  });
  return runs;
}

/** Why two maps differ, or null when they have the same regions and boundaries within one slice. */
export function mapDifference(exhaustive: readonly string[], fast: readonly string[]): string | null {
  const a = runsOf(exhaustive);
  const b = runsOf(fast);
  const names = (runs: Run[]) => runs.map((r) => r.label).join(' > ');
  if (names(a) !== names(b)) return `regions ${names(a)} vs ${names(b)}`;
  const shifted = a.find((run, i) => Math.abs(run.first - b[i].first) > 1);
  return shifted ? `${shifted.label} starts at ${shifted.first} vs ${b[a.indexOf(shifted)].first}` : null;
}

test('mapDifference can tell maps apart', () => {
  expect(mapDifference(['A', 'A', 'B', 'B'], ['A', 'A', 'A', 'B'])).toBeNull();
  expect(mapDifference(['A', 'A', 'B', 'B', 'B'], ['A', 'A', 'A', 'A', 'B'])).toMatch(/B starts at 2 vs 4/);
  expect(mapDifference(['A', 'B'], ['A', 'C'])).toMatch(/regions/);
});

describe('on every dev stack', () => {
  let model: BodyRegionModel;
  let stacks: SeriesRecord[];

  beforeAll(async () => {
    model = await loadModelFromDir(path.join(REPO_ROOT, 'models'));
    const dataset = await readDataset(SHARED_DATA);
    stacks = selectSeries(dataset.series, { split: 'dev' }).filter((s) => s.kind === 'slice-stack' && s.slices > 1);
  }, 60000);

  afterAll(async () => model?.dispose());

  test('fast map equals the exhaustive map', async () => {
    expect(stacks.length).toBeGreaterThan(10);
    const differences: string[] = [];
    let slices = 0;
    let classified = 0;
    for (const series of stacks) {
      const exhaustive = await classifySeriesVolume(series, model, { mode: 'exhaustive' });
      const fast = await classifySeriesVolume(series, model, { mode: 'fast' });
      const why = mapDifference(exhaustive.decoded, fast.decoded);
      if (why) differences.push(`${series.id}: ${why}`);
      slices += series.slices;
      classified += fast.classified.filter(Boolean).length;
    }
    console.log(
      `fast mode classified ${classified} of ${slices} slices (${((100 * classified) / slices).toFixed(1)} %) over ${stacks.length} dev stacks`,
    );
    expect(differences).toEqual([]);
  }, 300000);
});
