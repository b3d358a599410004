/** Repository paths that hold from the TypeScript sources (ts-jest) and from compiled copies (build/bench). */
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
/** The shared data set lies beside the repository (`../shared/data`) and is never copied into it. */
export const SHARED_DATA = path.resolve(REPO_ROOT, '../shared/data');
