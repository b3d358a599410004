/**
 * Where a queue worker puts its results. A sink must make writes idempotent per series and model:
 * a worker killed after writing but before acknowledging its job leaves the job "stalled", another
 * worker runs it again, asks `isDone` first, and writing twice must not give a second line (or SR).
 * JSON Lines (here) and DICOM SRs on the archive (srResultSink.ts, `--stow`).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { DicomWebArchive } from '../../engine/fetch/dicomWebArchive';
import type { DicomJsonDataset } from '../../engine/fetch/dicomJson';
import type { SeriesResult } from '../../engine/results/schema';
import { SERIES_RESULT_SCHEMA } from '../../engine/results/schema';
import type { ModelKey } from '../loadModel';

/** The series of a job, and the archive it is read from (with the worker's authorization). */
export interface SeriesJob {
  studyInstanceUID: string;
  seriesInstanceUID: string;
  archive: DicomWebArchive;
}

export interface SeriesResultSink {
  /** A successful result of this series by this model is already there (asked before each job). */
  isDone(job: SeriesJob): Promise<boolean>;
  /** Series metadata the sink fetched in isDone, for the classification to reuse (taken once). */
  takeMetadata?(job: SeriesJob): DicomJsonDataset[] | undefined;
  /**
   * Stores the result unless the same outcome of the same series and model is already there (a
   * success, or a failure with the same code); true when it was stored now.
   */
  write(result: SeriesResult, job: SeriesJob): Promise<boolean>;
  close(): Promise<void>;
}

/** Several sinks (e.g. JSON Lines, then SR): done when every one is, written to each in order. */
export class AllSinks implements SeriesResultSink {
  constructor(private readonly sinks: SeriesResultSink[]) {}
  async isDone(job: SeriesJob): Promise<boolean> {
    // Every sink is asked (no short cut): the SR sink looks up what its write needs.
    let all = true;
    for (const sink of this.sinks) all = (await sink.isDone(job)) && all;
    return all;
  }
  takeMetadata(job: SeriesJob): DicomJsonDataset[] | undefined {
    let found: DicomJsonDataset[] | undefined;
    for (const sink of this.sinks) found = sink.takeMetadata?.(job) ?? found;
    return found;
  }
  async write(result: SeriesResult, job: SeriesJob): Promise<boolean> {
    let any = false;
    for (const sink of this.sinks) any = (await sink.write(result, job)) || any;
    return any;
  }
  async close(): Promise<void> {
    for (const sink of this.sinks) await sink.close();
  }
}

/** A result line as the queue writes it: the model also carries the sha256 of its bytes. */
export type KeyedSeriesResult = SeriesResult & { model: { id: string; version: string; sha256?: string } | null };

/** Whether a line came from this model: by sha when the line has one, else by id and version (`classify` lines). */
export function fromModel(line: KeyedSeriesResult, model: ModelKey): boolean {
  if (!line.model) return false;
  if (line.model.sha256) return line.model.sha256 === model.sha256;
  return line.model.id === model.id && line.model.version === model.version;
}

/** Held only for the few ms of read-tail-then-append; a holder killed inside it leaves a stale lock. */
const STALE_LOCK_MS = 5000;
const READ_CHUNK = 8 * 1024 * 1024;

/**
 * JSON Lines shared by every worker of one machine (or of several, on a shared file system). Each
 * write takes `<file>.lock` (O_EXCL), reads what others appended since the last look, and appends
 * only when the series has no line with the same outcome yet. Last line per series wins on reading.
 */
export class JsonlResultSink implements SeriesResultSink {
  /** Outcome per series of this model: null = success, else the error code. */
  private readonly outcomes = new Map<string, string | null>();
  private offset = 0;
  private readonly lockFile: string;

  constructor(
    readonly file: string,
    private readonly model: ModelKey,
    /** Bytes read at a time (tests make it small). */
    private readonly readChunk = READ_CHUNK,
  ) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.lockFile = `${file}.lock`;
    this.refresh();
  }

  async isDone(job: Pick<SeriesJob, 'seriesInstanceUID'>): Promise<boolean> {
    this.refresh();
    return this.outcomes.get(job.seriesInstanceUID) === null;
  }

  /** Series done by this model, as of now (for `enqueue`). */
  doneSeries(): Set<string> {
    this.refresh();
    return new Set([...this.outcomes].filter(([, code]) => code === null).map(([uid]) => uid));
  }

  async write(result: SeriesResult): Promise<boolean> {
    const outcome = result.error ? result.error.code : null;
    return this.locked(() => {
      this.refresh();
      const before = this.outcomes.get(result.seriesInstanceUID);
      if (before === null || (before !== undefined && before === outcome)) return false;
      const line: KeyedSeriesResult = { ...result, model: result.model ? { ...result.model, sha256: this.model.sha256 } : null };
      const fd = fs.openSync(this.file, 'a+');
      try {
        // A writer killed mid-line left a fragment: start on a fresh line (the fragment is ignored).
        const size = fs.fstatSync(fd).size;
        const last = Buffer.alloc(1);
        const prefix = size > 0 && fs.readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a ? '\n' : '';
        fs.writeSync(fd, `${prefix}${JSON.stringify(line)}\n`);
      } finally {
        fs.closeSync(fd);
      }
      this.refresh();
      return true;
    });
  }

  async close(): Promise<void> {
    // Nothing held open between writes.
  }

  /** Reads complete lines appended since the last look. */
  private refresh(): void {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size < this.offset) {
        // Truncated or replaced by someone: start over.
        this.offset = 0;
        this.outcomes.clear();
      }
      // In chunks: an archive's output grows to gigabytes (a line per series, with every image).
      let carry = Buffer.alloc(0);
      let position = this.offset;
      while (position < size) {
        const chunk = Buffer.alloc(Math.min(this.readChunk, size - position));
        const read = fs.readSync(fd, chunk, 0, chunk.length, position);
        if (read <= 0) break;
        const textStart = position - carry.length;
        position += read;
        const text = Buffer.concat([carry, chunk.subarray(0, read)]);
        const end = text.lastIndexOf(0x0a);
        if (end < 0) {
          carry = text; // a line longer than a chunk, or a partial last line
          continue;
        }
        for (const line of text.subarray(0, end).toString('utf8').split('\n')) this.take(line);
        this.offset = textStart + end + 1;
        carry = Buffer.from(text.subarray(end + 1));
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  private take(line: string): void {
    if (!line.trim()) return;
    let value: KeyedSeriesResult;
    try {
      value = JSON.parse(line) as KeyedSeriesResult;
    } catch {
      return; // a fragment left by a killed writer
    }
    if (value.schema !== SERIES_RESULT_SCHEMA || !fromModel(value, this.model)) return;
    this.outcomes.set(value.seriesInstanceUID, value.error ? value.error.code : null);
  }

  private async locked<T>(body: () => T): Promise<T> {
    const me = `${os.hostname()} ${process.pid}\n`;
    for (;;) {
      try {
        fs.writeFileSync(this.lockFile, me, { flag: 'wx' });
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        if (this.lockIsStale()) fs.rmSync(this.lockFile, { force: true });
        else await new Promise((r) => setTimeout(r, 3 + Math.random() * 10));
      }
    }
    try {
      return body();
    } finally {
      fs.rmSync(this.lockFile, { force: true });
    }
  }

  /** The holder is a dead process of this host, or the lock is older than any write takes. */
  private lockIsStale(): boolean {
    try {
      const [host, pid] = fs.readFileSync(this.lockFile, 'utf8').trim().split(' ');
      if (host === os.hostname() && Number(pid) > 0) {
        try {
          process.kill(Number(pid), 0);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ESRCH') return true;
        }
      }
      return Date.now() - fs.statSync(this.lockFile).mtimeMs > STALE_LOCK_MS;
    } catch {
      return false; // gone already, or being written: try again
    }
  }
}
