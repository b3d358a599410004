/** Errors the viewer's runners raise and the queue tells apart. */

/** The model (or onnxruntime) could not be loaded: no series can be classified. */
export class ModelUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelUnavailableError';
  }
}

/** True for a ModelUnavailableError, also one rebuilt from its name (errors lose their class across a worker or realm). */
export function isModelUnavailable(error: unknown): error is Error {
  return error instanceof ModelUnavailableError || (error as Error | null)?.name === 'ModelUnavailableError';
}
