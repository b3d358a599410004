/** Spawned `body-region queue worker` processes and the JSON Lines they write, for queue tests and the bench. */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import { CLI_BIN } from './runCli';

export interface WorkerProcess {
  child: ChildProcess;
  /** stderr so far */
  log(): string;
  exited: Promise<number | null>;
}

export function spawnWorker(args: string[], env: NodeJS.ProcessEnv = process.env): WorkerProcess {
  const child = spawn(process.execPath, [CLI_BIN, 'queue', 'worker', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, log: () => stderr, exited };
}

/** Series result lines of a JSON Lines file (a line that does not parse is an error here). */
export function seriesLines(file: string): Array<Record<string, any>> {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((l) => l.schema === 'body-region-result/1');
}

export async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
