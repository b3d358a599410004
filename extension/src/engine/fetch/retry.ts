/** Retries with exponential backoff, per-attempt timeouts, a concurrency limiter and cancellation. */

export class AbortError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'AbortError';
  }
}

export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/** An HTTP failure: status 0 means the request never got an answer (network error, reset). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    message?: string,
  ) {
    super(message ?? (status === 0 ? `network error for ${url}` : `HTTP ${status} for ${url}`));
    this.name = 'HttpError';
  }
}

export function isRetryable(error: unknown): boolean {
  if (error instanceof AbortError) return false;
  if (error instanceof TimeoutError) return true;
  if (error instanceof HttpError) return error.status === 0 || error.status === 408 || error.status === 429 || error.status >= 500;
  return false;
}

export interface RetryOptions {
  /** Attempts after the first one. */
  retries: number;
  /** First backoff delay; doubles each time, with ±25 % jitter. */
  backoffMs: number;
  maxBackoffMs?: number;
  signal?: AbortSignal;
  /** Whether a failure is worth another try (default: isRetryable). */
  shouldRetry?: (error: unknown) => boolean;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new AbortError();
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function withRetry<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const shouldRetry = options.shouldRetry ?? isRetryable;
  for (let n = 0; ; n++) {
    throwIfAborted(options.signal);
    try {
      return await attempt(n);
    } catch (error) {
      if (options.signal?.aborted) throw new AbortError();
      if (n >= options.retries || !shouldRetry(error)) throw error;
      const base = Math.min(options.backoffMs * 2 ** n, options.maxBackoffMs ?? 10000);
      const delay = Math.round(base * (0.75 + Math.random() * 0.5));
      options.onRetry?.(error, n + 1, delay);
      await sleep(delay, options.signal);
    }
  }
}

/** At most `limit` tasks run at once; the rest wait in order. */
export class Limiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new Error('concurrency must be at least 1');
  }

  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortError());
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.active++;
        resolve();
      };
      const onAbort = () => {
        const i = this.queue.indexOf(grant);
        if (i >= 0) this.queue.splice(i, 1);
        reject(new AbortError());
      };
      this.queue.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private release(): void {
    this.active--;
    const next = this.queue.shift();
    if (next) next();
  }
}
