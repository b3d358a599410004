/**
 * Fetches, preprocesses and classifies frames: the one place where I/O and inference overlap
 * (bounded fetch concurrency, batches into one reused buffer, at most two batches waiting).
 */
import type { FrameMeta, PixelSource, Progress } from '../types';
import type { BodyRegionModel } from '../infer/BodyRegionModel';
import { preprocessFrame } from '../preprocess/preprocessFrame';
import type { ResultTiming } from '../results/schema';
import type { SiteAdapter } from '../adapt/adapter';
import { abortError, isAbort, message, ModelRunError } from './errors';

/** What the pipeline needs of a model: BodyRegionModel, or anything with the same surface. */
export type SliceClassifier = Pick<BodyRegionModel, 'classify' | 'labelNames' | 'inputSize' | 'manifest'> &
  Partial<Pick<BodyRegionModel, 'infer'>>;

/** A frame's model outputs known from earlier (a cached result): no fetch, no inference. */
export interface KnownFrameOutputs {
  /** The model's own (unadapted) probabilities; null when unknown (then only an adapter can use the embedding). */
  probabilities: Float32Array | null;
  embedding: Float32Array | null;
}

export interface FrameClassifierOptions {
  pixels: PixelSource;
  model: SliceClassifier;
  batchSize?: number;
  /** Frames fetched at the same time. */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Site adapter: replaces the model's head on the embeddings (the decoder then runs on its probabilities). */
  adapter?: Pick<SiteAdapter, 'probabilities' | 'info'> | null;
  /** Outputs already known for some frames (e.g. from a cached result, to re-decode with a new adapter). */
  known?: (frame: FrameMeta) => KnownFrameOutputs | undefined;
}

/** A frame's probabilities (and embedding, when the model has one), or why it has none. */
export interface FrameOutcome {
  probabilities?: Float32Array;
  embedding?: Float32Array;
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
      // infer/classify copy the buffer before returning, so it can be refilled at once.
      const run = model.infer
        ? model.infer(this.buffer, batch.length)
        : model.classify(this.buffer, batch.length).then((probabilities) => ({ probabilities, embeddings: null }));
      const p = run
        .catch((e: unknown) => {
          throw isAbort(e, signal) ? e : new ModelRunError(e);
        })
        .finally(() => {
          if (--busy === 0) this.timing.inferMs += now() - busySince;
        });
      const q = p.then(({ probabilities, embeddings }) => {
        const d = embeddings ? embeddings.length / batch.length : 0;
        const adapter = this.input.adapter;
        const probs = adapter && embeddings ? adapter.probabilities(embeddings, batch.length) : probabilities;
        batch.forEach((fi, j) => {
          outcomes[fi].probabilities = probs.slice(j * k, (j + 1) * k);
          if (embeddings) outcomes[fi].embedding = embeddings.slice(j * d, (j + 1) * d);
        });
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
        const known = this.input.known?.(frame);
        const adapter = this.input.adapter;
        const knownProbabilities = known && (adapter && known.embedding ? adapter.probabilities(known.embedding, 1) : known.probabilities);
        if (known && knownProbabilities) {
          outcomes[fi].probabilities = knownProbabilities;
          if (known.embedding) outcomes[fi].embedding = known.embedding;
          this.timing.framesClassified++;
          this.progress(1);
          continue;
        }
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
