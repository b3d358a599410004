import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { main } from '../../extension/src/cli/main';

const REPO = path.resolve(__dirname, '../..');
/** The real CLI entry point, for tests that spawn it as a process. */
export const CLI_BIN = path.join(REPO, 'bin/body-region.js');

/** Runs the CLI's main() in this process with stderr captured (what the user would read). */
export async function runCli(argv: string[]): Promise<{ code: number; stderr: string }> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    return { code: await main(argv), stderr: chunks.join('') };
  } finally {
    spy.mockRestore();
  }
}

/** runCli, with stdout captured too (status reports, lines without --out). */
export async function runCliWithStdout(argv: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    return { ...(await runCli(argv)), stdout: chunks.join('') };
  } finally {
    spy.mockRestore();
  }
}

/** Rebuilds build/node when a CLI or engine source is newer than the compiled main.js. */
export function ensureCliBuilt(): void {
  const compiled = path.join(REPO, 'build/node/cli/main.js');
  const newest = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = path.join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
    }, 0);
  const sources = Math.max(newest(path.join(REPO, 'extension/src/cli')), newest(path.join(REPO, 'extension/src/engine')));
  if (!fs.existsSync(compiled) || fs.statSync(compiled).mtimeMs < sources) {
    execFileSync(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', path.join(REPO, 'tsconfig.build.json')], {
      cwd: REPO,
      stdio: 'pipe',
    });
  }
}
