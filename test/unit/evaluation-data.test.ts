import { execFileSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { findModalityFolders, readDataset, selectSeries, sliceLabelsFromRanges } from '../../extension/src/evaluation/dataset';
import { displayFrame, parseNifti, readNiftiVolume, slicePositionsMm } from '../../extension/src/evaluation/nifti';
import { EIGHT_BIT_CT_WINDOWS, isEightBitCt, modalityLutFor } from '../../extension/src/evaluation/eightBitCt';
import { syntheticFrames } from '../../extension/src/evaluation/syntheticFrames';
import { buildStacks } from '../../extension/src/engine/geometry/buildStacks';
import { niftiBytes } from '../helpers/labelledDataset';

describe('NIfTI volumes as DICOM display frames', () => {
  it('turns slice k into volume[:, :, k].T (rows along axis 1, columns along axis 0)', async () => {
    const nx = 4;
    const ny = 3;
    const volume = await parseNifti(gzipSync(niftiBytes(nx, ny, 2, 2.5, (i, j, k) => i + 10 * j + 100 * k - 50)));
    expect(volume).toMatchObject({ rows: 3, columns: 4, slices: 2, sliceSpacingMm: 2.5, rescaleSlope: 1, rescaleIntercept: 0 });
    const frame = displayFrame(volume, 1);
    expect(frame.rows).toBe(3);
    expect(frame.columns).toBe(4);
    for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) expect(frame.data[r * 4 + c]).toBe(c + 10 * r + 100 - 50);
    expect(slicePositionsMm(volume)).toEqual([0, 2.5]);
    expect(() => displayFrame(volume, 2)).toThrow(/outside/);
  });

  it('reads a real shared volume with the size series.csv gives', async () => {
    const file = path.resolve(__dirname, '../../../shared/data/mr/volumes/fcs-vb2-02.nii.gz');
    const v = await readNiftiVolume(file);
    expect([v.rows, v.columns, v.slices, v.sliceSpacingMm]).toEqual([256, 256, 3, 18]);
    expect(v.data).toBeInstanceOf(Int16Array);
  });

  it('gives the same display frame as the training pipeline (nibabel, volume[:, :, k].T) on a non-square volume', async () => {
    const file = path.resolve(__dirname, '../../../shared/data/ct/volumes/ts_aorta_cta.nii.gz');
    const k = 50;
    const script = [
      'import sys, json, numpy as np, nibabel as nib',
      'v = np.asanyarray(nib.load(sys.argv[1]).dataobj)',
      'f = v[:, :, int(sys.argv[2])].T',
      'print(json.dumps({"shape": list(f.shape), "values": f.reshape(-1).astype(int).tolist()}))',
    ].join('\n');
    const expected = JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', script, file, String(k)], { encoding: 'utf8', maxBuffer: 1 << 26 }),
    );
    const v = await readNiftiVolume(file);
    const frame = displayFrame(v, k);
    expect([frame.rows, frame.columns]).toEqual(expected.shape);
    expect(frame.rows).not.toBe(frame.columns);
    expect(Array.from(frame.data)).toEqual(expected.values);
  });

  it('refuses files that are not NIfTI', async () => {
    await expect(parseNifti(Buffer.from('not a nifti file at all, definitely not'.repeat(20)))).rejects.toThrow(/NIfTI/);
    const whole = niftiBytes(4, 3, 2, 1, () => 7);
    await expect(parseNifti(whole.subarray(0, whole.length - 2))).rejects.toThrow(/truncated/);
    await expect(parseNifti(whole.subarray(0, 100))).rejects.toThrow(/NIfTI/);
  });
});

describe('8-bit CT sources', () => {
  it('use the same windows as the training pipeline (models/training/build_cache.py)', () => {
    const script = [
      'import sys, json',
      "sys.path.insert(0, 'models/training')",
      'from build_cache import EIGHT_BIT_CT_WINDOWS as W',
      'print(json.dumps({k: {"lo": v[0], "hi": v[1]} for k, v in W.items()}))',
    ].join('\n');
    const repo = path.resolve(__dirname, '../..');
    const training = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { cwd: repo, encoding: 'utf8' }));
    expect(EIGHT_BIT_CT_WINDOWS).toEqual(training);
  });

  it('re-maps them to HU with the training window, and leaves HU sources alone', () => {
    const dl = { modality: 'CT', notes: '8-bit PNG kept as 0..255 (NOT HU)', source: 'github:rsummers11/CADLab' };
    expect(isEightBitCt(dl)).toBe(true);
    const lut = modalityLutFor(dl, { rescaleSlope: 1, rescaleIntercept: 0 });
    expect(lut.eightBit).toBe(true);
    expect(0 * lut.rescaleSlope + lut.rescaleIntercept).toBe(-175);
    expect(255 * lut.rescaleSlope + lut.rescaleIntercept).toBeCloseTo(275, 9);
    const unknown = modalityLutFor({ modality: 'CT', notes: '8-bit', source: 'elsewhere' }, { rescaleSlope: 1, rescaleIntercept: 0 });
    expect(255 * unknown.rescaleSlope + unknown.rescaleIntercept).toBeCloseTo(1000, 9);
    expect(modalityLutFor({ modality: 'CT', notes: 'HU', source: 'x' }, { rescaleSlope: 1, rescaleIntercept: 0 })).toEqual({
      rescaleSlope: 1,
      rescaleIntercept: 0,
      eightBit: false,
    });
    // MR screenshots stay as they are: MR values have no absolute meaning.
    expect(isEightBitCt({ modality: 'MR', notes: '8-bit JPEG screenshot' })).toBe(false);
  });
});

describe('data set tables', () => {
  const header =
    'id,modality,subject,source,source_path,license,manufacturer,model,institution,orientation,slices,rows,cols,row_mm,col_mm,slice_mm,split,kind,notes';
  let root: string;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'eval-data-'));
    await fs.mkdir(path.join(root, 'ct'));
    await fs.mkdir(path.join(root, 'mr'));
    await fs.writeFile(
      path.join(root, 'ct', 'series.csv'),
      [
        header,
        'a,CT,s1,src,p,lic,GE,m,i,axial,3,4,4,1,1,2.5,dev,slice-stack,"notes, with a comma"',
        'b,CT,s2,src,p,lic,,m,i,axial,1,4,4,,,,train,single,',
      ].join('\n') + '\n',
    );
    await fs.writeFile(path.join(root, 'ct', 'labels.csv'), 'id,first,last,label\na,0,1,PELVIS\na,2,2,ABDOMEN\nb,0,0,CHEST\n');
    await fs.writeFile(
      path.join(root, 'mr', 'series.csv'),
      header.replace(',notes', ',notes,body_part_examined').replace(',split', '') +
        '\n' +
        'c,MR,s3,src,p,lic,Siemens,m,i,sagittal,2,4,4,1,1,4,slice-stack,,KNEE\n',
    );
    await fs.writeFile(path.join(root, 'mr', 'labels.csv'), 'id,first,last,label\nc,0,1,KNEE\n');
  });
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  it('accepts the root or one modality folder', async () => {
    expect(await findModalityFolders(root)).toEqual([path.join(root, 'ct'), path.join(root, 'mr')]);
    expect(await findModalityFolders(path.join(root, 'mr'))).toEqual([path.join(root, 'mr')]);
    await expect(findModalityFolders(os.tmpdir() + '/does-not-exist-' + Date.now())).rejects.toThrow();
  });

  it('reads series, expands label ranges and filters by split, modality and id', async () => {
    const d = await readDataset(root);
    expect(d.series.map((s) => s.id)).toEqual(['a', 'b', 'c']);
    const a = d.series[0];
    expect(a).toMatchObject({
      subject: 's1',
      rowMm: 1,
      colMm: 1,
      sliceMm: 2.5,
      split: 'dev',
      kind: 'slice-stack',
      notes: 'notes, with a comma',
    });
    expect(a.sliceLabels).toEqual(['PELVIS', 'PELVIS', 'ABDOMEN']);
    expect(a.volumePath).toBe(path.join(root, 'ct', 'volumes', 'a.nii.gz'));
    expect(d.series[1].sliceMm).toBeNull();
    // A table without a split column is test data; a BodyPartExamined column is picked up.
    expect(d.series[2]).toMatchObject({ split: 'test', bodyPartExamined: 'KNEE' });
    expect(d.hasBodyPartExamined).toBe(true);
    expect(selectSeries(d.series, { split: 'dev' }).map((s) => s.id)).toEqual(['a']);
    expect(selectSeries(d.series, { split: 'all', modality: 'mr' }).map((s) => s.id)).toEqual(['c']);
    expect(selectSeries(d.series, { split: 'all', ids: ['b', 'c'] }).map((s) => s.id)).toEqual(['b', 'c']);
  });

  it('rejects label ranges with gaps, overlaps or out of bounds', () => {
    expect(() => sliceLabelsFromRanges('x', 3, [{ first: 0, last: 1, label: 'A' }])).toThrow(/slice 2 has no label/);
    expect(() =>
      sliceLabelsFromRanges('x', 2, [
        { first: 0, last: 1, label: 'A' },
        { first: 1, last: 1, label: 'B' },
      ]),
    ).toThrow(/twice/);
    expect(() => sliceLabelsFromRanges('x', 2, [{ first: 0, last: 2, label: 'A' }])).toThrow(/outside/);
  });
});

describe('DICOM-like frames for data-set slices', () => {
  const base = {
    id: 'x',
    modality: 'CT',
    subject: 's',
    source: 'src',
    manufacturer: 'GE',
    model: '',
    institution: '',
    orientation: 'axial',
    slices: 4,
    rows: 3,
    cols: 2,
    rowMm: 0.5,
    colMm: 0.7,
    sliceMm: 2.5 as number | null,
    split: 'dev',
    kind: 'slice-stack',
    notes: '',
    volumePath: '/x.nii.gz',
    sliceLabels: ['A', 'A', 'B', 'B'],
  };
  const volume = { rows: 3, columns: 2, slices: 4, sliceSpacingMm: 2.5 };
  const lut = { rescaleSlope: 1, rescaleIntercept: 0 };

  it.each([
    ['axial', 'axial'],
    ['sagittal', 'sagittal'],
    ['coronal', 'coronal'],
    ['oblique', 'oblique'],
  ])('gives a %s series the geometry of one %s stack, slices 2.5 mm apart', (orientation, expected) => {
    const frames = syntheticFrames({ ...base, orientation }, volume, lut, [0.5, 0.7]);
    const stacks = buildStacks(frames);
    expect(stacks).toHaveLength(1);
    expect(stacks[0]).toMatchObject({ kind: 'stack', orientation: expected, spacingMm: 2.5 });
    expect(stacks[0].frames).toHaveLength(4);
    expect(frames.map((f) => f.instanceNumber)).toEqual([1, 2, 3, 4]);
    expect(new Set(frames.map((f) => f.sopInstanceUID)).size).toBe(4);
  });

  it('keeps slice 0 inferior in axial stacks, as the volumes are stored', () => {
    const frames = syntheticFrames(base, volume, lut, null);
    const [stack] = buildStacks(frames);
    expect(stack.frames.map((f) => f.sopInstanceUID)).toEqual(frames.map((f) => f.sopInstanceUID));
    expect(stack.qc.reversed).toBe(false);
  });

  it('gives series of unknown spacing no geometry, so the engine treats each image alone', () => {
    const frames = syntheticFrames({ ...base, sliceMm: null }, volume, { rescaleSlope: 450 / 255, rescaleIntercept: -175 }, null);
    expect(frames[0].imagePositionPatient).toBeUndefined();
    expect(frames[0]).toMatchObject({ rescaleSlope: 450 / 255, rescaleIntercept: -175, modality: 'CT', rows: 3, columns: 2 });
    expect(buildStacks(frames).map((s) => s.kind)).toEqual(['single', 'single', 'single', 'single']);
  });
});
