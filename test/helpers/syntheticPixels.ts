import type { FrameMeta, PixelFrame, PixelSource } from '../../extension/src/engine/types';

/**
 * A PixelSource for engine unit tests: every frame is uniform at the HU value the test assigns to
 * its SOP instance UID (the archive itself is beside the point here; integration tests use Orthanc).
 * Frames can fail, and fetches can take a while and honour AbortSignal like a real network fetch.
 */
export class SyntheticPixelSource implements PixelSource {
  calls = 0;
  readonly requested: string[] = [];

  constructor(
    private readonly huByUid: Map<string, number>,
    private readonly opts: { failUids?: Set<string>; delayMs?: number } = {},
  ) {}

  async getPixels(frame: FrameMeta, signal?: AbortSignal): Promise<PixelFrame> {
    this.calls++;
    this.requested.push(`${frame.sopInstanceUID}#${frame.frameNumber}`);
    if (this.opts.delayMs) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          clearTimeout(timer);
          reject(Object.assign(new Error('fetch aborted'), { name: 'AbortError' }));
        };
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, this.opts.delayMs);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    if (this.opts.failUids?.has(frame.sopInstanceUID)) throw new Error(`HTTP 500 for ${frame.sopInstanceUID}`);
    const hu = this.huByUid.get(frame.sopInstanceUID);
    if (hu === undefined) throw new Error(`no pixels for ${frame.sopInstanceUID}`);
    const data = new Int16Array(frame.rows * frame.columns).fill(hu);
    return { rows: frame.rows, columns: frame.columns, data };
  }
}
