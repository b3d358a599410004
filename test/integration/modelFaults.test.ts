/**
 * Model faults: a missing, corrupt or mismatched model never gets as far as the archive. The engine
 * rejects with a ModelLoadError that says what is wrong; the CLI exits with ModelFailed (4), says
 * why on stderr and writes no output file.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli } from '../helpers/runCli';
import { ExitCode } from '../../extension/src/cli/exitCodes';
import { loadModelFromDir } from '../../extension/src/engine/infer/loadModelNode';
import { ModelLoadError } from '../../extension/src/engine/infer/BodyRegionModel';
import { makeSeries } from '../helpers/dicomFactory';
import { buildTinyModelDir, TinyModelDir } from '../helpers/tinyModel';

let work: string;
let tiny: TinyModelDir;
let tiny19: TinyModelDir;
let dicomDir: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'model-faults-'));
  tiny = buildTinyModelDir(20, 16);
  // An ONNX model with 19 outputs beside the 20-label labels.json and model.json.
  tiny19 = buildTinyModelDir(19, 16);
  dicomDir = path.join(work, 'dicom');
  fs.mkdirSync(dicomDir);
  const series = await makeSeries({ slices: 2, rows: 16, columns: 16 });
  series.files.forEach((f, i) => fs.writeFileSync(path.join(dicomDir, `${i}.dcm`), f));
}, 60000);

afterAll(() => {
  for (const dir of [work, tiny?.dir, tiny19?.dir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A copy of the tiny model folder, broken by `breakIt`. */
function brokenModel(name: string, breakIt: (dir: string) => void, from: TinyModelDir = tiny): string {
  const dir = path.join(work, name);
  fs.cpSync(from.dir, dir, { recursive: true });
  breakIt(dir);
  return dir;
}

const editJson = (file: string, edit: (x: any) => void) => {
  const x = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(x);
  fs.writeFileSync(file, JSON.stringify(x));
};

const cases: Array<[string, () => string, RegExp]> = [
  ['missing ONNX file', () => brokenModel('missing', (d) => fs.rmSync(path.join(d, 'tiny.onnx'))), /cannot read .*tiny\.onnx: ENOENT/],
  [
    'missing model.json',
    () => brokenModel('no-manifest', (d) => fs.rmSync(path.join(d, 'model.json'))),
    /cannot read .*model\.json: ENOENT/,
  ],
  [
    'model.json not JSON',
    () => brokenModel('bad-manifest', (d) => fs.writeFileSync(path.join(d, 'model.json'), '{"modelId": ')),
    /model\.json is not valid JSON/,
  ],
  [
    'corrupt ONNX file (random bytes)',
    () =>
      brokenModel('corrupt', (d) =>
        fs.writeFileSync(path.join(d, 'tiny.onnx'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251))),
      ),
    /cannot open tiny\.onnx with onnxruntime-web/,
  ],
  [
    'truncated ONNX file',
    () =>
      brokenModel('truncated', (d) => {
        const f = path.join(d, 'tiny.onnx');
        fs.writeFileSync(f, fs.readFileSync(f).subarray(0, 100));
      }),
    /cannot open tiny\.onnx with onnxruntime-web/,
  ],
  [
    'sha256 in model.json does not match the bytes',
    () => brokenModel('sha', (d) => editJson(path.join(d, 'model.json'), (m) => (m.sha256 = '0'.repeat(64)))),
    /tiny\.onnx: sha256 [0-9a-f]{64} does not match model\.json/,
  ],
  [
    'model outputs 19 logits, labels.json has 20 labels',
    () => brokenModel('outputs', () => undefined, tiny19),
    /outputs 19 logits per image but labels\.json has 20 labels/,
  ],
  [
    'labels.json has 19 labels, model.json says 20',
    () => brokenModel('labels', (d) => editJson(path.join(d, 'labels.json'), (l) => l.labels.pop())),
    /labels file has 19 labels but model\.json says numClasses = 20/,
  ],
  [
    'labels.json without a labels list',
    () => brokenModel('labels-shape', (d) => fs.writeFileSync(path.join(d, 'labels.json'), '{"names": []}')),
    /labels file has no "labels" list/,
  ],
  [
    'input name the model does not have',
    () => brokenModel('input-name', (d) => editJson(path.join(d, 'model.json'), (m) => (m.inputName = 'pixels'))),
    /model\.json names "pixels"/,
  ],
];

describe.each(cases)('%s', (_name, make, reason) => {
  let dir: string;
  beforeAll(() => (dir = make()));

  test('engine: loadModelFromDir rejects with a ModelLoadError that says why', async () => {
    const error = await loadModelFromDir(dir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toMatch(reason);
  });

  test('CLI: exit code 4 (model failed), the reason on stderr, no output file', async () => {
    const out = path.join(work, `${path.basename(dir)}.jsonl`);
    const { code, stderr } = await runCli(['classify-files', dicomDir, '--model', dir, '--out', out, '--quiet']);
    expect(code).toBe(ExitCode.ModelFailed);
    expect(stderr).toContain(`body-region: model failed to load from ${dir}: `);
    expect(stderr).toMatch(reason);
    expect(fs.existsSync(out)).toBe(false);
  });
});

test('CLI classify: a broken model fails before any request to the archive', async () => {
  const dir = brokenModel('before-archive', (d) => fs.rmSync(path.join(d, 'tiny.onnx')));
  // Port 9 (discard) on loopback: had the CLI contacted it, the exit code would be 3 (unreachable).
  const { code, stderr } = await runCli(['classify', '--url', 'http://127.0.0.1:9/dicom-web', '--all', '--model', dir, '--quiet']);
  expect(code).toBe(ExitCode.ModelFailed);
  expect(stderr).not.toMatch(/unreachable/);
});

test('engine: onnxruntime wasm that cannot load (wasmPaths pointing to nothing) is a ModelLoadError naming the missing file', async () => {
  // A fresh onnxruntime-web: its wasm initialisation is process-wide and a failure sticks.
  let isolated!: typeof import('../../extension/src/engine/infer/BodyRegionModel');
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- isolateModules needs a synchronous load
    isolated = require('../../extension/src/engine/infer/BodyRegionModel');
  });
  const manifest = JSON.parse(fs.readFileSync(path.join(tiny.dir, 'model.json'), 'utf8'));
  const labels = JSON.parse(fs.readFileSync(path.join(tiny.dir, 'labels.json'), 'utf8'));
  const modelBytes = new Uint8Array(fs.readFileSync(path.join(tiny.dir, 'tiny.onnx')));
  const missing = path.join(work, 'no-wasm-here') + path.sep;
  const error = await isolated.BodyRegionModel.load({ manifest, modelBytes, labels, wasmPaths: missing }).then(
    () => null,
    (e: unknown) => e,
  );
  expect((error as Error)?.name).toBe('ModelLoadError');
  expect((error as Error).message).toMatch(/cannot open tiny\.onnx with onnxruntime-web: .*no-wasm-here\/ort-wasm/);
});
