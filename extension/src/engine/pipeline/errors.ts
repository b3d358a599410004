/** The pipeline's error types: what went wrong is told by the type, not by reading messages. */

/** The model rejected a batch (onnxruntime failed, the session was disposed…). */
export class ModelRunError extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'ModelRunError';
  }
}

/** An AbortError for `signal`: its own reason when that is one, else a new one. */
export function abortError(signal?: AbortSignal): Error {
  const reason = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  if (typeof DOMException !== 'undefined') return new DOMException('classification aborted', 'AbortError');
  const e = new Error('classification aborted');
  e.name = 'AbortError';
  return e;
}

export function isAbort(e: unknown, signal?: AbortSignal): boolean {
  return Boolean(signal?.aborted) || (e instanceof Error && e.name === 'AbortError');
}

export const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
