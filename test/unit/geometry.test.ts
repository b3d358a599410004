import { buildStacks, orientationOf } from '../../extension/src/engine/geometry/buildStacks';
import { axialSeries, CORONAL_IOP, makeFrame, SAGITTAL_IOP } from '../helpers/frames';

const uids = (frames: { sopInstanceUID: string }[]) => frames.map((f) => f.sopInstanceUID);

describe('buildStacks', () => {
  test('sorts an axial stack inferior → superior and measures spacing', () => {
    // Archive order shuffled on purpose.
    const frames = axialSeries([10, 0, 20, 5, 15]);
    const [stack] = buildStacks(frames);
    expect(stack.kind).toBe('stack');
    expect(stack.orientation).toBe('axial');
    expect(stack.positionsMm).toEqual([0, 5, 10, 15, 20]);
    expect(uids(stack.frames)).toEqual(['sop.2', 'sop.4', 'sop.1', 'sop.5', 'sop.3']);
    expect(stack.spacingMm).toBe(5);
    expect(stack.qc).toEqual({ reversed: false, irregularSpacing: false, gapsAfter: [], duplicatesDropped: 0 });
  });

  test('flags instance numbers that run superior → inferior as reversed', () => {
    const frames = axialSeries([40, 30, 20, 10, 0]);
    const [stack] = buildStacks(frames);
    expect(stack.positionsMm).toEqual([0, 10, 20, 30, 40]);
    expect(uids(stack.frames)).toEqual(['sop.5', 'sop.4', 'sop.3', 'sop.2', 'sop.1']);
    expect(stack.qc.reversed).toBe(true);
  });

  test('finds gaps and irregular spacing', () => {
    const [stack] = buildStacks(axialSeries([0, 2, 4, 6, 20, 22, 24]));
    expect(stack.spacingMm).toBe(2);
    expect(stack.qc.gapsAfter).toEqual([3]);
    expect(stack.qc.irregularSpacing).toBe(true);
    const [mild] = buildStacks(axialSeries([0, 2, 4.1, 6, 8]));
    expect(mild.qc.gapsAfter).toEqual([]);
    expect(mild.qc.irregularSpacing).toBe(false);
  });

  test('drops duplicate positions and keeps the first in archive order', () => {
    const [stack] = buildStacks(axialSeries([0, 5, 5, 10, 10, 15]));
    expect(stack.positionsMm).toEqual([0, 5, 10, 15]);
    expect(uids(stack.frames)).toEqual(['sop.1', 'sop.2', 'sop.4', 'sop.6']);
    expect(stack.qc.duplicatesDropped).toBe(2);
    expect(stack.duplicates?.map((d) => [d.frame.sopInstanceUID, d.keptIndex])).toEqual([
      ['sop.3', 1],
      ['sop.5', 2],
    ]);
  });

  test('splits mixed orientations and keeps a localizer as a single image', () => {
    const axial = axialSeries([0, 5, 10]);
    const sagittal = [0, 4, 8].map((x, i) =>
      makeFrame({
        sopInstanceUID: `sag.${i}`,
        instanceNumber: 10 + i,
        imagePositionPatient: [x, 0, 0],
        imageOrientationPatient: SAGITTAL_IOP,
      }),
    );
    const scout = makeFrame({
      sopInstanceUID: 'scout',
      instanceNumber: 0,
      imagePositionPatient: [0, 0, 0],
      imageOrientationPatient: CORONAL_IOP,
    });
    const stacks = buildStacks([...sagittal, ...axial, scout]);
    expect(stacks.map((s) => [s.kind, s.orientation, s.frames.length])).toEqual([
      ['single', 'coronal', 1],
      ['stack', 'axial', 3],
      ['stack', 'sagittal', 3],
    ]);
    expect(stacks[2].positionsMm).toEqual([0, 4, 8]);
  });

  test('stacks the frames of an enhanced multi-frame instance by their own positions', () => {
    const frames = [3, 1, 2].map((n) =>
      makeFrame({
        sopInstanceUID: 'mf',
        frameNumber: n,
        numberOfFrames: 3,
        instanceNumber: 1,
        imagePositionPatient: [0, 0, 100 - 3 * n],
        imageOrientationPatient: [1, 0, 0, 0, 1, 0],
      }),
    );
    const [stack] = buildStacks(frames);
    expect(stack.kind).toBe('stack');
    expect(stack.frames.map((f) => f.frameNumber)).toEqual([3, 2, 1]);
    expect(stack.positionsMm).toEqual([91, 94, 97]);
    expect(stack.spacingMm).toBe(3);
    expect(stack.qc.reversed).toBe(true);
  });

  test('frames without geometry become single stacks, as does a one-frame series', () => {
    const noGeometry = [1, 2].map((i) => makeFrame({ sopInstanceUID: `ng.${i}`, instanceNumber: i }));
    const stacks = buildStacks(noGeometry);
    expect(stacks.map((s) => [s.kind, s.orientation, s.frames[0].sopInstanceUID])).toEqual([
      ['single', 'unknown', 'ng.1'],
      ['single', 'unknown', 'ng.2'],
    ]);
    const [one] = buildStacks(axialSeries([12]));
    expect(one.kind).toBe('single');
    expect(one.orientation).toBe('axial');
    expect(one.spacingMm).toBeNull();
    expect(buildStacks([])).toEqual([]);
  });

  test('treats flipped row cosines as the same plane and names oblique normals', () => {
    const frames = [0, 5, 10].map((z, i) =>
      makeFrame({
        sopInstanceUID: `f.${i}`,
        instanceNumber: i,
        imagePositionPatient: [0, 0, z],
        imageOrientationPatient: i === 1 ? [-1, 0, 0, 0, 1, 0] : [1, 0, 0, 0, 1, 0],
      }),
    );
    const stacks = buildStacks(frames);
    expect(stacks).toHaveLength(1);
    expect(stacks[0].positionsMm).toEqual([0, 5, 10]);
    expect(orientationOf([0, 0, -1]).orientation).toBe('axial');
    expect(orientationOf([0.96, 0, 0.28]).orientation).toBe('sagittal');
    expect(orientationOf([0.7071, 0, 0.7071]).orientation).toBe('oblique');
  });

  test('a tilted axial stack (gantry tilt) is still axial and sorted by z', () => {
    const tilt = (15 * Math.PI) / 180;
    const iop: [number, number, number, number, number, number] = [1, 0, 0, 0, Math.cos(tilt), Math.sin(tilt)];
    const frames = [20, 0, 10].map((z, i) =>
      makeFrame({ sopInstanceUID: `t.${i}`, instanceNumber: i, imagePositionPatient: [0, 0, z], imageOrientationPatient: iop }),
    );
    const [stack] = buildStacks(frames);
    expect(stack.orientation).toBe('axial');
    expect(uids(stack.frames)).toEqual(['t.1', 't.2', 't.0']);
    expect(stack.spacingMm).toBeCloseTo(10 * Math.cos(tilt), 6);
  });
});
