/**
 * The whole chain on a real CT: a chest–abdomen CT from the shared data set (NIfTI → DICOM with the
 * factory) is stored in a real Orthanc over STOW-RS and classified by the CLI with the shipped model.
 * The per-slice labels of the data set (labels.csv) are the reference.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from '../helpers/runCli';
import { validateSeriesResult } from '../../extension/src/engine/results/schema';
import { makeSeriesFromNifti, SHARED_DATA } from '../helpers/dicomFactory';
import { useArchive } from '../helpers/orthancFixture';

/** Exit code, with the CLI's own explanation only when it failed (progress lines on success are beside the point). */
async function outcome(argv: string[]): Promise<{ code: number; stderr: string }> {
  const { code, stderr } = await runCli(argv);
  return { code, stderr: code === 0 ? '' : stderr };
}

const VOLUME = 'xcist_cptacpda_chestabd';

const archive = useArchive();

/** Label of each slice index from labels.csv (inclusive ranges). */
function sliceLabels(id: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of fs.readFileSync(`${SHARED_DATA}/ct/labels.csv`, 'utf8').split('\n').slice(1)) {
    const [rowId, first, last, label] = line.trim().split(',');
    if (rowId !== id) continue;
    for (let k = Number(first); k <= Number(last); k++) out.set(k, label);
  }
  return out;
}

it('classifies a real chest–abdomen CT from the archive into CHEST above ABDOMEN, matching the reference labels', async () => {
  const series = await makeSeriesFromNifti(`${SHARED_DATA}/ct/volumes/${VOLUME}.nii.gz`, { seriesDescription: 'CT chest abdomen' });
  await archive().store(series.files);
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'realct-')), 'results.jsonl');
  const t0 = Date.now();
  expect(await outcome(['classify', '--url', archive().dicomWebUrl, '--study', series.studyInstanceUID, '--out', out])).toEqual({
    code: 0,
    stderr: '',
  });
  const seconds = (Date.now() - t0) / 1000;
  const result = JSON.parse(fs.readFileSync(out, 'utf8').split('\n')[0]);
  expect(validateSeriesResult(result)).toEqual([]);
  expect(result.error).toBeNull();
  expect(result.images).toHaveLength(series.instances.length);

  const truth = sliceLabels(VOLUME);
  const sliceOf = new Map(series.instances.map((i) => [i.sopInstanceUID, i.sliceIndex]));
  const agree = result.images.filter(
    (im: { sopInstanceUID: string; decodedLabel: string }) => truth.get(sliceOf.get(im.sopInstanceUID)!) === im.decodedLabel,
  ).length;
  const accuracy = agree / result.images.length;
  console.log(
    `${VOLUME}: ${result.images.length} slices in ${seconds.toFixed(1)} s, regions ${result.regions.join(' > ')}, Annex L ${result.summary?.annexL?.term}, slice agreement ${(100 * accuracy).toFixed(1)} %`,
  );
  expect(result.regions).toEqual(expect.arrayContaining(['CHEST', 'ABDOMEN']));
  // Head to foot: the chest comes before the abdomen.
  expect(result.regions.indexOf('CHEST')).toBeLessThan(result.regions.indexOf('ABDOMEN'));
  expect(accuracy).toBeGreaterThanOrEqual(0.8);

  // Fast mode: fewer images classified, the same regions.
  const fastOut = path.join(path.dirname(out), 'fast.jsonl');
  const t1 = Date.now();
  expect(
    await outcome(['classify', '--url', archive().dicomWebUrl, '--study', series.studyInstanceUID, '--out', fastOut, '--mode', 'fast']),
  ).toEqual({ code: 0, stderr: '' });
  const fast = JSON.parse(fs.readFileSync(fastOut, 'utf8').split('\n')[0]);
  console.log(
    `fast mode: ${fast.timing.framesClassified} of ${fast.timing.framesTotal} images classified in ${((Date.now() - t1) / 1000).toFixed(1)} s, regions ${fast.regions.join(' > ')}`,
  );
  expect(fast.error).toBeNull();
  expect(fast.timing.framesClassified).toBeLessThan(series.instances.length);
  expect(fast.regions.filter((r: string) => r === 'CHEST' || r === 'ABDOMEN')).toEqual(['CHEST', 'ABDOMEN']);
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
}, 300000);

it('gives the same labels when the archive holds the CT as JPEG 2000 (no transcoding: decoded in the client)', async () => {
  const series = await makeSeriesFromNifti(`${SHARED_DATA}/ct/volumes/${VOLUME}.nii.gz`, {
    transferSyntax: 'jpeg2000',
    seriesDescription: 'CT chest abdomen J2K',
  });
  await archive().store(series.files);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'realct-j2k-'));
  const out = path.join(dir, 'results.jsonl');
  const t0 = Date.now();
  expect(await outcome(['classify', '--url', archive().dicomWebUrl, '--study', series.studyInstanceUID, '--out', out])).toEqual({
    code: 0,
    stderr: '',
  });
  const result = JSON.parse(fs.readFileSync(out, 'utf8').split('\n')[0]);
  console.log(
    `JPEG 2000 copy: ${result.images.length} slices in ${((Date.now() - t0) / 1000).toFixed(1)} s, regions ${result.regions.join(' > ')}`,
  );
  expect(result.error).toBeNull();
  expect(result.timing.framesFailed).toBe(0);
  const truth = sliceLabels(VOLUME);
  const sliceOf = new Map(series.instances.map((i) => [i.sopInstanceUID, i.sliceIndex]));
  const agree = result.images.filter(
    (im: { sopInstanceUID: string; decodedLabel: string }) => truth.get(sliceOf.get(im.sopInstanceUID)!) === im.decodedLabel,
  ).length;
  expect(agree / result.images.length).toBeGreaterThanOrEqual(0.8);
  fs.rmSync(dir, { recursive: true, force: true });
}, 300000);
