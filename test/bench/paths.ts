/** Repository paths, the same from the TypeScript sources (ts-jest) and from build/bench (tsc). */
import * as path from 'path';
import { REPO_ROOT, SHARED_DATA } from '../helpers/repoPaths';

export { REPO_ROOT, SHARED_DATA };
/** Generated DICOM and the benchmark archive's storage (gitignored). */
export const CACHE_ROOT = path.join(REPO_ROOT, '.cache/bench');
export const BENCH_SOURCES = path.join(REPO_ROOT, 'test/bench');
export const BENCH_BUNDLE_DIR = path.join(REPO_ROOT, 'build/bench/web');
export const ORT_DIST = path.join(REPO_ROOT, 'node_modules/onnxruntime-web/dist');
export const DEFAULT_MODEL_DIR = path.join(REPO_ROOT, 'models');
