/**
 * DICOMweb access (QIDO-RS, WADO-RS metadata and frames) through dicomweb-client, with bounded
 * concurrency, retries with backoff, per-request timeouts, cancellation and host-supplied headers.
 *
 * dicomweb-client uses XMLHttpRequest: browsers have it; Node entry points install a polyfill
 * (see extension/src/cli/xhrPolyfill.ts). Header values are never logged.
 */
import { api } from 'dicomweb-client';
import type { FrameMeta } from '../types';
import type { DicomJsonDataset } from './dicomJson';
import { AbortError, HttpError, Limiter, TimeoutError, isRetryable, withRetry } from './retry';
import { TS } from './transferSyntax';

export type HeaderMap = Record<string, string>;
/** Static headers, or a function the host calls before every request (fresh tokens). */
export type HeaderSource = HeaderMap | (() => HeaderMap | Promise<HeaderMap>);

export interface RetryNotice {
  /** What was asked, without query values or headers, e.g. "series metadata". */
  what: string;
  attempt: number;
  delayMs: number;
  reason: string;
}

export interface DicomWebArchiveOptions {
  /** DICOMweb root, e.g. http://localhost:8042/dicom-web */
  url: string;
  headers?: HeaderSource;
  /** Requests in flight at once (default 6). */
  concurrency?: number;
  /** Retries after the first attempt on 5xx, 408/429, network errors and timeouts (default 3). */
  retries?: number;
  /** First backoff delay in ms (default 300, doubling). */
  backoffMs?: number;
  /** Per-request timeout in ms (default 30000). */
  timeoutMs?: number;
  /**
   * 'auto': ask for uncompressed frames, fall back to the archive's own transfer syntax (decoded in
   * the client) where it cannot transcode; 'uncompressed': only the former; 'original': only the latter.
   */
  frameTransferSyntax?: 'auto' | 'uncompressed' | 'original';
  onRetry?: (notice: RetryNotice) => void;
}

export interface RetrievedFrame {
  bytes: Uint8Array;
  /** From the part's Content-Type; undefined when the archive did not say. */
  transferSyntaxUID?: string;
}

interface XhrLike {
  abort(): void;
  onreadystatechange: ((this: unknown, ev: unknown) => unknown) | null;
}

type ClientRequest = { instance: XhrLike };
interface DicomWebClientLike {
  searchForStudies(o: { queryParams?: Record<string, string>; request?: ClientRequest }): Promise<DicomJsonDataset[]>;
  searchForSeries(o: {
    studyInstanceUID?: string;
    queryParams?: Record<string, string>;
    request?: ClientRequest;
  }): Promise<DicomJsonDataset[]>;
  searchForInstances(o: {
    studyInstanceUID: string;
    seriesInstanceUID: string;
    queryParams?: Record<string, string>;
    request?: ClientRequest;
  }): Promise<DicomJsonDataset[]>;
  retrieveSeriesMetadata(o: { studyInstanceUID: string; seriesInstanceUID: string; request?: ClientRequest }): Promise<DicomJsonDataset[]>;
  storeInstances(o: { datasets: ArrayBuffer[]; studyInstanceUID?: string; request?: ClientRequest }): Promise<unknown>;
  /** dicomweb-client's generic GET (its retrieveInstance cannot ask for transfer-syntax=*). */
  _httpGet(url: string, headers: Record<string, string>, request: ClientRequest & { responseType: string }): Promise<unknown>;
  retrieveInstanceFrames(o: {
    studyInstanceUID: string;
    seriesInstanceUID: string;
    sopInstanceUID: string;
    frameNumbers: number[];
    mediaTypes: Array<{ mediaType: string; transferSyntaxUID?: string }>;
    request?: ClientRequest;
  }): Promise<Array<ArrayBuffer & { transferSyntaxUID?: string; contentType?: string }>>;
}

/** Statuses after which an archive that cannot transcode may still send the stored syntax. */
const TRANSCODE_REFUSED = new Set([400, 406, 415, 500, 501]);

export class DicomWebArchive {
  readonly url: string;
  private readonly limiter: Limiter;
  private readonly options: Required<Omit<DicomWebArchiveOptions, 'headers' | 'onRetry'>> &
    Pick<DicomWebArchiveOptions, 'headers' | 'onRetry'>;
  /** Series whose frames the archive would not transcode: go straight to their stored syntax. */
  private readonly originalSyntaxSeries = new Set<string>();
  /** Counters for reports and tests. */
  readonly stats = { requests: 0, retries: 0, transcodeFallbacks: 0 };

  constructor(options: DicomWebArchiveOptions) {
    if (!options.url) throw new Error('DICOMweb URL is required');
    this.url = options.url.replace(/\/+$/, '');
    this.options = {
      url: this.url,
      headers: options.headers,
      concurrency: options.concurrency ?? 6,
      retries: options.retries ?? 3,
      backoffMs: options.backoffMs ?? 300,
      timeoutMs: options.timeoutMs ?? 30000,
      frameTransferSyntax: options.frameTransferSyntax ?? 'auto',
      onRetry: options.onRetry,
    };
    this.limiter = new Limiter(this.options.concurrency);
  }

  searchStudies(queryParams: Record<string, string> = {}, signal?: AbortSignal): Promise<DicomJsonDataset[]> {
    return this.request('study search', signal, (c, r) => c.searchForStudies({ queryParams, request: r })).then(asArray);
  }

  searchSeries(studyInstanceUID: string, queryParams: Record<string, string> = {}, signal?: AbortSignal): Promise<DicomJsonDataset[]> {
    return this.request('series search', signal, (c, r) => c.searchForSeries({ studyInstanceUID, queryParams, request: r })).then(asArray);
  }

  searchInstances(studyInstanceUID: string, seriesInstanceUID: string, signal?: AbortSignal): Promise<DicomJsonDataset[]> {
    return this.request('instance search', signal, (c, r) =>
      c.searchForInstances({ studyInstanceUID, seriesInstanceUID, request: r }),
    ).then(asArray);
  }

  retrieveSeriesMetadata(studyInstanceUID: string, seriesInstanceUID: string, signal?: AbortSignal): Promise<DicomJsonDataset[]> {
    return this.request('series metadata', signal, (c, r) =>
      c.retrieveSeriesMetadata({ studyInstanceUID, seriesInstanceUID, request: r }),
    ).then(asArray);
  }

  /**
   * STOW-RS (POST {root}/studies/{study}): the only write this class makes, and only when a host
   * asks for it (write-back is opt-in). Rejects with an HttpError when the archive refuses, also
   * when it answers 200 but lists the instances as failed (FailedSOPSequence).
   */
  async storeInstances(datasets: ArrayBuffer[], studyInstanceUID: string, signal?: AbortSignal): Promise<void> {
    const answer = await this.request('store', signal, (c, r) => c.storeInstances({ datasets, studyInstanceUID, request: r }));
    let parsed: unknown = answer;
    if (typeof answer === 'string' && answer.trim()) {
      try {
        parsed = JSON.parse(answer);
      } catch {
        parsed = null; // XML or empty answers carry no failure list we can read
      }
    }
    const dataset = (Array.isArray(parsed) ? parsed[0] : parsed) as DicomJsonDataset | null | undefined;
    const failed = dataset && typeof dataset === 'object' ? (dataset['00081198']?.Value?.length ?? 0) : 0;
    if (failed > 0) throw new HttpError(409, this.url, `the archive refused ${failed} of ${datasets.length} instances (FailedSOPSequence)`);
  }

  /** The whole instance as stored (Part 10), for frames the archive cannot serve on their own. */
  async retrieveInstance(
    ids: Pick<FrameMeta, 'studyInstanceUID' | 'seriesInstanceUID' | 'sopInstanceUID'>,
    signal?: AbortSignal,
  ): Promise<ArrayBuffer> {
    const url = `${this.url}/studies/${ids.studyInstanceUID}/series/${ids.seriesInstanceUID}/instances/${ids.sopInstanceUID}`;
    // As stored (transfer-syntax=*): without it the archive would transcode, which is what failed.
    const accept = 'multipart/related; type="application/dicom"; transfer-syntax=*';
    const parts = await this.request('instance', signal, (c, r) =>
      c._httpGet(url, { Accept: accept }, { ...r, responseType: 'arraybuffer' }),
    );
    const body = Array.isArray(parts) ? parts[0] : parts;
    if (body instanceof ArrayBuffer) return body;
    if (ArrayBuffer.isView(body)) return (body.buffer as ArrayBuffer).slice(body.byteOffset, body.byteOffset + body.byteLength);
    if (body && typeof (body as ArrayBuffer).byteLength === 'number') return body as ArrayBuffer; // another realm's ArrayBuffer
    throw new HttpError(200, this.url, 'the archive answered an instance request without an instance');
  }

  /** One frame, uncompressed when the archive can transcode, otherwise as stored. */
  async retrieveFrame(
    frame: Pick<FrameMeta, 'studyInstanceUID' | 'seriesInstanceUID' | 'sopInstanceUID' | 'frameNumber'>,
    signal?: AbortSignal,
  ): Promise<RetrievedFrame> {
    const mode = this.options.frameTransferSyntax;
    const tryUncompressed = mode === 'uncompressed' || (mode === 'auto' && !this.originalSyntaxSeries.has(frame.seriesInstanceUID));
    if (tryUncompressed) {
      try {
        return await this.requestFrame(frame, TS.ExplicitLittle, signal, mode === 'auto');
      } catch (error) {
        if (mode !== 'auto' || !(error instanceof HttpError) || !TRANSCODE_REFUSED.has(error.status)) throw error;
        this.stats.transcodeFallbacks++;
        this.originalSyntaxSeries.add(frame.seriesInstanceUID);
      }
    }
    return this.requestFrame(frame, '*', signal, false);
  }

  private async requestFrame(
    frame: Pick<FrameMeta, 'studyInstanceUID' | 'seriesInstanceUID' | 'sopInstanceUID' | 'frameNumber'>,
    transferSyntaxUID: string,
    signal: AbortSignal | undefined,
    mayFallBack: boolean,
  ): Promise<RetrievedFrame> {
    // A 500 to a transcoding request usually means "cannot transcode": fall back instead of retrying.
    const shouldRetry = mayFallBack
      ? (e: unknown) => isRetryable(e) && !(e instanceof HttpError && TRANSCODE_REFUSED.has(e.status))
      : undefined;
    const parts = await this.request(
      'frame',
      signal,
      (c, r) =>
        c.retrieveInstanceFrames({
          studyInstanceUID: frame.studyInstanceUID,
          seriesInstanceUID: frame.seriesInstanceUID,
          sopInstanceUID: frame.sopInstanceUID,
          frameNumbers: [frame.frameNumber],
          mediaTypes: [{ mediaType: 'application/octet-stream', transferSyntaxUID }],
          request: r,
        }),
      shouldRetry,
    );
    const part = Array.isArray(parts) ? parts[0] : undefined;
    if (!part || !(part instanceof ArrayBuffer || ArrayBuffer.isView(part))) {
      throw new HttpError(200, this.url, 'the archive answered a frame request without a frame');
    }
    const bytes = ArrayBuffer.isView(part) ? new Uint8Array(part.buffer, part.byteOffset, part.byteLength) : new Uint8Array(part);
    const declared = (part as { transferSyntaxUID?: string }).transferSyntaxUID;
    return {
      bytes,
      transferSyntaxUID: declared && declared !== '*' ? declared : transferSyntaxUID === '*' ? undefined : transferSyntaxUID,
    };
  }

  private async headers(): Promise<HeaderMap> {
    const h = this.options.headers;
    if (!h) return {};
    return typeof h === 'function' ? await h() : h;
  }

  /** One logical request: limiter slot, retries, a timeout per attempt, cancellation. */
  private request<T>(
    what: string,
    signal: AbortSignal | undefined,
    call: (client: DicomWebClientLike, request: ClientRequest) => Promise<T>,
    shouldRetry?: (e: unknown) => boolean,
  ): Promise<T> {
    return this.limiter.run(
      () =>
        withRetry(() => this.attempt(call, signal), {
          retries: this.options.retries,
          backoffMs: this.options.backoffMs,
          signal,
          shouldRetry,
          onRetry: (error, attempt, delayMs) => {
            this.stats.retries++;
            this.options.onRetry?.({ what, attempt, delayMs, reason: describeError(error) });
          },
        }),
      signal,
    );
  }

  private async attempt<T>(call: (client: DicomWebClientLike, request: ClientRequest) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw new AbortError();
    const XHR = (globalThis as { XMLHttpRequest?: new () => XhrLike }).XMLHttpRequest;
    if (!XHR) throw new Error('XMLHttpRequest is not available: install a polyfill (xhr2) in Node');
    const headers = await this.headers();
    this.stats.requests++;
    const xhr = new XHR();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = () => {
        finish(() => reject(new AbortError()));
        safeAbort(xhr);
      };
      const timer = setTimeout(() => {
        finish(() => reject(new TimeoutError(this.options.timeoutMs)));
        safeAbort(xhr);
      }, this.options.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      // A malformed answer makes dicomweb-client throw inside the XHR event handler, out of reach of
      // its promise: catch it there so it becomes this request's failure, not an uncaught exception.
      const guard = (req: XhrLike, _metadata: unknown) => {
        const handler = req.onreadystatechange;
        if (handler) {
          req.onreadystatechange = function guarded(this: unknown, ev: unknown) {
            try {
              return handler.call(this, ev);
            } catch (error) {
              finish(() => reject(new HttpError(200, 'response', `malformed answer: ${(error as Error).message}`)));
            }
          };
        }
        return req;
      };
      const client = new api.DICOMwebClient({
        url: this.url,
        headers,
        verbose: false,
        singlepart: false,
        requestHooks: [guard],
      }) as unknown as DicomWebClientLike;
      let pending: Promise<T>;
      try {
        pending = call(client, { instance: xhr });
      } catch (error) {
        finish(() => reject(error));
        return;
      }
      pending.then(
        (value) => finish(() => resolve(value)),
        (error: unknown) => finish(() => reject(toHttpError(error, this.url))),
      );
    });
  }
}

function safeAbort(xhr: XhrLike): void {
  try {
    xhr.abort();
  } catch {
    // already finished
  }
}

function asArray(v: unknown): DicomJsonDataset[] {
  // dicomweb-client resolves to [] on 204 and to the parsed JSON otherwise.
  if (Array.isArray(v)) return v as DicomJsonDataset[];
  if (v === null || v === undefined || v === '') return [];
  if (typeof v === 'string') return JSON.parse(v) as DicomJsonDataset[];
  throw new HttpError(200, 'response', 'expected a JSON array from the archive');
}

function toHttpError(error: unknown, url: string): Error {
  if (error instanceof Error && 'status' in error && typeof (error as { status: unknown }).status === 'number') {
    return new HttpError((error as { status: number }).status, url);
  }
  return error instanceof Error ? error : new Error(String(error));
}

export function describeError(error: unknown): string {
  if (error instanceof HttpError) return error.status === 0 ? 'network error' : error.message.replace(/ for .*/, '');
  if (error instanceof Error) return error.message;
  return String(error);
}
