/**
 * Fetches, preprocesses and classifies frames: the one place where I/O and inference overlap
 * (bounded fetch concurrency, batches into one reused buffer, at most two batches waiting).
 */
import type { FrameMeta, PixelSource, Progress } from '../types';
import type { BodyRegionModel } from '../infer/BodyRegionModel';
import { preprocessFrame } from '../preprocess/preprocessFrame';
import type { ResultTiming } from '../results/schema';
import { abortError, isAbort, message, ModelRunError } from './errors';

/** What the pipeline needs of a model: BodyRegionModel, or anything with the same surface. */
export type SliceClassifier = Pick<BodyRegionModel, 'classify' | 'labelNames' | 'inputSize' | 'manifest'>;

export interface FrameClassifierOptions {
  pixels: PixelSource;
  model: SliceClassifier;
  batchSize?: number;
  /** Frames fetched at the same time. */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** A frame's probabilities, or why it has none. */
export interface FrameOutcome {
  probabilities?: Float32Array;
  error?: string;
}

export const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export class FrameClassifier {
  private readonly per: number;
  private readonly buffer: Float32Array;
  done = 0;
  /** Frames this series will classify in all; grows as fast mode adds rounds. */
  total = 0;
  fetched = 0;

  constructor(
    private readonly input: FrameClassifierOptions,
    private readonly timing: ResultTiming,
    private readonly seriesInstanceUID: string,
  ) {
    const S = input.model.inputSize;
    this.per = 3 * S * S;
    this.buffer = new Float32Array(Math.max(1, this.batchSize) * this.per);
  }

  private get batchSize() {
    return Math.max(1, Math.floor(this.input.batchSize ?? 16));
  }

  private progress(count: number) {
    this.done += count;
    this.input.onProgress?.({ seriesInstanceUID: this.seriesInstanceUID, done: this.done, total: this.total });
  }

  private checkAbort() {
    if (this.input.signal?.aborted) throw abortError(this.input.signal);
  }

  /** One outcome per frame, in order; rejects with a ModelRunError when the model fails. */
  async run(frames: FrameMeta[]): Promise<FrameOutcome[]> {
    const { model, pixels, signal } = this.input;
    const k = model.labelNames.length;
    const outcomes: FrameOutcome[] = frames.map(() => ({}));
    const inflight: Promise<void>[] = [];
    let slots: number[] = [];

    // inferMs: wall time during which at least one batch of this series was with the model.
    let busy = 0;
    let busySince = 0;
    const flush = () => {
      if (!slots.length) return;
      const batch = slots;
      slots = [];
      if (busy++ === 0) busySince = now();
      // classify copies the buffer before returning, so it can be refilled at once.
      const p = model
        .classify(this.buffer, batch.length)
        .catch((e: unknown) => {
          throw isAbort(e, signal) ? e : new ModelRunError(e);
        })
        .finally(() => {
          if (--busy === 0) this.timing.inferMs += now() - busySince;
        });
      const q = p.then((probs) => {
        batch.forEach((fi, j) => (outcomes[fi].probabilities = probs.slice(j * k, (j + 1) * k)));
        this.timing.framesClassified += batch.length;
        this.progress(batch.length);
      });
      q.catch(() => undefined); // rejection is reported by Promise.all below
      inflight.push(q);
    };

    let next = 0;
    const worker = async () => {
      while (next < frames.length) {
        this.checkAbort();
        const fi = next++;
        const frame = frames[fi];
        const tf = now();
        let data;
        try {
          data = await pixels.getPixels(frame, signal);
          this.fetched++;
        } catch (e) {
          if (isAbort(e, signal)) throw abortError(signal);
          outcomes[fi].error = `fetch failed: ${message(e)}`;
          this.progress(1);
          continue;
        } finally {
          this.timing.fetchMs += now() - tf;
        }
        this.checkAbort();
        const tp = now();
        try {
          preprocessFrame(data, frame, model.inputSize, this.buffer, slots.length * this.per, model.manifest.preprocessing);
          slots.push(fi);
        } catch (e) {
          outcomes[fi].error = `preprocess failed: ${message(e)}`;
          this.progress(1);
          continue;
        } finally {
          this.timing.preprocessMs += now() - tp;
        }
        if (slots.length >= this.batchSize) {
          flush();
          // Keep at most two batches waiting for the model; fetching goes on meanwhile.
          if (inflight.length > 2) await inflight[inflight.length - 3];
        }
      }
    };
    const concurrency = Math.max(1, Math.min(this.input.concurrency ?? 4, frames.length));
    await Promise.all(Array.from({ length: concurrency }, worker));
    flush();
    await Promise.all(inflight);
    return outcomes;
  }
}
