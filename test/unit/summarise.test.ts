import { toSegments } from '../../extension/src/engine/decode/decodeSequence';
import { buildStacks } from '../../extension/src/engine/geometry/buildStacks';
import type { ResultImage, SeriesResult } from '../../extension/src/engine/results/schema';
import { annexLTerm } from '../../extension/src/engine/summarise/annexL';
import { summariseSeries } from '../../extension/src/engine/summarise/summariseSeries';
import { summariseStudy } from '../../extension/src/engine/summarise/summariseStudy';
import { compareTag, regionsFromText } from '../../extension/src/engine/summarise/tags';
import type { Stack } from '../../extension/src/engine/types';
import { axialSeries, makeFrame, SAGITTAL_IOP } from '../helpers/frames';
import { runs } from '../helpers/synthetic';

/** One axial stack decoded to `labels` at `spacing` mm, as the pipeline would hand it over. */
function decodedSeries(labels: string[], spacing: number, zs?: number[]) {
  const positions = zs ?? labels.map((_, i) => i * spacing);
  const stacks: Stack[] = buildStacks(axialSeries(positions));
  const segments = toSegments(stacks[0], { labels, confidence: labels.map(() => 0.9) }).map((s) => ({ ...s, stackIndex: 0 }));
  const images: ResultImage[] = stacks[0].frames.map((f, i) => ({
    sopInstanceUID: f.sopInstanceUID,
    frameNumber: f.frameNumber,
    instanceNumber: f.instanceNumber ?? null,
    stackIndex: 0,
    sliceIndex: i,
    positionMm: stacks[0].positionsMm[i],
    label: labels[i],
    decodedLabel: labels[i],
    probabilities: null,
  }));
  return { stacks, segments, images };
}

describe('annexLTerm', () => {
  test.each([
    [['CHEST'], 'CHEST', '43799004'],
    [['UPPER_ARM'], 'UPPERARM', '40983000'],
    [['LOWER_LEG'], 'LOWERLEG', '30021000'],
    [['HEAD', 'NECK'], 'HEADNECK', '774007'],
    [['NECK', 'CHEST'], 'NECKCHEST', '417437006'],
    [['CHEST', 'ABDOMEN'], 'CHESTABDOMEN', '416550000'],
    [['ABDOMEN', 'PELVIS'], 'ABDOMENPELVIS', '818982008'],
    [['PELVIS', 'ABDOMEN', 'CHEST'], 'CHESTABDPELVIS', '416775004'],
    [['NECK', 'CHEST', 'ABDOMEN'], 'NECKCHESTABDOMEN', '416152001'],
    [['NECK', 'CHEST', 'ABDOMEN', 'PELVIS'], 'NECKCHESTABDPELV', '416319003'],
    [['HEAD', 'NECK', 'CHEST', 'ABDOMEN', 'PELVIS', 'THIGH'], 'WHOLEBODY', '38266002'],
    [['HEAD', 'NECK', 'CHEST', 'ABDOMEN', 'PELVIS', 'THIGH', 'KNEE', 'LOWER_LEG', 'FOOT'], 'WHOLEBODY', '38266002'],
    [['ABDOMEN', 'PELVIS', 'SPINE', 'OTHER'], 'ABDOMENPELVIS', '818982008'],
    [['CHEST', 'BREAST'], 'CHEST', '43799004'],
  ])('%j → %s', (regions, term, code) => {
    const result = annexLTerm(regions);
    expect(result?.term).toBe(term);
    expect(result?.snomed?.code).toBe(code);
  });

  test.each([
    [[]],
    [['OTHER']],
    [['PELVIS', 'THIGH']],
    [['HEAD', 'NECK', 'CHEST', 'ABDOMEN', 'PELVIS']],
    [['ELBOW', 'FOREARM']],
    // gaps: two separate scans, not one combined region
    [['HEAD', 'PELVIS', 'THIGH']],
    [['HEAD', 'CHEST']],
    [['CHEST', 'PELVIS']],
    [['HEAD', 'NECK', 'ABDOMEN', 'PELVIS', 'THIGH']],
  ])('%j has no defined term', (regions) => expect(annexLTerm(regions)).toBeNull());
});

describe('tags', () => {
  test.each([
    ['ABDOMEN_PELVIS', ['ABDOMEN', 'PELVIS']],
    ['CHESTABDPELVIS', ['CHEST', 'ABDOMEN', 'PELVIS']],
    ['CT C/A/P with contrast', ['CHEST', 'ABDOMEN', 'PELVIS']],
    ['TORSO', ['CHEST', 'ABDOMEN', 'PELVIS']],
    ['Thorax 1.0 B70f', ['CHEST']],
    ['AX T2 BRAIN', ['HEAD']],
    ['SAG T2 L-SPINE', ['SPINE']],
    ['PET WHOLE BODY', ['HEAD', 'NECK', 'CHEST', 'ABDOMEN', 'PELVIS', 'THIGH']],
    ['Knee left PD fs', ['KNEE']],
    ['Head^Neck', ['HEAD', 'NECK']],
    ['LOWER LEG', ['LOWER_LEG']],
    ['Localizer', []],
    ['', []],
  ])('%j names %j', (text, regions) => expect(regionsFromText(text)).toEqual(regions));

  test('compares a tag with the regions the images show', () => {
    expect(compareTag('CHEST', ['CHEST']).status).toBe('agree');
    expect(compareTag('ABDOMEN', ['CHEST', 'ABDOMEN', 'PELVIS']).status).toBe('partial');
    expect(compareTag('HEAD', ['PELVIS']).status).toBe('disagree');
    expect(compareTag('SPINE', ['ABDOMEN']).status).toBe('partial');
    expect(compareTag(undefined, ['CHEST'])).toEqual({ value: null, regions: [], status: 'missing' });
    expect(compareTag('  ', ['CHEST']).status).toBe('missing');
    expect(compareTag('SERIES 3', ['CHEST']).status).toBe('unrecognised');
  });
});

describe('summariseSeries', () => {
  test('a chest-abdomen-pelvis CT with a sliver of neck', () => {
    const labels = runs([
      ['PELVIS', 40],
      ['ABDOMEN', 45],
      ['CHEST', 60],
      ['NECK', 3],
    ]);
    const s = summariseSeries({ ...decodedSeries(labels, 5), bodyPartExamined: 'ABDOMEN_PELVIS', seriesDescription: 'CT C/A/P 5mm' });
    expect(s.regions).toEqual(['NECK', 'CHEST', 'ABDOMEN', 'PELVIS']);
    expect(s.mainRegion).toBe('CHEST');
    expect(s.extents.find((e) => e.label === 'CHEST')).toEqual({ label: 'CHEST', slices: 60, lengthMm: 300 });
    expect(s.significantRegions).toEqual(['CHEST', 'ABDOMEN', 'PELVIS']);
    expect(s.annexL).toEqual({
      term: 'CHESTABDPELVIS',
      snomed: { scheme: 'SCT', code: '416775004' },
      regions: ['CHEST', 'ABDOMEN', 'PELVIS'],
    });
    expect(s.tags.bodyPartExamined.status).toBe('partial');
    expect(s.tags.seriesDescription.status).toBe('agree');
    expect(s.qc.filter((f) => f.severity === 'warning')).toEqual([]);
  });

  test('an abdominal CT that starts in the lung bases is named ABDOMEN', () => {
    const labels = runs([
      ['ABDOMEN', 40],
      ['CHEST', 5],
    ]);
    const s = summariseSeries({ ...decodedSeries(labels, 5), bodyPartExamined: 'ABDOMEN' });
    expect(s.significantRegions).toEqual(['ABDOMEN']);
    expect(s.annexL?.term).toBe('ABDOMEN');
    expect(s.tags.bodyPartExamined.status).toBe('agree');
  });

  test('QC: implausibly short interior neck, implausibly long head, gaps, reversed order, tag disagreement', () => {
    const labels = runs([
      ['CHEST', 20],
      ['NECK', 1],
      ['HEAD', 130],
    ]);
    const zs = labels.map((_, i) => (i < 10 ? i * 5 : i * 5 + 40)).reverse(); // superior first, one gap
    const series = decodedSeries(labels, 5, zs);
    expect(series.stacks[0].qc.reversed).toBe(true);
    const s = summariseSeries({ ...series, bodyPartExamined: 'KNEE' });
    const codes = s.qc.map((f) => `${f.code}${f.label ? `:${f.label}` : ''}`);
    expect(codes).toEqual(
      expect.arrayContaining([
        'reversed-stack',
        'gaps',
        'irregular-spacing',
        'implausible-length:NECK',
        'implausible-length:HEAD',
        'tag-disagreement',
      ]),
    );
    expect(s.tags.bodyPartExamined.status).toBe('disagree');
  });

  test('sagittal stacks: regions by share of slices, no lengths along the body, no length QC', () => {
    const labels = runs([
      ['SPINE', 8],
      ['ABDOMEN', 2],
      ['SPINE', 30],
    ]);
    const frames = labels.map((_, i) =>
      makeFrame({
        sopInstanceUID: `sag.${i}`,
        instanceNumber: i,
        imagePositionPatient: [i * 30, 0, 0],
        imageOrientationPatient: SAGITTAL_IOP,
      }),
    );
    const stacks = buildStacks(frames);
    expect(stacks[0].orientation).toBe('sagittal');
    const segments = toSegments(stacks[0], { labels, confidence: labels.map(() => 0.9) }).map((seg) => ({ ...seg, stackIndex: 0 }));
    const s = summariseSeries({ stacks, segments, images: [], bodyPartExamined: 'LSPINE', seriesDescription: 'SAG T2 L-SPINE' });
    expect(s.extents).toEqual([
      { label: 'SPINE', slices: 38, lengthMm: null },
      { label: 'ABDOMEN', slices: 2, lengthMm: null },
    ]);
    expect(s.mainRegion).toBe('SPINE');
    expect(s.significantRegions).toEqual(['SPINE']); // 2 of 40 slices is below the 20 % share
    expect(s.annexL?.term).toBe('SPINE');
    expect(s.tags.bodyPartExamined.status).toBe('agree');
    // A 900 mm SPINE segment across the body would be implausible along it (max 800 mm).
    expect(Math.max(...segments.map((seg) => seg.lengthMm ?? 0))).toBe(900);
    expect(s.qc.map((f) => f.code)).not.toContain('implausible-length');
  });

  test('too few slices, failed frames, images without geometry', () => {
    const few = decodedSeries(runs([['KNEE', 3]]), 4);
    few.images[1].error = 'decode failed: unsupported transfer syntax';
    const s = summariseSeries(few);
    expect(s.qc.map((f) => f.code)).toEqual(expect.arrayContaining(['too-few-slices', 'frames-failed']));
    expect(s.annexL?.term).toBe('KNEE');
    expect(s.tags.bodyPartExamined.status).toBe('missing');
  });
});

describe('summariseStudy', () => {
  test('combines the series of a study', () => {
    const chest = summariseSeries(decodedSeries(runs([['CHEST', 60]]), 5));
    const abdomen = summariseSeries({
      ...decodedSeries(
        runs([
          ['ABDOMEN', 40],
          ['PELVIS', 30],
        ]),
        5,
      ),
      bodyPartExamined: 'HEAD',
    });
    const base = {
      schema: 'body-region-result/1' as const,
      model: null,
      mode: 'exhaustive' as const,
      studyInstanceUID: '1.2.3',
      modality: 'CT',
      seriesDescription: null,
      bodyPartExamined: null,
      segments: [],
      stacks: [],
      images: [],
    };
    const timing = {
      startedAt: '',
      totalMs: 0,
      fetchMs: 0,
      preprocessMs: 0,
      inferMs: 0,
      decodeMs: 0,
      framesTotal: 0,
      framesFetched: 0,
      framesClassified: 0,
      framesFailed: 0,
    };
    const results: SeriesResult[] = [
      { ...base, regions: [], seriesInstanceUID: 'a', summary: chest, error: null, timing },
      { ...base, regions: [], seriesInstanceUID: 'b', summary: abdomen, error: null, timing },
      {
        ...base,
        regions: [],
        seriesInstanceUID: 'sr',
        modality: 'SR',
        summary: null,
        error: { code: 'not-an-image', message: 'SR' },
        timing,
      },
    ];
    const study = summariseStudy(results);
    expect(study.studyInstanceUID).toBe('1.2.3');
    expect(study.regions).toEqual(['CHEST', 'ABDOMEN', 'PELVIS']);
    expect(study.annexL?.term).toBe('CHESTABDPELVIS');
    expect(study.series.map((s) => s.annexL)).toEqual(['CHEST', 'ABDOMENPELVIS', null]);
    expect(study.seriesWithErrors).toBe(1);
    expect(study.tagDisagreements).toBe(1);
  });
});
