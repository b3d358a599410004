/**
 * The JSON Lines output: one SeriesResult per line, and one StudySummary line after each study.
 * Appending keeps what finished even if the run is interrupted; a rerun skips series that already
 * have a successful line (resume). When a series appears more than once, the last line wins.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { SeriesResult, StudySummary } from '../engine/results/schema';
import { SERIES_RESULT_SCHEMA } from '../engine/results/schema';

export class ResultsSink {
  /** Results already in the file (last line per series) plus those written in this run. */
  readonly results = new Map<string, SeriesResult>();
  private readonly fd: number | null;

  constructor(readonly file: string | null) {
    if (file) {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      let needsNewline = false;
      if (fs.existsSync(file)) {
        const text = this.load(file);
        // An interrupted run may have left half a line: start ours on a fresh one.
        needsNewline = text.length > 0 && !text.endsWith('\n');
      }
      this.fd = fs.openSync(file, 'a');
      if (needsNewline) fs.writeSync(this.fd, '\n');
    } else this.fd = null;
  }

  /** True when this series finished without error in an earlier run. */
  isDone(seriesInstanceUID: string): boolean {
    const r = this.results.get(seriesInstanceUID);
    return Boolean(r && r.error === null);
  }

  write(result: SeriesResult): void {
    this.results.set(result.seriesInstanceUID, result);
    this.writeLine(result);
  }

  writeStudy(summary: StudySummary): void {
    this.writeLine(summary);
  }

  resultsOfStudy(studyInstanceUID: string): SeriesResult[] {
    return [...this.results.values()].filter((r) => r.studyInstanceUID === studyInstanceUID);
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
  }

  private writeLine(value: object): void {
    const line = `${JSON.stringify(value)}\n`;
    if (this.fd !== null) fs.writeSync(this.fd, line);
    else process.stdout.write(line);
  }

  private load(file: string): string {
    const text = fs.readFileSync(file, 'utf8');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const value = JSON.parse(line) as { schema?: string };
        if (value.schema === SERIES_RESULT_SCHEMA) {
          const r = value as SeriesResult;
          this.results.set(r.seriesInstanceUID, r);
        }
      } catch {
        // A line cut by an interrupted run: ignore it, the series will be classified again.
      }
    }
    return text;
  }
}
