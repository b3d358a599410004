/**
 * The queue's JSON Lines sink (idempotent per series and model, across processes) and the Redis
 * connection settings (password from the environment or a file, never from the URL).
 */
import { fork } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { failedSeriesResult } from '../../extension/src/engine/results/failedResult';
import type { SeriesResult } from '../../extension/src/engine/results/schema';
import { seriesJobId } from '../../extension/src/cli/queue/jobs';
import { redactedRedisUrl, redisOptions } from '../../extension/src/cli/queue/redisConnection';
import { JsonlResultSink } from '../../extension/src/cli/queue/resultSink';
import { CliError } from '../../extension/src/cli/exitCodes';
import { ensureCliBuilt } from '../helpers/runCli';

const MODEL = { id: 'm', version: '1', sha256: 'a'.repeat(64) };
const OTHER = { id: 'm', version: '1', sha256: 'b'.repeat(64) };
let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sink-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const id = (n: number) => ({ studyInstanceUID: '1.2', seriesInstanceUID: `1.2.${n}`, modality: 'CT' });
function success(n: number): SeriesResult {
  const r = failedSeriesResult(id(n), { id: 'm', version: '1' }, 'fast', { code: 'no-frames', message: 'x' });
  return { ...r, error: null, regions: ['CHEST'] };
}
const failure = (n: number, code: 'no-frames' | 'all-frames-failed' = 'all-frames-failed') =>
  failedSeriesResult(id(n), { id: 'm', version: '1' }, 'fast', { code, message: 'bad pixels' });
const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);

describe('JsonlResultSink', () => {
  it('writes a series once per model; a second write of the same outcome is a no-op, also from a fresh sink', async () => {
    const file = path.join(dir, 'out.jsonl');
    const a = new JsonlResultSink(file, MODEL);
    expect(await a.isDone({ seriesInstanceUID: '1.2.1' })).toBe(false);
    expect(await a.write(success(1))).toBe(true);
    expect(await a.write(success(1))).toBe(false);
    // Another worker (a fresh sink on the same file) sees it.
    const b = new JsonlResultSink(file, MODEL);
    expect(await b.isDone({ seriesInstanceUID: '1.2.1' })).toBe(true);
    expect(await b.write(success(1))).toBe(false);
    expect(lines(file)).toHaveLength(1);
    expect(JSON.parse(lines(file)[0]).model).toEqual({ id: 'm', version: '1', sha256: MODEL.sha256 });
    // Another model's sink does not count it as done.
    expect(await new JsonlResultSink(file, OTHER).isDone({ seriesInstanceUID: '1.2.1' })).toBe(false);
  });

  it('a failure is written once per error code; a later success is appended and wins', async () => {
    const file = path.join(dir, 'out.jsonl');
    const sink = new JsonlResultSink(file, MODEL);
    expect(await sink.write(failure(2))).toBe(true);
    expect(await sink.write(failure(2))).toBe(false);
    expect(await sink.isDone({ seriesInstanceUID: '1.2.2' })).toBe(false);
    expect(await sink.write(success(2))).toBe(true);
    expect(await sink.isDone({ seriesInstanceUID: '1.2.2' })).toBe(true);
    expect(await sink.write(failure(2))).toBe(false);
    expect(lines(file)).toHaveLength(2);
  });

  it('reads lines of classify (no sha) by model id and version, and starts a fresh line after a fragment', async () => {
    const file = path.join(dir, 'out.jsonl');
    fs.writeFileSync(file, `${JSON.stringify(success(3))}\n{"schema":"body-region-result/1","seriesIn`);
    const sink = new JsonlResultSink(file, MODEL);
    expect(await sink.isDone({ seriesInstanceUID: '1.2.3' })).toBe(true);
    expect(await sink.write(success(4))).toBe(true);
    const all = lines(file);
    expect(all).toHaveLength(3);
    expect(JSON.parse(all[2]).seriesInstanceUID).toBe('1.2.4');
  });

  it('reads a file in chunks smaller than a line, and again after more was appended', async () => {
    const file = path.join(dir, 'out.jsonl');
    const writer = new JsonlResultSink(file, MODEL);
    for (let n = 0; n < 30; n++) await writer.write(n % 3 ? success(n) : failure(n));
    const reader = new JsonlResultSink(file, MODEL, 97);
    expect([...reader.doneSeries()].sort()).toEqual(
      Array.from({ length: 30 }, (_, n) => n)
        .filter((n) => n % 3)
        .map((n) => `1.2.${n}`)
        .sort(),
    );
    await writer.write(success(0));
    expect(await reader.isDone({ seriesInstanceUID: '1.2.0' })).toBe(true);
    expect(reader.doneSeries().size).toBe(21);
  });

  it('four processes writing the same 50 series give 50 lines', async () => {
    ensureCliBuilt();
    const file = path.join(dir, 'race.jsonl');
    const script = path.join(dir, 'writer.js');
    const sinkModule = require.resolve('../../build/node/cli/queue/resultSink.js');
    fs.writeFileSync(
      script,
      `const { JsonlResultSink } = require(${JSON.stringify(sinkModule)});
       const sink = new JsonlResultSink(${JSON.stringify(file)}, ${JSON.stringify(MODEL)});
       const base = ${JSON.stringify(success(0))};
       (async () => { for (let n = 0; n < 50; n++) await sink.write({ ...base, seriesInstanceUID: '1.2.' + n }); })();`,
    );
    await Promise.all([0, 1, 2, 3].map(() => new Promise((resolve) => fork(script).on('exit', resolve))));
    const uids = lines(file).map((l) => JSON.parse(l).seriesInstanceUID);
    expect(uids).toHaveLength(50);
    expect(new Set(uids).size).toBe(50);
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });
});

describe('queue jobs and the Redis connection', () => {
  it('job ids are deterministic per series and model, without the ":" BullMQ reserves', () => {
    expect(seriesJobId('1.2.3', MODEL)).toBe(seriesJobId('1.2.3', MODEL));
    expect(seriesJobId('1.2.3', MODEL)).not.toBe(seriesJobId('1.2.3', OTHER));
    expect(seriesJobId('1.2.3', MODEL)).not.toContain(':');
  });

  it('refuses a password in the URL and takes it from the environment or a file', () => {
    expect(() => redisOptions({ redis: 'redis://user:secret@host:6379/0' }, {})).toThrow(CliError);
    expect(() => redisOptions({ redis: 'redis://:secret@host:6379/0' }, {})).toThrow(/BODY_REGION_REDIS_PASSWORD/);
    const fromEnv = redisOptions({ redis: 'redis://host:6380/2' }, { BODY_REGION_REDIS_PASSWORD: 'pw1' });
    expect(fromEnv).toMatchObject({ host: 'host', port: 6380, db: 2, password: 'pw1' });
    const file = path.join(dir, 'pw');
    fs.writeFileSync(file, 'pw2\n');
    expect(redisOptions({ redis: 'redis://host', redisPasswordFile: file }, { BODY_REGION_REDIS_PASSWORD: 'pw1' }).password).toBe('pw2');
    expect(redisOptions({ redis: 'redis://host' }, { BODY_REGION_REDIS_PASSWORD_FILE: file }).password).toBe('pw2');
    expect(redactedRedisUrl('redis://ops@10.0.0.5:6379/1')).toBe('redis://ops@10.0.0.5:6379/1');
    expect(() => redisOptions({ redis: 'http://host' }, {})).toThrow(/redis:\/\//);
  });
});
