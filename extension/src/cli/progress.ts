/**
 * Progress on stderr: a redrawn bar on a terminal, one line per finished series otherwise (logs,
 * CI). Shows UIDs, modality and counts only, never patient attributes.
 */
export interface SeriesLabel {
  index: number;
  total: number;
  seriesInstanceUID: string;
  modality: string;
}

export class ProgressReporter {
  private readonly tty: boolean;
  private lastDraw = 0;
  private seriesStart = 0;
  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly quiet = false,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  startSeries(label: SeriesLabel): void {
    this.seriesStart = Date.now();
    if (this.tty && !this.quiet) this.draw(label, 0, 0, true);
  }

  update(label: SeriesLabel, done: number, total: number): void {
    if (!this.tty || this.quiet) return;
    this.draw(label, done, total, false);
  }

  endSeries(label: SeriesLabel, outcome: string): void {
    const seconds = ((Date.now() - this.seriesStart) / 1000).toFixed(1);
    this.seriesLine(label, `${outcome} (${seconds} s)`);
  }

  /** A series not classified in this run (e.g. already in the output): no time to report. */
  skipSeries(label: SeriesLabel, why: string): void {
    this.seriesLine(label, why);
  }

  private seriesLine(label: SeriesLabel, text: string): void {
    if (this.quiet) return;
    const line = `[${label.index}/${label.total}] ${shortUid(label.seriesInstanceUID)} ${label.modality || '?'}: ${text}`;
    this.stream.write(this.tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }

  note(message: string): void {
    if (this.quiet) return;
    this.stream.write(this.tty ? `\r\x1b[2K${message}\n` : `${message}\n`);
  }

  private draw(label: SeriesLabel, done: number, total: number, force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < 100 && done < total) return;
    this.lastDraw = now;
    const width = 24;
    const filled = total > 0 ? Math.round((done / total) * width) : 0;
    const rate = done > 0 ? (done / Math.max(0.001, (now - this.seriesStart) / 1000)).toFixed(1) : '-';
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    this.stream.write(
      `\r\x1b[2K[${label.index}/${label.total}] ${shortUid(label.seriesInstanceUID)} ${label.modality || '?'} [${bar}] ${done}/${total} images ${rate} img/s`,
    );
  }
}

/** Last part of a UID: enough to tell series apart on screen. */
export function shortUid(uid: string): string {
  return uid.length > 24 ? `…${uid.slice(-20)}` : uid;
}
