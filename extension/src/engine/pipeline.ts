/**
 * One series, end to end: geometry → fetch (bounded concurrency) → preprocess into a batch buffer →
 * batched inference (overlapping the fetches) → sequence decoding per stack → segments → summary.
 */
import type { FrameMeta, PixelSource, Progress, Stack } from './types';
import type { BodyRegionModel } from './infer/BodyRegionModel';
import { buildStacks } from './geometry/buildStacks';
import { preprocessFrame } from './preprocess/preprocessFrame';
import { decodeSparse, coarseToFine, DEFAULT_SAMPLE_MM, type KnownProbabilities } from './decode/coarseToFine';
import { toSegments } from './decode/decodeSequence';
import { summariseSeries } from './summarise/summariseSeries';
import {
  SERIES_RESULT_SCHEMA,
  type ResultError,
  type ResultImage,
  type ResultSegment,
  type ResultStack,
  type ResultTiming,
  type SeriesResult,
} from './results/schema';
import { emptyTiming, failedSeriesResult } from './results/failedResult';
import { nonImageReason } from './geometry/sopClasses';
import { encodeEmbedding } from './results/embeddingCodec';
import type { SiteAdapter } from './adapt/adapter';

export { summariseStudy } from './summarise/summariseStudy';

/** What the pipeline needs of a model: BodyRegionModel, or anything with the same surface. */
export type SliceClassifier = Pick<BodyRegionModel, 'classify' | 'labelNames' | 'inputSize' | 'manifest'> & Partial<Pick<BodyRegionModel, 'infer'>>;

/** A frame's model outputs known from earlier (a cached result): no fetch, no inference. */
export interface KnownFrameOutputs {
  /** The model's own (unadapted) probabilities; null when unknown (then only an adapter can use the embedding). */
  probabilities: Float32Array | null;
  embedding: Float32Array | null;
}

export interface ClassifySeriesInput {
  frames: FrameMeta[];
  pixels: PixelSource;
  model: SliceClassifier;
  /** 'exhaustive' classifies every image; 'fast' samples ~every 35 mm and bisects boundaries. */
  mode?: 'exhaustive' | 'fast';
  batchSize?: number;
  /** Frames fetched at the same time. */
  concurrency?: number;
  /** Distance between the first samples in fast mode (mm). */
  sampleMm?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Site adapter: replaces the model's head on the embeddings (the decoder then runs on its probabilities). */
  adapter?: Pick<SiteAdapter, 'probabilities' | 'info'> | null;
  /** Outputs already known for some frames (e.g. from a cached result, to re-decode with a new adapter). */
  known?: (frame: FrameMeta) => KnownFrameOutputs | undefined;
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

function abortError(signal?: AbortSignal): Error {
  const reason = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  if (typeof DOMException !== 'undefined') return new DOMException('classification aborted', 'AbortError');
  const e = new Error('classification aborted');
  e.name = 'AbortError';
  return e;
}

function isAbort(e: unknown, signal?: AbortSignal): boolean {
  return Boolean(signal?.aborted) || (e instanceof Error && e.name === 'AbortError');
}

const round4 = (p: number) => Math.round(p * 1e4) / 1e4;
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

interface FrameOutcome {
  probabilities?: Float32Array;
  embedding?: Float32Array;
  error?: string;
}

/** Fetches, preprocesses and classifies frames; the one place where I/O and inference overlap. */
class FrameClassifier {
  private readonly per: number;
  private readonly buffer: Float32Array;
  done = 0;
  total = 0;
  fetched = 0;

  constructor(
    private readonly input: ClassifySeriesInput,
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
      const p = (model.infer ? model.infer(this.buffer, batch.length) : model.classify(this.buffer, batch.length).then((probabilities) => ({ probabilities, embeddings: null }))).finally(() => {
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
          preprocessFrame(data, frame, model.inputSize, this.buffer, slots.length * this.per);
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

function argmaxLabel(probs: ArrayLike<number>, labelNames: string[]): { label: string; p: number } {
  let best = 0;
  for (let j = 1; j < probs.length; j++) if (probs[j] > probs[best]) best = j;
  return { label: labelNames[best], p: probs[best] };
}

function resultStack(stack: Stack, index: number): ResultStack {
  const n = stack.positionsMm.length;
  return {
    index,
    kind: stack.kind,
    orientation: stack.orientation,
    frameCount: stack.frames.length,
    spacingMm: stack.spacingMm,
    firstMm: n ? stack.positionsMm[0] : null,
    lastMm: n ? stack.positionsMm[n - 1] : null,
    qc: stack.qc,
  };
}

/**
 * Classifies every image of one series and decodes it into regions. Never throws for bad input or
 * failed frames (see `error` and `images[].error`); rejects only with an AbortError when `signal`
 * aborts.
 */
export async function classifySeries(input: ClassifySeriesInput): Promise<SeriesResult> {
  const t0 = now();
  const { frames, model, signal } = input;
  const mode = input.mode ?? 'exhaustive';
  const first = frames[0];
  const timing = emptyTiming(frames.length);
  const base = {
    schema: SERIES_RESULT_SCHEMA,
    model: { id: model.manifest.modelId, version: model.manifest.version },
    mode,
    studyInstanceUID: first?.studyInstanceUID ?? '',
    seriesInstanceUID: first?.seriesInstanceUID ?? '',
    modality: first?.modality ?? '',
    seriesDescription: first?.seriesDescription ?? null,
    bodyPartExamined: first?.bodyPartExamined ?? null,
  } as const;
  const failure = (error: ResultError, partial: Partial<SeriesResult> = {}): SeriesResult => {
    timing.totalMs = now() - t0;
    return { ...failedSeriesResult(base, base.model, mode, error, timing), ...partial };
  };

  if (signal?.aborted) throw abortError(signal);
  if (frames.length === 0) return failure({ code: 'no-frames', message: 'series has no frames' });
  const images = frames.filter((f) => nonImageReason(f) === null);
  if (images.length === 0) return failure({ code: 'not-an-image', message: `series has no images (${nonImageReason(first)})` });
  timing.framesTotal = images.length;

  try {
    const stacks = buildStacks(images);
    const classifier = new FrameClassifier(input, timing, base.seriesInstanceUID);
    const labelNames = model.labelNames;
    // Per stack: probabilities of classified slices, and errors of failed ones.
    const known: KnownProbabilities[] = stacks.map(() => new Map());
    const embeddings: Map<number, Float32Array>[] = stacks.map(() => new Map());
    const errors: Map<number, string>[] = stacks.map(() => new Map());
    const record = (s: number, indices: number[], outcomes: FrameOutcome[]) =>
      indices.forEach((index, j) => {
        const o = outcomes[j];
        if (o.probabilities) known[s].set(index, o.probabilities);
        else errors[s].set(index, o.error ?? 'not classified');
        if (o.embedding) embeddings[s].set(index, o.embedding);
      });

    const decodedPerStack: Array<{ labels: (string | null)[]; confidence: number[] }> = [];
    if (mode === 'fast') {
      // Single images have no neighbours to spare: classify them all, in one run.
      const singles = stacks.map((stack, s) => ({ stack, s })).filter(({ stack }) => stack.kind !== 'stack');
      classifier.total = singles.length;
      const singleOutcomes = await classifier.run(singles.map(({ stack }) => stack.frames[0]));
      singles.forEach(({ s }, j) => record(s, [0], [singleOutcomes[j]]));
      for (let s = 0; s < stacks.length; s++) {
        const stack = stacks[s];
        if (stack.kind !== 'stack') continue;
        const result = await coarseToFine({
          n: stack.frames.length,
          positionsMm: stack.positionsMm,
          labelNames,
          sampleMm: input.sampleMm ?? DEFAULT_SAMPLE_MM,
          classify: async (indices) => {
            classifier.total += indices.length;
            const outcomes = await classifier.run(indices.map((i) => stack.frames[i]));
            record(s, indices, outcomes);
            return outcomes.map((o) => o.probabilities ?? null);
          },
        });
        decodedPerStack[s] = result;
      }
    } else {
      const all = stacks.flatMap((stack, s) => stack.frames.map((frame, index) => ({ s, index, frame })));
      classifier.total = all.length;
      const outcomes = await classifier.run(all.map((a) => a.frame));
      all.forEach((a, j) => record(a.s, [a.index], [outcomes[j]]));
    }
    timing.framesFetched = classifier.fetched;
    if (signal?.aborted) throw abortError(signal);

    const td = now();
    const resultImages: ResultImage[] = [];
    const segments: ResultSegment[] = [];
    stacks.forEach((stack, s) => {
      const n = stack.frames.length;
      let decoded = decodedPerStack[s];
      if (!decoded) {
        if (stack.kind === 'stack') decoded = decodeSparse(n, stack.positionsMm, labelNames, known[s]);
        else {
          const probs = known[s].get(0);
          const best = probs ? argmaxLabel(probs, labelNames) : null;
          decoded = { labels: [best?.label ?? null], confidence: [best?.p ?? 0] };
        }
      }
      if (decoded.labels.every((l) => l !== null)) {
        const sure = { labels: decoded.labels as string[], confidence: decoded.confidence };
        segments.push(...toSegments(stack, sure).map((seg) => ({ ...seg, stackIndex: s })));
      }
      const imageOf = (frame: FrameMeta, sliceIndex: number, own: boolean): ResultImage => {
        const probs = own ? known[s].get(sliceIndex) : undefined;
        const image: ResultImage = {
          sopInstanceUID: frame.sopInstanceUID,
          frameNumber: frame.frameNumber,
          instanceNumber: frame.instanceNumber ?? null,
          stackIndex: s,
          sliceIndex,
          positionMm: stack.positionsMm.length ? stack.positionsMm[sliceIndex] : null,
          label: probs ? argmaxLabel(probs, labelNames).label : null,
          decodedLabel: decoded.labels[sliceIndex],
          probabilities: probs ? Array.from(probs, round4) : null,
        };
        const embedding = own ? embeddings[s].get(sliceIndex) : undefined;
        if (embedding) image.embedding = encodeEmbedding(embedding);
        const error = own ? errors[s].get(sliceIndex) : undefined;
        if (error) image.error = error;
        return image;
      };
      stack.frames.forEach((frame, i) => resultImages.push(imageOf(frame, i, true)));
      stack.duplicates?.forEach((d) => resultImages.push(imageOf(d.frame, d.keptIndex, false)));
    });
    timing.decodeMs = now() - td;
    timing.framesFailed = resultImages.filter((im) => im.error).length;
    const resultStacks = stacks.map(resultStack);

    if (timing.framesClassified === 0) {
      const reasons = resultImages.map((im) => im.error).filter(Boolean);
      return failure(
        { code: 'all-frames-failed', message: `no image could be classified: ${reasons[0] ?? 'unknown reason'}` },
        { stacks: resultStacks, images: resultImages },
      );
    }
    const summary = summariseSeries({
      stacks,
      segments,
      images: resultImages,
      bodyPartExamined: base.bodyPartExamined,
      seriesDescription: base.seriesDescription,
    });
    timing.totalMs = now() - t0;
    // The adapter shaped these results only where the model gave embeddings.
    const adapted = input.adapter && embeddings.some((m) => m.size > 0) ? input.adapter.info : null;
    return {
      ...base,
      ...(adapted ? { adapter: adapted } : {}),
      regions: summary.regions,
      segments,
      stacks: resultStacks,
      images: resultImages,
      summary,
      error: null,
      timing,
    };
  } catch (e) {
    if (isAbort(e, signal)) throw abortError(signal);
    const fromModel = e instanceof Error && /onnx|session|BodyRegionModel|classify/i.test(`${e.message} ${e.stack ?? ''}`);
    return failure({ code: fromModel ? 'model-error' : 'internal-error', message: message(e) });
  }
}
