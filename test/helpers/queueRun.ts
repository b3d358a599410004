/** Spawned `body-region queue worker` processes and the JSON Lines they write, for queue tests and the bench. */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import { makeSeries, newUid } from './dicomFactory';
import { CLI_BIN } from './runCli';
import { LABEL_NAMES } from './synthetic';
import { huForLabel } from './tinyModel';

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

/**
 * `promise`, or 'timeout' after `ms`. The timer is cleared either way: a pending one kept jest
 * alive for minutes after every test had passed.
 */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
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

/** One study of `nSeries` tiny 3-slice CT series that the tiny model reads as PELVIS and CHEST in turn. */
export async function makeTinyStudy(
  nSeries: number,
  studyInstanceUID = newUid(),
): Promise<{ studyInstanceUID: string; series: string[]; files: Uint8Array[] }> {
  const series: string[] = [];
  const files: Uint8Array[] = [];
  for (let i = 0; i < nSeries; i++) {
    const built = await makeSeries({
      studyInstanceUID,
      seriesNumber: i + 1,
      slices: 3,
      rows: 16,
      columns: 16,
      pixel: () => huForLabel(LABEL_NAMES.indexOf(i % 2 ? 'CHEST' : 'PELVIS')),
    });
    series.push(built.seriesInstanceUID);
    files.push(...built.files);
  }
  return { studyInstanceUID, series, files };
}
