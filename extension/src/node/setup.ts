/**
 * `npm start` sets up what is missing: the prebuilt OHIF viewer (npm pack, since npm install of
 * @ohif/app fails), our viewer bundles (webpack), Orthanc and the demo package (apt, when root).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { orthancMissing } from './orthanc';
import { INVESALIUS_PROJECT } from './demoData';

export const OHIF_VERSION = '3.13.2';
export const REPO_ROOT = path.resolve(__dirname, '../../..');

export interface Paths {
  root: string;
  ohifDist: string;
  bundlesDir: string;
  modelsDir: string;
  ortDir: string;
  dataDir: string;
}

export function defaultPaths(root = REPO_ROOT): Paths {
  return {
    root,
    ohifDist: path.join(root, '.cache', `ohif-${OHIF_VERSION}`, 'dist'),
    bundlesDir: path.join(root, 'build', 'ohif'),
    modelsDir: path.join(root, 'models'),
    ortDir: path.join(root, 'node_modules', 'onnxruntime-web', 'dist'),
    dataDir: path.join(root, '.cache', 'orthanc-data'),
  };
}

type Log = (line: string) => void;

/** Unpacks @ohif/app's prebuilt dist into .cache/ohif-<version>/ when it is not there yet. */
export function ensureOhifDist(paths: Paths, log: Log): void {
  if (fs.existsSync(path.join(paths.ohifDist, 'index.html'))) return;
  const cache = path.dirname(paths.ohifDist);
  const parent = path.dirname(cache);
  fs.mkdirSync(parent, { recursive: true });
  log(`Fetching the prebuilt OHIF viewer ${OHIF_VERSION} (npm pack @ohif/app, ~50 MB)…`);
  const tarball = execFileSync('npm', ['pack', `@ohif/app@${OHIF_VERSION}`, '--silent', '--pack-destination', parent], {
    cwd: parent,
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .pop()!;
  fs.mkdirSync(cache, { recursive: true });
  execFileSync('tar', ['xzf', path.join(parent, tarball), '-C', cache, '--strip-components=1']);
  fs.rmSync(path.join(parent, tarball), { force: true });
  if (!fs.existsSync(path.join(paths.ohifDist, 'index.html'))) throw new Error(`the OHIF package has no dist/index.html (${cache})`);
}

const BUNDLES = ['body-region-extension.js', 'body-region-mode.js', 'body-region-worker.js'];
const BUNDLE_SOURCES = ['extension/src/ohif', 'extension/src/engine', 'mode/src', 'webpack.config.js'];

function newestMtime(p: string): number {
  if (!fs.existsSync(p)) return 0;
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...fs.readdirSync(p).map((name) => newestMtime(path.join(p, name))));
}

/** Builds the viewer bundles when one is missing or older than its sources. */
export function ensureBundles(paths: Paths, log: Log): void {
  const built = BUNDLES.map((b) => path.join(paths.bundlesDir, b));
  const oldest = Math.min(...built.map((b) => (fs.existsSync(b) ? fs.statSync(b).mtimeMs : 0)));
  const newestSource = Math.max(...BUNDLE_SOURCES.map((s) => newestMtime(path.join(paths.root, s))));
  if (oldest > 0 && oldest >= newestSource) return;
  log('Building the viewer bundles (webpack)…');
  const result = spawnSync('npx', ['webpack', '--config', 'webpack.config.js'], { cwd: paths.root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('webpack failed: see the output above');
  // webpack leaves unchanged outputs untouched; mark them fresh so the next start does not rebuild.
  const now = new Date();
  for (const b of built) if (fs.existsSync(b)) fs.utimesSync(b, now, now);
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function aptInstall(packages: string[], log: Log): boolean {
  if (!isRoot() || !fs.existsSync('/usr/bin/apt-get')) return false;
  log(`Installing ${packages.join(' ')} with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let result = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
  if (result.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    result = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
  }
  return result.status === 0;
}

/** Orthanc with DICOMweb: installed with apt when running as root, otherwise says what to install. */
export function ensureOrthanc(log: Log): void {
  if (!orthancMissing()) return;
  aptInstall(['orthanc', 'orthanc-dicomweb'], log);
  const missing = orthancMissing();
  if (missing) throw new Error(missing);
}

/** The demo CT comes from Debian's invesalius-examples; installed when possible, skipped otherwise. */
export function ensureDemoPackage(log: Log): void {
  if (fs.existsSync(INVESALIUS_PROJECT)) return;
  if (!aptInstall(['invesalius-examples'], log)) {
    log(
      "Note: the demo head CT needs Debian's invesalius-examples (`sudo apt-get install -y invesalius-examples`); continuing without it.",
    );
  }
}

export function checkModel(paths: Paths): string | null {
  for (const file of ['model.json', 'labels.json']) {
    if (!fs.existsSync(path.join(paths.modelsDir, file)))
      return `models/${file} is missing: the panel will say the model cannot be loaded.`;
  }
  return null;
}
