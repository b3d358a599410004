/**
 * Reliability corpus (bad and unusual inputs) through the CLI, from files on disk and from a real
 * Orthanc: every series gets a line with a clear reason or a result, good series are still
 * classified, the exit code says some failed, and no promise rejection goes unhandled.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from '../helpers/runCli';
import { validateSeriesResult } from '../../extension/src/engine/results/schema';
import { buildCorpus, CorpusCase } from '../helpers/badInputCorpus';
import { newUid } from '../helpers/dicomFactory';
import { stowRs, useArchive } from '../helpers/orthancFixture';

const archive = useArchive();
const studyInstanceUID = newUid();
let corpus: CorpusCase[];
let work: string;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  corpus = await buildCorpus(studyInstanceUID);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-input-'));
}, 120000);

afterAll(() => {
  process.removeListener('unhandledRejection', onUnhandled);
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function check(cases: CorpusCase[], out: string, stderr: string): void {
  const lines = fs
    .readFileSync(out, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const results = new Map(lines.filter((l) => l.schema === 'body-region-result/1').map((l) => [l.seriesInstanceUID, l]));
  const problems: string[] = [];
  for (const c of cases) {
    const r = results.get(c.seriesInstanceUID);
    if (!r) {
      problems.push(`${c.name}: no result line`);
      continue;
    }
    const invalid = validateSeriesResult(r);
    if (invalid.length) problems.push(`${c.name}: invalid result ${invalid.join('; ')}`);
    if (c.expect === null) {
      if (r.error) problems.push(`${c.name}: expected a result, got ${r.error.code}: ${r.error.message}`);
      else if (r.images.length === 0) problems.push(`${c.name}: no images classified`);
    } else if (!r.error || r.error.code !== c.expect.code || !c.expect.message.test(r.error.message)) {
      problems.push(
        `${c.name}: expected ${c.expect.code} ~ ${c.expect.message}, got ${r.error ? `${r.error.code}: ${r.error.message}` : 'no error'}`,
      );
    } else if (c.expect.code !== 'not-an-image' && !stderr.includes(`series ${c.seriesInstanceUID} failed`)) {
      problems.push(`${c.name}: failure not named on stderr`);
    }
  }
  expect(problems).toEqual([]);
  expect(stderr).not.toMatch(/Test\^Phantom|PHANTOM-1/);
  expect(unhandled).toEqual([]);
}

it('classify-files: each bad file gets a reason, good series are classified, exit code 2', async () => {
  const folder = path.join(work, 'files');
  fs.mkdirSync(folder);
  corpus.forEach((c, i) => c.files.forEach((f, j) => fs.writeFileSync(path.join(folder, `case${i}-${j}.dcm`), f)));
  // Bytes after a valid preamble that are not DICOM at all.
  fs.writeFileSync(
    path.join(folder, 'garbage.dcm'),
    Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from('\u0002\u0000garbage-garbage-garbage')]),
  );
  const out = path.join(work, 'files.jsonl');
  const { code, stderr } = await runCli(['classify-files', folder, '--out', out]);
  expect(code).toBe(2);
  expect(stderr).toMatch(/1 unreadable DICOM files/);
  check(corpus, out, stderr);
});

it('classify over DICOMweb: the same corpus as stored by Orthanc', async () => {
  const storable = corpus.filter((c) => !c.filesOnly);
  await stowRs(
    archive().dicomWebUrl,
    storable.flatMap((c) => c.files),
  );
  // Cases Orthanc would refuse (truncated, unknown syntax, impossible size) are tried one by one.
  const stored = [...storable];
  for (const c of corpus.filter((x) => x.filesOnly)) {
    try {
      await stowRs(archive().dicomWebUrl, c.files);
      stored.push(c);
    } catch {
      // refused by the archive: covered by the files test
    }
  }
  const out = path.join(work, 'archive.jsonl');
  const { code, stderr } = await runCli([
    'classify',
    '--url',
    archive().dicomWebUrl,
    '--study',
    studyInstanceUID,
    '--out',
    out,
    '--retries',
    '1',
  ]);
  const failing = stored.some((c) => c.expect && c.expect.code !== 'not-an-image');
  expect(code).toBe(failing ? 2 : 0);
  check(stored, out, stderr);
});
