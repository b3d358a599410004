/**
 * The work queue of the open study: one series at a time through the runner (a Web Worker in the
 * viewer, anything in tests), in the order asked, cancellable; results go to the StudyResults.
 */
import type { ClassificationRunner, SeriesJob } from './jobs';
import { isModelUnavailable } from './errors';
import type { StudyResults, StudySummariser } from './studyResults';

export class ClassificationQueue {
  private queue: SeriesJob[] = [];
  private controller: AbortController | null = null;
  private draining = false;

  constructor(
    private readonly results: StudyResults,
    private runner: ClassificationRunner | null,
    private summarise: StudySummariser,
  ) {}

  setRunner(runner: ClassificationRunner | null, summarise?: StudySummariser): void {
    this.runner = runner;
    if (summarise) this.summarise = summarise;
  }

  getRunner(): ClassificationRunner | null {
    return this.runner;
  }

  /** Starts (or restarts) a study; the jobs' order is the order of work. */
  start(studyInstanceUID: string, jobs: SeriesJob[]): void {
    this.cancel();
    this.queue = [...jobs];
    this.results.open(studyInstanceUID, jobs);
    void this.drain();
  }

  /** Queues series that appeared after the study opened (lazy loading); known ones are ignored. */
  add(jobs: SeriesJob[]): void {
    const fresh = this.results.add(jobs);
    if (!fresh.length) return;
    this.queue.push(...fresh);
    void this.drain();
  }

  /** Moves queued series to the front (e.g. the ones now shown in viewports). */
  prioritise(seriesInstanceUIDs: string[]): void {
    const wanted = new Set(seriesInstanceUIDs);
    this.queue = [
      ...this.queue.filter((j) => wanted.has(j.seriesInstanceUID)),
      ...this.queue.filter((j) => !wanted.has(j.seriesInstanceUID)),
    ];
  }

  /** Stops the running series and drops the queue; finished results stay. */
  cancel(): void {
    this.controller?.abort();
    this.controller = null;
    const dropped = new Set(this.queue.map((j) => j.seriesInstanceUID));
    this.queue = [];
    this.results.cancel(dropped);
  }

  private async drain(): Promise<void> {
    if (this.draining || !this.runner) return;
    this.draining = true;
    try {
      while (this.queue.length && this.runner) {
        const job = this.queue.shift()!;
        const controller = new AbortController();
        this.controller = controller;
        this.results.patchSeries(job.seriesInstanceUID, { status: 'running' });
        try {
          const result = await untilAborted(
            this.runner.classify(
              job,
              (done, total) => this.results.patchSeries(job.seriesInstanceUID, { progress: { done, total } }),
              controller.signal,
            ),
            controller.signal,
          );
          if (controller.signal.aborted) continue;
          this.results.setResult(job, result, this.summarise);
        } catch (error) {
          if (controller.signal.aborted) continue;
          if (isModelUnavailable(error)) {
            this.queue = [];
            this.results.modelUnavailable(error.message);
            break;
          }
          this.results.patchSeries(job.seriesInstanceUID, {
            status: 'error',
            error: { code: 'classification-failed', message: (error as Error)?.message ?? String(error) },
          });
        }
      }
    } finally {
      this.draining = false;
      this.controller = null;
    }
    if (!this.queue.length) this.results.finish();
  }
}

/** The runner's answer, or an AbortError once the signal aborts: a runner slow to stop cannot hold up the next study. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new DOMException('cancelled', 'AbortError'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
