/**
 * A 5,000-slice series (tiny 16² frames so the test stays quick) through the real CLI, exhaustive
 * and fast: every slice gets a label, the regions come out in anatomical order, and the fast mode
 * reads a small fraction of the frames. The plumbing model reads each slice's HU level as a label.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from '../helpers/runCli';
import { makeSeries } from '../helpers/dicomFactory';
import { buildTinyModelDir, huForLabel, TinyModelDir } from '../helpers/tinyModel';

const SLICES = 5000;
// Three regions along the stack, head first in the file order the factory writes (slice 0 = inferior).
const LABEL_OF_SLICE = (k: number) => (k < 2000 ? 6 : k < 3500 ? 5 : 3); // PELVIS, ABDOMEN, CHEST
let work: string;
let tiny: TinyModelDir;
let folder: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'long-series-'));
  tiny = buildTinyModelDir(20, 16, 0, 2000);
  const series = await makeSeries({ rows: 16, columns: 16, slices: SLICES, spacingMm: 0.5, pixel: (k) => huForLabel(LABEL_OF_SLICE(k)) });
  folder = path.join(work, 'files');
  fs.mkdirSync(folder);
  series.files.forEach((f, i) => fs.writeFileSync(path.join(folder, `${i}.dcm`), f));
}, 240000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function onlyLine(file: string): Record<string, any> {
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const series = lines.filter((l) => l.seriesInstanceUID);
  expect(series).toHaveLength(1);
  return series[0];
}

test.each(['exhaustive', 'fast'])(
  '%s mode labels all 5,000 slices in anatomical order',
  async (mode) => {
    const out = path.join(work, `${mode}.jsonl`);
    const { code, stderr } = await runCli(['classify-files', folder, '--out', out, '--model', tiny.dir, '--mode', mode, '-q']);
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    const result = onlyLine(out);
    expect(result.error).toBeNull();
    expect(result.regions).toEqual(['CHEST', 'ABDOMEN', 'PELVIS']);
    expect(result.images).toHaveLength(SLICES);
    expect(result.images.every((i: { decodedLabel: string | null }) => i.decodedLabel !== null)).toBe(true);
    const boundaries = result.segments.map((s: { firstIndex: number }) => s.firstIndex).sort((a: number, b: number) => a - b);
    expect(boundaries).toEqual([0, 2000, 3500]);
    if (mode === 'fast') expect(result.timing.framesFetched / SLICES).toBeLessThan(0.1);
  },
  240000,
);
