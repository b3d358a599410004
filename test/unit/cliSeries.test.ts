/**
 * The CLI's series bookkeeping without an archive: the progress line of a series skipped on resume,
 * and DICOM files that cannot be put in a series (each named, with the attribute that is missing).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { groupBySeries } from '../../extension/src/cli/classifyFiles';
import { ProgressReporter } from '../../extension/src/cli/progress';
import { describeOutcome } from '../../extension/src/cli/seriesRunner';
import type { SeriesResult } from '../../extension/src/engine/results/schema';
import { makeSeries } from '../helpers/dicomFactory';
import { runCli } from '../helpers/runCli';

function capture(): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = { isTTY: false, write: (s: string) => chunks.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, text: () => chunks.join('') };
}

describe('progress lines', () => {
  const label = { index: 1, total: 2, seriesInstanceUID: '1.2.3', modality: 'CT' };

  it('a series skipped on resume shows no time (it was never started)', () => {
    const out = capture();
    new ProgressReporter(out.stream).skipSeries(label, 'already in the output, skipped');
    expect(out.text()).toBe('[1/2] 1.2.3 CT: already in the output, skipped\n');
  });

  it('a classified series shows the seconds since it started', () => {
    const out = capture();
    const progress = new ProgressReporter(out.stream);
    progress.startSeries(label);
    progress.endSeries(label, 'CHEST, 3 images');
    expect(out.text()).toMatch(/^\[1\/2\] 1\.2\.3 CT: CHEST, 3 images \(0\.\d s\)\n$/);
  });
});

describe('the outcome line of a classified series', () => {
  // Only the fields the line reads: the rest of a result is beside the point here.
  const result = (segments: Array<{ label: string; confidence: number }>) =>
    ({
      regions: [...new Set(segments.map((s) => s.label))],
      segments,
      images: new Array(12).fill({}),
      timing: { framesFailed: 0 },
    }) as unknown as SeriesResult;

  it('marks a region "uncertain" when none of its segments is confident', () => {
    const line = describeOutcome(
      result([
        { label: 'CHEST', confidence: 0.93 },
        { label: 'ABDOMEN', confidence: 0.41 },
      ]),
    );
    expect(line).toBe('CHEST, ABDOMEN (uncertain), 12 images');
  });

  it('states a region plainly when one of its segments is confident', () => {
    const line = describeOutcome(
      result([
        { label: 'HEAD', confidence: 0.3 },
        { label: 'HEAD', confidence: 0.8 },
      ]),
    );
    expect(line).toBe('HEAD, 12 images');
  });
});

describe('files without a Study or Series Instance UID', () => {
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-uids-'));
    const noSeries = await makeSeries({ seriesInstanceUID: '', slices: 1, rows: 16, columns: 16 });
    const noStudy = await makeSeries({ studyInstanceUID: '', slices: 1, rows: 16, columns: 16 });
    fs.writeFileSync(path.join(dir, 'no-series.dcm'), noSeries.files[0]);
    fs.writeFileSync(path.join(dir, 'no-study.dcm'), noStudy.files[0]);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('are left out with the attribute that is missing', () => {
    const { series, unreadable } = groupBySeries([path.join(dir, 'no-series.dcm'), path.join(dir, 'no-study.dcm')]);
    expect(series).toEqual([]);
    expect(unreadable).toEqual([
      { file: path.join(dir, 'no-series.dcm'), reason: 'empty or missing SeriesInstanceUID (0020,000E)' },
      { file: path.join(dir, 'no-study.dcm'), reason: 'empty or missing StudyInstanceUID (0020,000D)' },
    ]);
  });

  it('classify-files names each such file on stderr and finds nothing to classify', async () => {
    const { code, stderr } = await runCli(['classify-files', dir, '--out', path.join(dir, 'out.jsonl')]);
    expect(code).toBe(5);
    expect(stderr).toContain(`skipped ${path.join(dir, 'no-series.dcm')}: empty or missing SeriesInstanceUID (0020,000E)`);
    expect(stderr).toContain(`skipped ${path.join(dir, 'no-study.dcm')}: empty or missing StudyInstanceUID (0020,000D)`);
    expect(stderr).toContain('2 unreadable DICOM files');
  });
});
