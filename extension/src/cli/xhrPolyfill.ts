/**
 * dicomweb-client speaks XMLHttpRequest; Node has none. Node entry points (CLI, tests, benchmarks)
 * call this once; the engine never does, so browsers keep their own.
 */
export function installXhrPolyfill(): void {
  const g = globalThis as { XMLHttpRequest?: unknown };
  if (!g.XMLHttpRequest) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only where XMLHttpRequest is missing (Node)
    g.XMLHttpRequest = require('xhr2');
  }
}
