/**
 * A real Redis (Debian's redis-server) per test file, on a free loopback port with a throwaway
 * directory, like orthancFixture.ts does for the archive. `restart()` stops it (SIGTERM) and
 * starts it again on the same port and directory: with `appendonly` the queue survives.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { freePort } from '../../extension/src/node/orthanc';

export const REDIS_SERVER = '/usr/bin/redis-server';

export interface RedisHandle {
  /** redis://127.0.0.1:<port>/0 */
  url: string;
  port: number;
  dir: string;
  /** Stops the server and starts it again on the same port and directory. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisOptions {
  /** Persist every write (appendfsync always), so a restart loses nothing. */
  appendOnly?: boolean;
  /** requirepass: clients must authenticate. */
  password?: string;
}

async function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(500);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      reply += d.toString();
      socket.destroy();
      // +PONG, or -NOAUTH when a password is set: either way the server is up.
      resolve(/^(\+PONG|-NOAUTH)/.test(reply));
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => (socket.destroy(), resolve(false)));
  });
}

export async function startRedis(options: RedisOptions = {}): Promise<RedisHandle> {
  if (!fs.existsSync(REDIS_SERVER)) throw new Error('redis-server is not installed: run `sudo apt-get install -y redis-server`');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'body-region-redis-'));
  const port = await freePort();
  // The password goes in a config file, not in argv (visible to every user).
  const conf = path.join(dir, 'redis.conf');
  const lines = [
    `port ${port}`,
    'bind 127.0.0.1',
    `dir ${dir}`,
    'save ""',
    options.appendOnly ? 'appendonly yes\nappendfsync always' : 'appendonly no',
    options.password ? `requirepass ${options.password}` : '',
  ];
  fs.writeFileSync(conf, lines.join('\n'), { mode: 0o600 });
  let child: ChildProcess | null = null;

  const launch = async () => {
    const c = spawn(REDIS_SERVER, [conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    c.stdout?.on('data', (d) => (log = (log + d.toString()).slice(-2000)));
    let exited = false;
    c.on('exit', () => (exited = true));
    const deadline = Date.now() + 15000;
    while (!(await answers(port))) {
      if (exited) throw new Error(`redis-server exited during start-up: ${log}`);
      if (Date.now() > deadline) {
        c.kill('SIGKILL');
        throw new Error(`redis-server did not answer on port ${port}: ${log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    child = c;
  };
  const halt = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    dir,
    async restart(downMs = 0) {
      await halt();
      if (downMs) await new Promise((r) => setTimeout(r, downMs));
      await launch();
    },
    async stop() {
      await halt();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Registers beforeAll/afterAll in the calling test file; the getter is valid inside tests. */
export function useRedis(options: RedisOptions = {}): () => RedisHandle {
  let handle: RedisHandle | undefined;
  beforeAll(async () => {
    handle = await startRedis(options);
  }, 30000);
  afterAll(async () => {
    await handle?.stop();
  });
  return () => {
    if (!handle) throw new Error('redis not started');
    return handle;
  };
}
