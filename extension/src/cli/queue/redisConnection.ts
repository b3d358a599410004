/**
 * The Redis of the job queue. The URL comes from `--redis` (host, port, database, optional ACL
 * user); the password never does: argv is readable by every user of the machine (`ps`) and ends up
 * in shell histories. It comes from BODY_REGION_REDIS_PASSWORD or a file
 * (`--redis-password-file`, or BODY_REGION_REDIS_PASSWORD_FILE). Logs show `redactedRedisUrl`.
 */
import * as fs from 'fs';
import IORedis, { type RedisOptions } from 'ioredis';
import { CliError, ExitCode } from '../exitCodes';

export const REDIS_PASSWORD_ENV = 'BODY_REGION_REDIS_PASSWORD';
export const REDIS_PASSWORD_FILE_ENV = 'BODY_REGION_REDIS_PASSWORD_FILE';

export interface RedisFlags {
  redis: string;
  redisPasswordFile?: string;
}

function parseRedisUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError('--redis expects a URL such as redis://10.0.0.5:6379/0', ExitCode.Usage);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new CliError('--redis expects a redis:// or rediss:// URL', ExitCode.Usage);
  if (url.password) {
    throw new CliError(
      `do not put the Redis password in --redis (command lines are visible to every user): set ${REDIS_PASSWORD_ENV} or use --redis-password-file`,
      ExitCode.Usage,
    );
  }
  return url;
}

/** The URL as it may be printed: no password (there is none in it), no query. */
export function redactedRedisUrl(raw: string): string {
  const url = parseRedisUrl(raw);
  return `${url.protocol}//${url.username ? `${url.username}@` : ''}${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}

function readPassword(flags: RedisFlags, env: NodeJS.ProcessEnv): string | undefined {
  const file = flags.redisPasswordFile ?? env[REDIS_PASSWORD_FILE_ENV];
  if (file) {
    try {
      return fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new CliError(
        `cannot read the Redis password file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        ExitCode.Usage,
      );
    }
  }
  return env[REDIS_PASSWORD_ENV] || undefined;
}

/** ioredis options for the URL and the password from the environment or the file. */
export function redisOptions(flags: RedisFlags, env: NodeJS.ProcessEnv = process.env): RedisOptions {
  const url = parseRedisUrl(flags.redis);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw new CliError('--redis: the path must be a database number, e.g. redis://host:6379/0', ExitCode.Usage);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 6379,
    db,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: readPassword(flags, env),
    tls: url.protocol === 'rediss:' ? {} : undefined,
    // BullMQ workers block on Redis and must wait out a restart rather than fail a command.
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(200 * times, 2000),
  };
}

/**
 * A connection that has answered PING, or exit code 3 after `timeoutMs` (a short-lived command
 * should say "unreachable" rather than wait forever; workers pass a long timeout).
 */
export async function connectRedis(flags: RedisFlags, timeoutMs = 10000): Promise<IORedis> {
  const options = redisOptions(flags);
  const connection = new IORedis({ ...options, lazyConnect: true });
  let lastError = '';
  // A refused password will not get better by waiting: stop at once.
  let refused: (e: Error) => void = () => undefined;
  const authFailure = new Promise<never>((_, reject) => (refused = reject));
  authFailure.catch(() => undefined);
  connection.on('error', (e: Error) => {
    lastError = e.message;
    if (AUTH_ERROR.test(e.message)) refused(e);
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (connection.status === 'wait') await connection.connect();
      await Promise.race([withTimeout(connection.ping(), Math.max(1, deadline - Date.now())), authFailure]);
      return connection;
    } catch (error) {
      const message = (error as Error).message;
      if (AUTH_ERROR.test(message) || !lastError) lastError = message;
      if (Date.now() >= deadline || AUTH_ERROR.test(lastError)) {
        connection.disconnect();
        const hint = AUTH_ERROR.test(lastError) ? ` (authentication: set ${REDIS_PASSWORD_ENV} or --redis-password-file)` : '';
        throw new CliError(`Redis ${redactedRedisUrl(flags.redis)} unreachable: ${lastError}${hint}`, ExitCode.ArchiveUnreachable);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

const AUTH_ERROR = /NOAUTH|WRONGPASS|invalid (username-)?password|AUTH failed/i;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e) => (clearTimeout(timer), reject(e)),
    );
  });
}

/** Closes politely (QUIT), so a short-lived command leaves no socket behind; forcibly if Redis is gone. */
export async function closeRedis(connection: IORedis): Promise<void> {
  try {
    await withTimeout(connection.quit(), 2000);
  } catch {
    connection.disconnect();
  }
}
