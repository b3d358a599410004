/**
 * Security and data safety of `body-region classify`, as a real process (bin/body-region.js)
 * against a real Orthanc behind a recording proxy that demands a bearer token:
 *  - the patient's name, ID and birth date and the token appear nowhere: stdout, stderr, the output
 *    file, the cache file, or any file the process wrote under its HOME — also on the error paths
 *    (a series the archive refuses, a retry, a wrong token, a malformed header);
 *  - nothing is written to the archive: every request is a GET, Orthanc's instance count and disk
 *    size are unchanged;
 *  - the CLI runs with code generation from strings disabled (what a strict CSP without
 *    'unsafe-eval' enforces in the browser): no eval / new Function on its paths.
 */
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeSeries, newUid, type BuiltSeries } from '../helpers/dicomFactory';
import { startFaultProxy, type FaultProxy } from '../helpers/faultProxy';
import { useArchive } from '../helpers/orthancFixture';
import { buildTinyModelDir, REPO, type TinyModelDir } from '../helpers/tinyModel';

const PATIENT_NAME = 'Quimbleworth^Zebulonia';
const PATIENT_ID = 'PID-77X-SECRET-4410';
const BIRTH_DATE = '19411207';
const TOKEN = 'tok-7f3a9c1e-d0d0-4b1b-sekret';
/** What must never show: the name's parts too (a log could print "Zebulonia Quimbleworth"). */
const SECRETS = [PATIENT_NAME, 'Quimbleworth', 'Zebulonia', PATIENT_ID, BIRTH_DATE, TOKEN];

const archive = useArchive();
const studyInstanceUID = newUid();
let tiny: TinyModelDir;
let work: string;
let home: string;
let proxy: FaultProxy;
let good: BuiltSeries;
let refused: BuiltSeries;

const identifying = (ds: Record<string, unknown>) =>
  Object.assign(ds, { PatientName: PATIENT_NAME, PatientID: PATIENT_ID, PatientBirthDate: BIRTH_DATE, OtherPatientIDs: PATIENT_ID });

/** Builds build/node when a source is newer (bin/body-region.js runs the compiled CLI). */
function ensureBuilt(): void {
  const newest = (dir: string): number =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .reduce((m, e) => Math.max(m, e.isDirectory() ? newest(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).mtimeMs), 0);
  const compiled = path.join(REPO, 'build/node/cli/main.js');
  const sources = Math.max(...['cli', 'engine'].map((d) => newest(path.join(REPO, 'extension/src', d))));
  if (!fs.existsSync(compiled) || fs.statSync(compiled).mtimeMs < sources) {
    execFileSync(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', path.join(REPO, 'tsconfig.build.json')], {
      cwd: REPO,
      stdio: 'pipe',
    });
  }
}

async function orthancStatistics(): Promise<{ CountInstances: number; TotalDiskSize: string }> {
  return (await fetch(`${archive().orthanc.url}/statistics`)).json() as never;
}

/** The real CLI as its own process, with code generation from strings disabled. */
async function bodyRegion(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--disallow-code-generation-from-strings', path.join(REPO, 'bin/body-region.js'), ...args], {
    cwd: work,
    env: { PATH: process.env.PATH, HOME: home, XDG_CACHE_HOME: path.join(home, '.cache') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

function leaks(where: string, text: string): string[] {
  return SECRETS.filter((s) => text.toLowerCase().includes(s.toLowerCase())).map((s) => `${where} contains ${JSON.stringify(s)}`);
}

beforeAll(async () => {
  ensureBuilt();
  tiny = buildTinyModelDir(20, 16, 0, 2000);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'security-cli-'));
  home = path.join(work, 'home');
  fs.mkdirSync(home);
  good = await makeSeries({ studyInstanceUID, seriesNumber: 1, slices: 4, rows: 32, columns: 32, mutate: identifying });
  refused = await makeSeries({ studyInstanceUID, seriesNumber: 2, slices: 3, rows: 32, columns: 32, mutate: identifying });
  await archive().store([...good.files, ...refused.files]);
  // The stored DICOM really carries the identifying attributes (else the test proves nothing).
  const patients = await (await fetch(`${archive().orthanc.url}/patients?expand`)).json();
  expect(JSON.stringify(patients)).toContain(PATIENT_ID);
  expect(JSON.stringify(patients)).toContain('Quimbleworth');

  proxy = await startFaultProxy(archive().orthanc.url);
}, 180000);

afterAll(async () => {
  await proxy?.stop();
  for (const dir of [work, tiny?.dir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('classify with a bearer token against an archive of identifiable DICOM', () => {
  let run: { code: number | null; stdout: string; stderr: string };
  let before: { CountInstances: number; TotalDiskSize: string };
  let requestsBefore: number;

  beforeAll(async () => {
    before = await orthancStatistics();
    requestsBefore = proxy.requests.length;
    let refusedOnce = false;
    proxy.plan = (req) => {
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return { kind: 'status', status: 401 };
      // The refused series' pixels (frames and the whole-instance fallback); its metadata is served.
      if (req.url?.includes(refused.seriesInstanceUID) && !req.url.endsWith('/metadata')) return { kind: 'status', status: 403 };
      if (!refusedOnce && req.url?.includes('/frames/')) {
        refusedOnce = true;
        return { kind: 'status', status: 503 }; // one retry, so retry messages are exercised too
      }
      return { kind: 'forward' };
    };
    // Stdout gets the results (no --out); the cache file is written too.
    run = await bodyRegion([
      'classify',
      '--url',
      `${proxy.url}/dicom-web`,
      '--all',
      '--model',
      tiny.dir,
      '--header',
      `Authorization: Bearer ${TOKEN}`,
      '--cache',
      '--retries',
      '1',
    ]);
  }, 120000);

  test('the run classifies (so the secrets were really there to leak): one series good, the refused one failed', () => {
    expect(run.code).toBe(2);
    const results = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((l) => l.schema === 'body-region-result/1');
    expect(results.find((r) => r.seriesInstanceUID === good.seriesInstanceUID)?.error).toBeNull();
    expect(results.find((r) => r.seriesInstanceUID === refused.seriesInstanceUID)?.error?.code).toBe('all-frames-failed');
    expect(run.stderr).toContain(`series ${refused.seriesInstanceUID} failed`);
    expect(run.stderr).toMatch(/retrying/);
    // Every request carried the token, so the archive (proxy) saw it.
    const sent = proxy.requests.slice(requestsBefore);
    expect(sent.length).toBeGreaterThan(5);
    expect(sent.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  test('no patient name, ID, birth date or token in stdout, stderr, or any file the process wrote', () => {
    const written = filesUnder(home);
    expect(written.map((f) => path.relative(home, f))).toEqual(['.cache/body-region/results.json']);
    const problems = [
      ...leaks('stdout', run.stdout),
      ...leaks('stderr', run.stderr),
      ...written.flatMap((f) => leaks(path.relative(home, f), fs.readFileSync(f, 'latin1'))),
      ...filesUnder(work)
        .filter((f) => !f.startsWith(home))
        .flatMap((f) => leaks(f, fs.readFileSync(f, 'latin1'))),
    ];
    expect(problems).toEqual([]);
  });

  test('nothing was written to the archive: only GET requests, same instance count and disk size', async () => {
    const methods = new Set(proxy.requests.slice(requestsBefore).map((r) => r.method));
    expect([...methods]).toEqual(['GET']);
    expect(await orthancStatistics()).toMatchObject({ CountInstances: before.CountInstances, TotalDiskSize: before.TotalDiskSize });
  });
});

test('a wrong token: archive unreachable (exit 3), and the token is not echoed', async () => {
  proxy.plan = (req) => (req.headers.authorization === `Bearer ${TOKEN}` ? { kind: 'forward' } : { kind: 'status', status: 401 });
  const wrong = `${TOKEN}-wrong`;
  const { code, stdout, stderr } = await bodyRegion([
    'classify',
    '--url',
    `${proxy.url}/dicom-web`,
    '--all',
    '--model',
    tiny.dir,
    '--header',
    `Authorization: Bearer ${wrong}`,
    '--retries',
    '0',
  ]);
  expect(code).toBe(3);
  expect(stderr).toMatch(/unreachable: .*401/);
  expect(leaks('stdout', stdout).concat(leaks('stderr', stderr))).toEqual([]);
}, 60000);

test('a malformed --header is refused without echoing its value', async () => {
  const { code, stderr } = await bodyRegion([
    'classify',
    '--url',
    `${proxy.url}/dicom-web`,
    '--all',
    '--model',
    tiny.dir,
    '--header',
    `Bearer ${TOKEN}`,
  ]);
  expect(code).toBe(1);
  expect(leaks('stderr', stderr)).toEqual([]);
}, 60000);
