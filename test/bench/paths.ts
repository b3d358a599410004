/** Repository paths, the same from the TypeScript sources (ts-jest) and from build/bench (tsc). */
import * as fs from 'fs';
import * as path from 'path';

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'ohif-body-region') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no ohif-body-region package.json above ${start}`);
  }
}

export const REPO_ROOT = findRepoRoot(__dirname);
/** Generated DICOM and the benchmark archive's storage (gitignored). */
export const CACHE_ROOT = path.join(REPO_ROOT, '.cache/bench');
export const BENCH_SOURCES = path.join(REPO_ROOT, 'test/bench');
export const BENCH_BUNDLE_DIR = path.join(REPO_ROOT, 'build/bench/web');
export const ORT_DIST = path.join(REPO_ROOT, 'node_modules/onnxruntime-web/dist');
export const DEFAULT_MODEL_DIR = path.join(REPO_ROOT, 'models');
